/* Fuzz driver: JWK and JWKS import (src/jose/jwk_import.c, jwks.c): the input as a key set, and
 * as one public or private JWK. An imported key must have a known alg and give a thumbprint. */
#include "fuzz.h"
#include "jose/jwk.h"

static void
check_key(jwk_t *k)
{
    static const char *const algs[] = {"RS256", "ES256", "EdDSA", "HS256"};
    bool known = false;
    for (size_t i = 0; i < 4; i++)
        known |= strcmp(jwk_alg(k), algs[i]) == 0;
    FUZZ_CHECK(known);
    char tp[JWK_THUMBPRINT_LEN];
    wx_err_t err = {0};
    FUZZ_CHECK(jwk_thumbprint(k, tp, sizeof(tp), &err) == WX_OK);
    json_t *pub = NULL;
    if (jwk_public_json(k, &pub, &err) == WX_OK)
        FUZZ_CHECK(json_object_get(pub, "d") == NULL); /* never a private member */
    json_decref(pub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wx_err_t err = {0};
    jwks_t *set = NULL;
    if (jwks_parse((const char *)data, size, &set, &err) == WX_OK) {
        FUZZ_CHECK(jwks_count(set) <= JWKS_MAX_KEYS);
        (void)jwks_find(set, NULL);
        (void)jwks_lookup("a", "RS256", set);
        jwks_free(set);
    }
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (j) {
        jwk_t *k = NULL;
        if (jwk_import_json(j, &k, &err) == WX_OK) {
            check_key(k);
            jwk_free(k);
        }
        k = NULL;
        if (jwk_import_private_json(j, &k, &err) == WX_OK) {
            check_key(k);
            jwk_free(k);
        }
        json_decref(j);
    }
    return 0;
}
