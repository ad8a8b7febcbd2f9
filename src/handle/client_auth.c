/* Client authentication for introspection and revocation (RFC 6749 §2.3.1): an application id
 * and its secret, by HTTP Basic (client_secret_basic) or in the form (client_secret_post). The
 * secret is compared in constant time with the sealed one in the store. */
#include "client_auth.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../util/log.h"
#include "../util/url.h"

#define BASIC_MAX 512

/* Split "Basic base64(id:secret)" into URL-decoded id and secret. */
static bool
parse_basic(const char *h, char *id, size_t idn, char *secret, size_t sn)
{
    unsigned char dec[BASIC_MAX];
    char *uid = NULL, *usec = NULL;
    bool ok = false;
    if (strncasecmp(h, "Basic ", 6) != 0)
        return false;
    h += 6;
    size_t n = strlen(h);
    if (n == 0 || n % 4 != 0 || n / 4 * 3 >= sizeof(dec))
        return false;
    int dn = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)n);
    if (dn < 0)
        return false;
    while (n > 0 && h[n - 1] == '=') { /* DecodeBlock counts padding as zero bytes */
        dn--;
        n--;
    }
    dec[dn] = '\0';
    char *colon = memchr(dec, ':', (size_t)dn);
    if (!colon || memchr(dec, '\0', (size_t)dn))
        goto out;
    if (wx_url_decode((char *)dec, (size_t)(colon - (char *)dec), true, &uid) != WX_OK ||
        wx_url_decode(colon + 1, (size_t)((char *)dec + dn - colon - 1), true, &usec) != WX_OK)
        goto out;
    ok = wx_strlcpy(id, uid, idn) && wx_strlcpy(secret, usec, sn);
out:
    OPENSSL_cleanse(dec, sizeof(dec));
    if (usec) {
        OPENSSL_cleanse(usec, strlen(usec));
        free(usec);
    }
    free(uid);
    return ok;
}

/* The application's row, read off the loop (handle/reads.h). */
typedef struct {
    http_req_t *r;
    client_auth_cb cb;
    void *arg;
    char id[STORE_ID_MAX];
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    bool public_only; /* client_id alone: only a public client passes */
    store_app_t app;
} client_job_t;

static void
client_job_free(client_job_t *j)
{
    OPENSSL_cleanse(j, sizeof(*j));
    free(j);
}

static wx_status_t
client_job_run(store_t *st, void *arg, wx_err_t *err)
{
    client_job_t *j = arg;
    return store_app_get(st, j->id, &j->app, err);
}

static void
client_job_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    client_job_t *j = arg;
    http_req_t *r = j->r;
    worker_ctx_t *ctx = handle_ctx(r);
    char stored[STORE_SECRET_PLAIN_MAX + 1] = "", aad[STORE_ID_MAX + 16];
    wx_err_t e2 = {0};
    client_auth_t res = CLIENT_AUTH_DENIED;
    if (rc != WX_OK && rc != WX_ENOENT) {
        wx_log(WX_LOG_ERROR, "client_app_unreadable", "rid", r->id, "app", j->id, "error", err->msg,
               "detail", err->detail, NULL);
        res = CLIENT_AUTH_ERROR;
        goto out;
    }
    if (rc == WX_OK && j->public_only) {
        if (j->app.public_client)
            res = CLIENT_AUTH_PUBLIC;
        goto out;
    }
    if (rc != WX_OK || !j->app.secret[0])
        goto out;
    wx_snprintf(aad, sizeof(aad), "app_secret:%s", j->app.id);
    if (seal_open(&ctx->app->master, aad, j->app.secret, stored, sizeof(stored), &e2) != WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", r->id, "app", j->app.id, "error",
               e2.msg, NULL);
        goto out;
    }
    if (wx_ct_equal(j->secret, strlen(j->secret), stored, strlen(stored)))
        res = CLIENT_AUTH_OK;
out:
    OPENSSL_cleanse(stored, sizeof(stored));
    OPENSSL_cleanse(j->app.secret, sizeof(j->app.secret));
    if (res == CLIENT_AUTH_DENIED)
        wx_log(WX_LOG_WARN, "client_auth_failed", "rid", r->id, "client", j->id, NULL);
    j->cb(r, res, &j->app, j->arg);
    client_job_free(j);
}

static void
client_auth_start(http_req_t *r, const wx_query_t *form, bool public_ok, client_auth_cb cb,
                  void *arg)
{
    char id[STORE_ID_MAX] = "", secret[STORE_SECRET_PLAIN_MAX + 1] = "";
    client_job_t *j = NULL;
    bool pub = false;
    const char *h = http_req_header(r, "Authorization");
    const char *fid = wx_query_get(form, "client_id");
    const char *fsec = wx_query_get(form, "client_secret");
    if (h && strncasecmp(h, "Basic ", 6) == 0) {
        if (!parse_basic(h, id, sizeof(id), secret, sizeof(secret)))
            goto denied;
    } else if (public_ok && fid && !fsec) {
        pub = true;
        if (!wx_strlcpy(id, fid, sizeof(id)) || !handle_valid_id(id))
            goto denied;
    } else if (fid || fsec) {
        if (!fid || !fsec || !wx_strlcpy(id, fid, sizeof(id)) ||
            !wx_strlcpy(secret, fsec, sizeof(secret)))
            goto denied;
    } else {
        cb(r, CLIENT_AUTH_NONE, NULL, arg);
        return;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        OPENSSL_cleanse(secret, sizeof(secret));
        cb(r, CLIENT_AUTH_ERROR, NULL, arg);
        return;
    }
    j->r = r;
    j->cb = cb;
    j->arg = arg;
    j->public_only = pub;
    memcpy(j->id, id, sizeof(id));
    memcpy(j->secret, secret, sizeof(secret));
    OPENSSL_cleanse(secret, sizeof(secret));
    handle_read(r->worker, client_job_run, client_job_done, j);
    return;
denied:
    OPENSSL_cleanse(secret, sizeof(secret));
    wx_log(WX_LOG_WARN, "client_auth_failed", "rid", r->id, "client", id, NULL);
    cb(r, CLIENT_AUTH_DENIED, NULL, arg);
}

void
client_authenticate(http_req_t *r, const wx_query_t *form, client_auth_cb cb, void *arg)
{
    client_auth_start(r, form, false, cb, arg);
}

void
client_authenticate_public(http_req_t *r, const wx_query_t *form, client_auth_cb cb, void *arg)
{
    client_auth_start(r, form, true, cb, arg);
}
