/* Fuzz driver: compact JWS verification (jws_verify, src/jose/jws.c) with the four algorithms
 * allowed and a key of each kind known by kid. Mostly finds crashes in the parsing before the
 * signature check; a success must hand back two JSON objects, a refusal a reason. */
#include "fuzz.h"
#include "jose/jws.h"

static jwk_t *keys[4];

static const jwk_t *
lookup(const char *kid, const char *alg, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < 4; i++)
        if (keys[i] && strcmp(jwk_alg(keys[i]), alg) == 0 &&
            (!kid || !strcmp(jwk_kid(keys[i]), kid)))
            return keys[i];
    return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    wx_err_t err = {0};
    static const unsigned char secret[32] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-!";
    if (jwk_from_secret(secret, sizeof(secret), "hs", &keys[0], &err) != WX_OK ||
        jwk_generate("ES256", "es", &keys[1], &err) != WX_OK ||
        jwk_generate("EdDSA", "ed", &keys[2], &err) != WX_OK ||
        jwk_generate("RS256", "rs", &keys[3], &err) != WX_OK)
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const algs[] = {"RS256", "ES256", "EdDSA", "HS256", "none", NULL};
    json_t *h = NULL, *p = NULL;
    wx_err_t err = {0};
    jws_reason_t why = JWS_REASON_INTERNAL;
    wx_status_t rc = jws_verify((const char *)data, size, algs, lookup, NULL, &h, &p, &why, &err);
    if (rc == WX_OK)
        FUZZ_CHECK(json_is_object(h) && json_is_object(p) && why == JWS_REASON_OK);
    else /* every refusal says why, and is never "our failure" for input alone */
        FUZZ_CHECK(h == NULL && p == NULL && err.msg[0] != '\0' && why != JWS_REASON_OK &&
                   why != JWS_REASON_INTERNAL && why != JWS_REASON_ARG);
    json_decref(h);
    json_decref(p);
    return 0;
}
