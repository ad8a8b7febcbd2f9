/* The key object as jwk.c, jwk_import.c, jwks.c and jws.c see it. Nothing outside src/jose
 * includes this file. */
#ifndef WX_JOSE_JWK_INTERNAL_H
#define WX_JOSE_JWK_INTERNAL_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "jwk.h"

typedef enum {
    JWK_ALG_UNKNOWN = 0,
    JWK_ALG_RS256,
    JWK_ALG_ES256,
    JWK_ALG_EDDSA,
    JWK_ALG_HS256,
} jwk_alg_t;

struct jwk {
    jwk_alg_t alg;         /* also decides the key type: one alg per key, for life */
    EVP_PKEY *pkey;        /* RS256, ES256, EdDSA */
    unsigned char *secret; /* HS256 */
    size_t secret_len;
    bool has_private; /* pkey holds the private half (or this is a secret) */
    char *kid;        /* NULL when none */
};

/* "RS256" etc. to jwk_alg_t (JWK_ALG_UNKNOWN for anything else, "none" included) and back. */
jwk_alg_t jwk_alg_from_name(const char *name);
const char *jwk_alg_name(jwk_alg_t alg);

/* A zeroed key for alg with a copy of kid (NULL for none; must be 1..JWK_KID_MAX bytes). */
wx_status_t jwk_new(jwk_alg_t alg, const char *kid, jwk_t **out, wx_err_t *err);

/* Check that pkey is the key type and size alg demands. */
wx_status_t jwk_pkey_check(const EVP_PKEY *pkey, jwk_alg_t alg, wx_err_t *err);

/* Set err from the OpenSSL error queue (its text goes to the log-only detail) and empty the
 * queue, so a stale error never shows up against a later call on this thread. */
wx_status_t jose_ossl_err(wx_err_t *err, wx_status_t st, const char *msg);

/* Whether a JWK object is one jwks_parse should import rather than skip. */
bool jwk_json_usable(const json_t *jwk);

#endif
