/* Client authentication for introspection and revocation (RFC 6749 §2.3.1): an application id
 * and its secret, by HTTP Basic (client_secret_basic) or in the form (client_secret_post). The
 * secret is compared in constant time with the sealed one in the store. */
#include "client_auth.h"

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

client_auth_t
client_authenticate(worker_ctx_t *ctx, http_req_t *r, const wx_query_t *form, store_app_t *app)
{
    char id[STORE_ID_MAX] = "", secret[STORE_SECRET_PLAIN_MAX + 1] = "";
    char stored[STORE_SECRET_PLAIN_MAX + 1] = "", aad[STORE_ID_MAX + 16];
    wx_err_t err = {0};
    client_auth_t res = CLIENT_AUTH_DENIED;
    const char *h = http_req_header(r, "Authorization");
    const char *fid = wx_query_get(form, "client_id");
    const char *fsec = wx_query_get(form, "client_secret");
    if (h && strncasecmp(h, "Basic ", 6) == 0) {
        if (!parse_basic(h, id, sizeof(id), secret, sizeof(secret)))
            goto out;
    } else if (fid || fsec) {
        if (!fid || !fsec || !wx_strlcpy(id, fid, sizeof(id)) ||
            !wx_strlcpy(secret, fsec, sizeof(secret)))
            goto out;
    } else {
        res = CLIENT_AUTH_NONE;
        goto out;
    }
    if (store_app_get(ctx->store, id, app, &err) != WX_OK || !app->secret[0])
        goto out;
    wx_snprintf(aad, sizeof(aad), "app_secret:%s", app->id);
    if (seal_open(&ctx->app->master, aad, app->secret, stored, sizeof(stored), &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", r->id, "app", app->id, "error",
               err.msg, NULL);
        goto out;
    }
    if (wx_ct_equal(secret, strlen(secret), stored, strlen(stored)))
        res = CLIENT_AUTH_OK;
out:
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(stored, sizeof(stored));
    OPENSSL_cleanse(app->secret, sizeof(app->secret));
    if (res == CLIENT_AUTH_DENIED)
        wx_log(WX_LOG_WARN, "client_auth_failed", "rid", r->id, "client", id, NULL);
    return res;
}
