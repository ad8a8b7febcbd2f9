/* JWK Sets (RFC 7517 §5): the {"keys":[...]} documents we read to verify tokens. A set is
 * bounded in bytes and keys, keys we cannot use are skipped so a provider adding a new key type
 * does not break us, and kids must be unique so a token's kid names exactly one key. */
#include "jwk_internal.h"

#include <stdlib.h>
#include <string.h>

struct jwks {
    jwk_t *keys[JWKS_MAX_KEYS];
    size_t count;
};

wx_status_t
jwks_parse(const char *json, size_t len, jwks_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    jwks_t *s = NULL;
    json_t *root = NULL;
    const json_t *keys = NULL;
    json_error_t jerr;

    *out = NULL;
    if (!json) {
        rc = wx_err_set(err, WX_EINVAL, "no JWKS given");
        goto out;
    }
    if (len > JWKS_MAX_BYTES) {
        rc = wx_err_set(err, WX_ETOOBIG, "JWKS document is too large");
        wx_err_detail(err, "%zu bytes, at most %d", len, JWKS_MAX_BYTES);
        goto out;
    }
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = wx_err_set(err, WX_EINVAL, "JWKS is not valid JSON");
        wx_err_detail(err, "%s at %d:%d", jerr.text, jerr.line, jerr.column);
        goto out;
    }
    keys = json_object_get(root, "keys");
    if (!json_is_array(keys)) {
        rc = wx_err_set(err, WX_EINVAL, "JWKS has no keys array");
        goto out;
    }
    if (json_array_size(keys) > JWKS_MAX_KEYS) {
        rc = wx_err_set(err, WX_ETOOBIG, "JWKS has more than %d keys", JWKS_MAX_KEYS);
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *j = json_array_get(keys, i);
        jwk_t *k = NULL;
        if (!json_is_object(j)) {
            rc = wx_err_set(err, WX_EINVAL, "JWKS key %zu is not an object", i);
            goto out;
        }
        if (!jwk_json_usable(j))
            continue;
        rc = jwk_import_json(j, &k, err);
        if (rc != WX_OK) {
            wx_err_detail(err, "JWKS key %zu", i);
            goto out;
        }
        s->keys[s->count++] = k;
        for (size_t m = 0; k->kid && m + 1 < s->count; m++) {
            if (s->keys[m]->kid && strcmp(s->keys[m]->kid, k->kid) == 0) {
                rc = wx_err_set(err, WX_EINVAL, "JWKS has two keys with one kid");
                wx_err_detail(err, "kid=%.64s", k->kid);
                goto out;
            }
        }
    }
    *out = s;
    s = NULL;
out:
    jwks_free(s);
    json_decref(root);
    return rc;
}

const jwk_t *
jwks_find(const jwks_t *s, const char *kid)
{
    if (!s)
        return NULL;
    if (!kid)
        return s->count == 1 ? s->keys[0] : NULL;
    for (size_t i = 0; i < s->count; i++)
        if (s->keys[i]->kid && strcmp(s->keys[i]->kid, kid) == 0)
            return s->keys[i];
    return NULL;
}

size_t
jwks_count(const jwks_t *s)
{
    return s ? s->count : 0;
}

void
jwks_free(jwks_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->count; i++)
        jwk_free(s->keys[i]);
    free(s);
}

const jwk_t *
jwks_lookup(const char *kid, const char *alg, void *arg)
{
    const jwk_t *k = jwks_find(arg, kid);
    if (!k || !alg || strcmp(jwk_alg(k), alg) != 0)
        return NULL;
    return k;
}
