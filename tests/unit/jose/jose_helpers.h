/* Helpers shared by the jose unit tests: import a JWK from JSON text, generate a key, sign with
 * a caller-chosen header, and a lookup that hands out one key and remembers what it was asked.
 * static inline, so a test that uses only some of them builds without unused-function errors. */
#ifndef TEST_JOSE_HELPERS_H
#define TEST_JOSE_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "jose/jwk.h"
#include "jose/jws.h"
#include "util/buf.h"

typedef struct {
    const jwk_t *key;
    int calls;
    char kid[64];
    char alg[16];
} one_key_t;

static inline const jwk_t *
lookup_one(const char *kid, const char *alg, void *arg)
{
    one_key_t *o = arg;
    o->calls++;
    snprintf(o->kid, sizeof(o->kid), "%s", kid ? kid : "(null)");
    snprintf(o->alg, sizeof(o->alg), "%s", alg);
    return o->key;
}

static inline jwk_t *
import(const char *s, bool private)
{
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    jwk_t *k = NULL;
    wx_err_t err = {0};
    assert_non_null(j);
    if ((private ? jwk_import_private_json(j, &k, &err) : jwk_import_json(j, &k, &err)) != WX_OK)
        fail_msg("import failed: %s (%s)", err.msg, err.detail);
    json_decref(j);
    return k;
}

static inline jwk_t *
generate(const char *alg, const char *kid)
{
    jwk_t *k = NULL;
    wx_err_t err = {0};
    if (jwk_generate(alg, kid, &k, &err) != WX_OK)
        fail_msg("generate failed: %s", err.msg);
    return k;
}

/* Sign with a caller-chosen header; the token goes to a fresh heap string. */
static inline char *
sign_hdr(const jwk_t *k, const char *header, const char *payload)
{
    wx_buf_t b;
    wx_err_t err = {0};
    wx_buf_init(&b, 16384);
    if (jws_sign_with_header(k, header, payload, strlen(payload), &b, &err) != WX_OK)
        fail_msg("sign failed: %s (%s)", err.msg, header);
    return wx_buf_steal(&b);
}

#endif
