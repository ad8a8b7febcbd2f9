/* Issuing and checking the tokens wxauthd signs. One check serves every online endpoint
 * (validate_token, introspection, me, login-status, /auth/check), so they accept and refuse
 * exactly the same tokens. */
#ifndef WX_HANDLE_TOKEN_H
#define WX_HANDLE_TOKEN_H

#include <jansson.h>

#include "../util/buf.h"
#include "ctx.h"

typedef enum {
    TOKEN_OK = 0,
    TOKEN_MISSING,   /* no token given */
    TOKEN_TOO_BIG,   /* over JWS_MAX_TOKEN: refused before any work */
    TOKEN_MALFORMED, /* not a compact JWS we can read */
    TOKEN_BAD_KEY,   /* unknown kid, alg not allowed, wrong key type */
    TOKEN_BAD_SIG,   /* signature does not verify */
    TOKEN_EXPIRED,
    TOKEN_NOT_YET,
    TOKEN_BAD_CLAIMS, /* iss, aud, missing exp/jti */
    TOKEN_REVOKED,
    TOKEN_ERROR, /* our side failed (store); not the token's fault */
} token_status_t;

typedef struct {
    token_status_t status;
    const char *why; /* short reason (static), safe to show */
    json_t *payload; /* TOKEN_OK: the claims, read-only (shared with the verified-token cache;
                        token_result_free releases them) */
    char jti[64];
    int64_t exp;
} token_result_t;

/* Sign payload for a login: the application's secret when it opted into HS256 (Authing
 * compatibility), else the pool's alg and current key. */
wx_status_t token_sign(worker_ctx_t *ctx, const char *pool_alg, const char *app_id,
                       const char *payload, wx_buf_t *out, wx_err_t *err);
/* Called with the check's result on the request's loop, maybe before token_check returns.
 * The result's payload is released after cb returns: json_incref what must outlive it. */
typedef void (*token_check_cb)(http_req_t *r, token_result_t *res, void *arg);
/* Verify signature, claims (iss = ours, audience when given), that aud is the token's pool or an
 * application of it (for HS256, the application whose secret signed it), and revocation. The
 * store's "not revoked" answer may come from the worker's cache: a revocation through this
 * process is seen at once, one through another process within TOKEN_REVOCATION_TTL_MS. What
 * needs the store is read off the loop (handle/reads.h), then cb gets the result. */
void token_check(http_req_t *r, const char *token, const char *audience, token_check_cb cb,
                 void *arg);
/* token_check with revocation read from the store whatever is cached: for revoking, whose
 * answer says whether the token was already revoked. */
void token_check_fresh(http_req_t *r, const char *token, const char *audience, token_check_cb cb,
                       void *arg);
void token_result_free(token_result_t *r);
/* The token of "Authorization: Bearer <token>", or NULL. */
const char *token_from_bearer(http_req_t *r);
/* Log one refused token (never the token itself). */
void token_log_refusal(http_req_t *r, const char *endpoint, const token_result_t *res);

#endif
