/* The admin API client: one blocking libcurl request per call, JSON in and out, the admin
 * token in the Authorization header (never in a URL, never printed). Non-2xx answers become
 * the exit codes of cli.h, with the API's message and one line per field error. At the end,
 * the call-then-print shapes the cmd_*.c files share (list, show one, do and say so). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"
#include "util/buf.h"

#define CLI_BODY_MAX (16 * 1024 * 1024)
#define CLI_API_TIMEOUT_MS 60000L

typedef struct {
    wx_buf_t body;
    cli_resp_t *out;
} sink_t;

static size_t
on_body(char *p, size_t s, size_t n, void *arg)
{
    sink_t *k = arg;
    return wx_buf_append(&k->body, p, s * n) == WX_OK ? s * n : 0;
}

/* Copy the value of header "name:" from one header line into out. */
static bool
header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return false;
    const char *v = line + nl;
    size_t vl = len - nl;
    while (vl > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    if (vl >= n)
        vl = n - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return true;
}

static size_t
on_header(char *p, size_t s, size_t n, void *arg)
{
    sink_t *k = arg;
    size_t len = s * n;
    char date[128];
    if (header_value(p, len, "Date:", date, sizeof(date))) {
        time_t t = curl_getdate(date, NULL);
        if (t > 0) {
            k->out->have_date = true;
            k->out->date_skew = (long)(t - time(NULL));
        }
    }
    header_value(p, len, "Location:", k->out->location, sizeof(k->out->location));
    return len;
}

static int
perform(const char *method, const char *url, const char *token, const char *json, long timeout_ms,
        size_t max, cli_resp_t *out, char *errbuf, size_t errn)
{
    char auth[CLI_TOKEN_MAX + 32], cerr[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL;
    sink_t k = {.out = out};
    int rc = CLI_OK;
    memset(out, 0, sizeof(*out));
    wx_buf_init(&k.body, max);
    CURL *h = curl_easy_init();
    if (!h) {
        wx_snprintf(errbuf, errn, "cannot start an HTTP request");
        rc = CLI_FAIL;
        goto out;
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    if (token) {
        wx_snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        hdrs = curl_slist_append(hdrs, auth);
        cli_wipe(auth, sizeof(auth));
    }
    if (json)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &k);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "wxauth-cli/0.1");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (json) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    else if (strcmp(method, "POST") == 0 && !json) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc != CURLE_OK) {
        wx_snprintf(errbuf, errn, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
        rc = CLI_FAIL;
        goto out;
    }
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    wx_strlcpy(out->ctype, ct ? ct : "", sizeof(out->ctype));
    out->raw = wx_buf_steal(&k.body);
    if (!out->raw)
        out->raw = calloc(1, 1);
    if (out->raw && out->raw[0])
        out->body = json_loads(out->raw, 0, NULL);
out:
    wx_buf_free(&k.body);
    curl_slist_free_all(hdrs); /* held a copy of the Authorization line */
    if (h)
        curl_easy_cleanup(h);
    return rc;
}

int
cli_api_call(cli_t *c, const char *method, const char *path, const json_t *body, cli_resp_t *out)
{
    char url[2048], errbuf[CURL_ERROR_SIZE + 64];
    char *json = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc;
    if (body && !json)
        return cli_err(CLI_FAIL, "out of memory");
    if (!wx_snprintf(url, sizeof(url), "%s/api/admin/v1%s", c->target.url, path)) {
        free(json);
        return cli_err(CLI_USAGE, "the request URL is too long");
    }
    rc = perform(method, url, c->target.token, json, CLI_API_TIMEOUT_MS, CLI_BODY_MAX, out, errbuf,
                 sizeof(errbuf));
    if (json) {
        cli_wipe(json, strlen(json)); /* may hold an App Secret */
        free(json);
    }
    if (rc != CLI_OK)
        return cli_err(rc, "cannot reach the admin API at %s: %s", c->target.url, errbuf);
    return CLI_OK;
}

void
cli_resp_free(cli_resp_t *r)
{
    json_decref(r->body);
    if (r->raw)
        cli_wipe(r->raw, strlen(r->raw)); /* may hold a secret shown once */
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

int
cli_api_status_exit(const cli_resp_t *r)
{
    const char *msg = json_string_value(json_object_get(r->body, "message"));
    json_t *errors = json_object_get(r->body, "errors");
    char fallback[200];
    if (!msg) {
        wx_snprintf(fallback, sizeof(fallback), "the server answered HTTP %ld%s%.120s", r->status,
                    r->raw && r->raw[0] ? ": " : "", r->raw ? r->raw : "");
        msg = fallback;
    }
    switch (r->status) {
    case 400:
        if (json_is_object(errors) && json_object_size(errors) > 0) {
            const char *field;
            json_t *v;
            json_object_foreach(errors, field, v)
            {
                fprintf(stderr, "%s: %s\n", field,
                        json_string_value(v) ? json_string_value(v) : "not valid");
            }
            return CLI_USAGE;
        }
        return cli_err(CLI_USAGE, "%s", msg);
    case 401:
        return cli_err(CLI_AUTH, "the admin API refused the credential: %s", msg);
    case 403:
    case 429:
        return cli_err(CLI_AUTH, "%s", msg);
    case 404:
        return cli_err(CLI_NOT_FOUND, "%s", msg);
    default:
        return cli_err(CLI_FAIL, "%s", msg);
    }
}

int
cli_api(cli_t *c, const char *method, const char *path, const json_t *body, json_t **json)
{
    cli_resp_t r;
    *json = NULL;
    int rc = cli_api_call(c, method, path, body, &r);
    if (rc != CLI_OK)
        return rc;
    if (r.status < 200 || r.status > 299) {
        rc = cli_api_status_exit(&r);
        if (r.status == 401)
            fprintf(stderr, "wxauth: (sent %s to %s)\n", c->target.from, c->target.url);
    } else if (!r.body) {
        rc =
            cli_err(CLI_FAIL, "the admin API at %s sent no JSON (is it a wxauthd?)", c->target.url);
    } else {
        *json = json_incref(r.body);
    }
    cli_resp_free(&r);
    return rc;
}

bool
cli_path_seg(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
                     *p == ':';
        if (j + (plain ? 1 : 3) >= n)
            return false;
        if (plain) {
            out[j++] = (char)*p;
        } else {
            out[j++] = '%';
            out[j++] = hex[*p >> 4];
            out[j++] = hex[*p & 15];
        }
    }
    out[j] = '\0';
    return j > 0;
}

bool
cli_pathf(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    size_t j = 0;
    bool ok = true;
    va_start(ap, fmt);
    for (const char *p = fmt; *p && ok; p++) {
        if (p[0] == '%' && p[1] == 's') {
            ok = cli_path_seg(va_arg(ap, const char *), out + j, n - j);
            j += ok ? strlen(out + j) : 0;
            p++;
        } else if (j + 1 < n) {
            out[j++] = *p;
        } else {
            ok = false;
        }
    }
    va_end(ap);
    out[ok ? j : 0] = '\0';
    if (!ok)
        cli_err(CLI_USAGE, "an id in the request is empty or too long");
    return ok;
}

void
cli_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        printf("%s\n", s);
    free(s);
}

/* ---- the shapes the commands share: call, then print the answer ---- */

int
cli_list(cli_t *c, const char *path, const cli_col_t *cols, size_t ncols, const char *key)
{
    return cli_list_page(c, path, cols, ncols, key, -1);
}

int
cli_list_page(cli_t *c, const char *path, const cli_col_t *cols, size_t ncols, const char *key,
              long offset)
{
    json_t *res = NULL;
    int rc = cli_api(c, "GET", path, NULL, &res);
    if (rc != CLI_OK)
        return rc;
    if (c->json) {
        cli_print_json(res);
    } else {
        json_t *rows = json_object_get(res, key);
        long long total = (long long)json_integer_value(json_object_get(res, "total"));
        size_t n = json_array_size(rows);
        cli_table(cols, ncols, rows);
        if (offset >= 0 && n > 0)
            printf("%ld-%ld of %lld%s\n", offset + 1, offset + (long)n, total,
                   offset + (long)n < total ? " (--offset for more)" : "");
    }
    json_decref(res);
    return CLI_OK;
}

int
cli_get_show(cli_t *c, const char *path, const char *const *keys)
{
    json_t *res = NULL;
    int rc = cli_api(c, "GET", path, NULL, &res);
    if (rc == CLI_OK)
        cli_show(c, res, keys);
    json_decref(res);
    return rc;
}

int
cli_api_done(cli_t *c, const char *method, const char *path, const json_t *body, const char *fmt,
             ...)
{
    json_t *res = NULL;
    int rc = cli_api(c, method, path, body, &res);
    if (rc == CLI_OK && c->json) {
        cli_print_json(res);
    } else if (rc == CLI_OK) {
        va_list ap;
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
    }
    json_decref(res);
    return rc;
}
