/* Getting a JWKS document: over http(s) with libcurl's easy API, or from a file. Both are bounded
 * (WXAUTH_JWKS_MAX bytes, a time limit for the network) because the document comes from outside
 * the process and a verifier must never hang or grow without bound on it. */
#include "internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util/buf.h"

typedef struct {
    wx_buf_t body;
    bool too_big;
    long max_age; /* -1: none seen */
} fetch_ctx_t;

static size_t
fetch_body_cb(char *p, size_t size, size_t n, void *arg)
{
    fetch_ctx_t *f = arg;
    if (wx_buf_append(&f->body, p, size * n) != WX_OK) {
        f->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return size * n;
}

/* Cache-Control: max-age=N (RFC 9111 §5.2.2.1). no-store and no-cache read as max-age=0: the
 * caller raises 0 to its floor, so they mean "as short as allowed", never "fetch every time". */
static void
fetch_cache_control(const char *v, size_t n, long *max_age)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        const char *d = v + start;
        size_t dl = i - start;
        while (dl &&
               (d[dl - 1] == ' ' || d[dl - 1] == '\t' || d[dl - 1] == '\r' || d[dl - 1] == '\n'))
            dl--;
        if ((dl == 8 && strncasecmp(d, "no-store", 8) == 0) ||
            (dl == 8 && strncasecmp(d, "no-cache", 8) == 0)) {
            *max_age = 0;
            return;
        }
        if (dl > 8 && strncasecmp(d, "max-age=", 8) == 0) {
            long age = 0;
            size_t k = 8;
            for (; k < dl && isdigit((unsigned char)d[k]); k++)
                age = age > WXAUTH_TTL_MAX ? age : age * 10 + (d[k] - '0');
            if (k == dl)
                *max_age = age > WXAUTH_TTL_MAX ? WXAUTH_TTL_MAX : age;
        }
    }
}

static size_t
fetch_header_cb(char *p, size_t size, size_t n, void *arg)
{
    fetch_ctx_t *f = arg;
    size_t len = size * n;
    static const char name[] = "cache-control:";
    /* A redirect or 1xx response starts a new header block; only the last one counts. */
    if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
        f->max_age = -1;
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0)
        fetch_cache_control(p + sizeof(name) - 1, len - (sizeof(name) - 1), &f->max_age);
    return len;
}

wx_status_t
wxauth_jwks_fetch(const char *url, long timeout_ms, jwks_t **out, long *max_age, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    CURL *h = NULL;
    CURLcode cc = CURLE_OK;
    long status = 0;
    char cerr[CURL_ERROR_SIZE] = "";
    fetch_ctx_t f = {.max_age = -1};

    *out = NULL;
    *max_age = -1;
    wx_buf_init(&f.body, WXAUTH_JWKS_MAX);
    h = curl_easy_init();
    if (!h) {
        rc = wx_err_set(err, WX_ENOMEM, "could not start an HTTP request");
        goto out;
    }
    /* No redirects and http(s) only: the JWKS URL is configured, never taken from a token,
     * and must not be bent to file://, gopher:// or an internal host by a 30x. NOSIGNAL because
     * verifiers run in threads, where curl's SIGALRM timeouts are unsafe. */
    if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)WXAUTH_JWKS_MAX) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_body_cb) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &f) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_header_cb) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &f) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "libwxauth/0") != CURLE_OK) {
        rc = wx_err_set(err, WX_EIO, "could not set up the HTTP request");
        goto out;
    }
    cc = curl_easy_perform(h);
    if (f.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = wx_err_set(err, WX_ETOOBIG, "JWKS is larger than %d bytes", WXAUTH_JWKS_MAX);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = wx_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? WX_ETIMEOUT : WX_EIO,
                        "JWKS request failed: %s", cerr[0] ? cerr : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        rc = wx_err_set(err, WX_EUPSTREAM, "JWKS request answered HTTP %ld", status);
        goto out;
    }
    rc = jwks_parse(wx_buf_str(&f.body), f.body.len, out, err);
    if (rc == WX_OK)
        *max_age = f.max_age;
out:
    curl_easy_cleanup(h);
    wx_buf_free(&f.body);
    return rc;
}

wx_status_t
wxauth_jwks_read(const char *path, jwks_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    int fd = -1;
    struct stat st;
    char *data = NULL;
    size_t got = 0;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = wx_err_set(err, WX_EIO, "cannot open the JWKS file: %s", strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = wx_err_set(err, WX_EIO, "the JWKS file is not a regular file");
        goto out;
    }
    if (st.st_size > WXAUTH_JWKS_MAX) {
        rc = wx_err_set(err, WX_ETOOBIG, "JWKS file is larger than %d bytes", WXAUTH_JWKS_MAX);
        goto out;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    /* Read up to the size fstat gave; a file that grows meanwhile is cut there and then fails
     * to parse rather than being read without bound. */
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = wx_err_set(err, WX_EIO, "cannot read the JWKS file: %s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    rc = jwks_parse(data, got, out, err);
out:
    free(data);
    if (fd >= 0)
        close(fd);
    return rc;
}
