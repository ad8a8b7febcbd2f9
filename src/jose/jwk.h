/* JSON Web Keys (RFC 7517/7518, RFC 8037 for Ed25519): our signing keys, the public JWKs we
 * publish, and key sets (JWKS) we read. Four algorithms only, each tied to one key type:
 * RS256 (RSA >= 2048 bits), ES256 (P-256), EdDSA (Ed25519) and HS256 (oct secret). A key's alg
 * is fixed when it is made, so a key can never be used with another algorithm. */
#ifndef WX_JOSE_JWK_H
#define WX_JOSE_JWK_H

#include <jansson.h>

#include "../util/buf.h"
#include "../util/wx.h"

typedef struct jwk jwk_t;
typedef struct jwks jwks_t;

#define JWK_KID_MAX 256       /* longest kid we take */
#define JWK_THUMBPRINT_LEN 44 /* 43 base64url characters + NUL */
#define JWK_HMAC_MIN 32       /* RFC 7518 §3.2: an HS256 key is at least the hash size */
#define JWK_HMAC_MAX 512
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 8192
#define JWK_PEM_MAX 65536
#define JWKS_MAX_KEYS 64
#define JWKS_MAX_BYTES 65536

/* A fresh key pair for alg "RS256" (RSA 2048), "ES256" (P-256) or "EdDSA" (Ed25519).
 * kid NULL means the RFC 7638 thumbprint. */
wx_status_t jwk_generate(const char *alg, const char *kid, jwk_t **out, wx_err_t *err);

/* A private key from PEM (PKCS#8 "PRIVATE KEY"; OpenSSL's traditional RSA/EC forms are read too;
 * encrypted PEM is refused, never prompted for). alg NULL infers it from the key type; otherwise
 * the key type must match. kid NULL means the RFC 7638 thumbprint. */
wx_status_t jwk_from_pem(const char *pem, const char *kid, const char *alg, jwk_t **out,
                         wx_err_t *err);
/* Append the private key as unencrypted PKCS#8 PEM. Refused for oct and public-only keys. */
wx_status_t jwk_to_pem(const jwk_t *k, wx_buf_t *out, wx_err_t *err);

/* An HS256 key from a shared secret of JWK_HMAC_MIN..JWK_HMAC_MAX bytes. kid may be NULL. */
wx_status_t jwk_from_secret(const unsigned char *secret, size_t n, const char *kid, jwk_t **out,
                            wx_err_t *err);

/* The public JWK to publish: {kty,use:"sig",alg,kid,n,e | crv,x,y | crv,x}. Never holds private
 * members; refused for oct keys (secrets are never published). Caller json_decref()s *out. */
wx_status_t jwk_public_json(const jwk_t *k, json_t **out, wx_err_t *err);

/* Import a public JWK (RSA, EC P-256, OKP Ed25519; private members are ignored) or an oct key
 * (its k is the secret). "use" other than "sig", an "alg" that does not fit the key type, RSA
 * under JWK_RSA_MIN_BITS and points not on the curve are refused. */
wx_status_t jwk_import_json(const json_t *jwk, jwk_t **out, wx_err_t *err);
/* As jwk_import_json but for private JWKs (RSA needs d,p,q,dp,dq,qi; EC and OKP need d), checked
 * against their public halves. For tests and tooling: the server itself keeps keys as PEM. */
wx_status_t jwk_import_private_json(const json_t *jwk, jwk_t **out, wx_err_t *err);

/* RFC 7638 SHA-256 thumbprint, base64url, into out (at least JWK_THUMBPRINT_LEN bytes). */
wx_status_t jwk_thumbprint(const jwk_t *k, char *out, size_t n, wx_err_t *err);

/* The key's kid ("" when it has none, never NULL) and alg ("RS256", "ES256", "EdDSA", "HS256"). */
const char *jwk_kid(const jwk_t *k);
const char *jwk_alg(const jwk_t *k);
void jwk_free(jwk_t *k);

/* Parse a {"keys":[...]} document (at most JWKS_MAX_BYTES and JWKS_MAX_KEYS entries). Keys we
 * cannot use for signatures (other kty, curve or alg, use other than "sig", and oct keys, which
 * have no place in a public document) are skipped; a malformed key of a type we do use, or two
 * keys with one kid, fails the whole document. */
wx_status_t jwks_parse(const char *json, size_t len, jwks_t **out, wx_err_t *err);
/* The key with this kid, or NULL. kid NULL finds the key only when the set holds exactly one. */
const jwk_t *jwks_find(const jwks_t *s, const char *kid);
size_t jwks_count(const jwks_t *s);
void jwks_free(jwks_t *s);
/* A jws_key_lookup_fn over a jwks_t (arg): jwks_find by kid, NULL unless the key's alg is alg. */
const jwk_t *jwks_lookup(const char *kid, const char *alg, void *arg);

#endif
