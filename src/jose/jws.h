/* Compact JWS (RFC 7515 §7.1): signing the tokens we issue and verifying tokens we are given.
 * Claims (exp, iss, aud...) are not checked here; that is the caller's next step. */
#ifndef WX_JOSE_JWS_H
#define WX_JOSE_JWS_H

#include <jansson.h>

#include "../util/buf.h"
#include "../util/wx.h"
#include "jwk.h"

#define JWS_MAX_TOKEN 8192 /* longest token jws_verify looks at */

/* Append header.payload.signature to out, with the header exactly
 * {"alg":"<alg>","typ":"JWT","kid":"<kid>"} (no kid member when the key has none). */
wx_status_t jws_sign(const jwk_t *key, const char *payload, size_t len, wx_buf_t *out,
                     wx_err_t *err);
/* As jws_sign with the caller's header bytes used verbatim (to reproduce published vectors).
 * The header must be a JSON object whose alg is the key's alg. */
wx_status_t jws_sign_with_header(const jwk_t *key, const char *header_json, const char *payload,
                                 size_t len, wx_buf_t *out, wx_err_t *err);

/* Find the key for a token: kid is the header's kid (NULL when absent), alg its alg (already
 * checked against the allowed list). Return NULL when there is no such key. */
typedef const jwk_t *(*jws_key_lookup_fn)(const char *kid, const char *alg, void *arg);

/* Why jws_verify refused a token: callers decide on this value, never on err's wording. */
typedef enum {
    JWS_REASON_OK = 0,          /* verified */
    JWS_REASON_ARG,             /* no token or no lookup given (a bug in the caller) */
    JWS_REASON_TOO_BIG,         /* over JWS_MAX_TOKEN bytes; refused before any parsing */
    JWS_REASON_MALFORMED,       /* not three base64url parts, header or payload not a JSON
                                 * object (or with duplicate members), no alg, kid not a string */
    JWS_REASON_ALG_NONE,        /* alg "none" in any spelling, even when listed */
    JWS_REASON_ALG_NOT_ALLOWED, /* alg not in allowed_algs */
    JWS_REASON_ALG_UNSUPPORTED, /* alg listed but not one we implement */
    JWS_REASON_CRIT,            /* a crit header (we understand no extension) */
    JWS_REASON_B64,             /* an RFC 7797 b64 header */
    JWS_REASON_UNKNOWN_KEY,     /* lookup found no key (kid unknown) */
    JWS_REASON_KEY_ALG,         /* the key found is for another alg than the token's */
    JWS_REASON_SIGNATURE,       /* the signature does not verify */
    JWS_REASON_INTERNAL,        /* our side failed: out of memory, a crypto library error */
} jws_reason_t;

/* A short stable name of a reason ("signature", "unknown_key"...), for logs and tests. */
const char *jws_reason_str(jws_reason_t r);

/* Verify a compact JWS. allowed_algs is a NULL-terminated list ("none" is refused even when
 * listed). The key comes only from lookup and must be for the header's alg; jku, x5u, jwk and x5c
 * headers are ignored, and any crit header is refused. On success the header and payload (both
 * JSON objects) go to *header_out and *payload_out if those are not NULL (caller json_decref()s).
 * *reason (if not NULL) is always set: JWS_REASON_OK on success, else why the token was refused.
 * Statuses: WX_ETOOBIG over JWS_MAX_TOKEN bytes, WX_EINVAL malformed, WX_ENOENT unknown key,
 * WX_EDENIED alg refused, crit, wrong key type or bad signature, others for our own failures. */
wx_status_t jws_verify(const char *token, size_t len, const char *const *allowed_algs,
                       jws_key_lookup_fn lookup, void *arg, json_t **header_out,
                       json_t **payload_out, jws_reason_t *reason, wx_err_t *err);

#endif
