/* Helpers for the token tests (test_tokens.c, test_interop.c): HTTP requests with headers and
 * bodies, logins that hand back the token, the env's signing keys opened from its store with
 * its master key (as only the server could, so a forged token is validly signed and only the
 * rule under test can refuse it), and one call per direction that asserts a token is accepted,
 * or refused with one exact reason, by every online endpoint: validate_token, introspection,
 * /oidc/me, login-status and /auth/check. */
#ifndef WXT_HARNESS_TOKENS_H
#define WXT_HARNESS_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "harness.h"
#include "jose/jwk.h"
#include "store/store.h"

typedef struct {
    long status;
    char *body;
    char *www_authenticate; /* WWW-Authenticate, or NULL */
    char *request_id;       /* X-Request-Id, or NULL */
    char *user_id;          /* X-Wxauth-User-Id, or NULL */
    long ms;                /* wall time of the request */
} wxtk_resp_t;

/* One request; headers is a NULL-terminated list of "Name: value" (may be NULL), body is sent
 * as is when not NULL. Returns 0, or -1 when no answer came (connection or 30 s timeout). */
int wxtk_http(const char *method, const char *url, const char *const *headers, const char *body,
              wxtk_resp_t *out);
void wxtk_resp_free(wxtk_resp_t *r);
/* Percent-encode every byte that is not unreserved (caller frees). */
char *wxtk_escape(const char *s);
/* The response body as JSON; fails the test when it is not. */
json_t *wxtk_json(const wxtk_resp_t *r);

/* Add (or update) an emulated WeChat user. Tests give each case its own person so that blocking,
 * revoking or a pool's (appid, openid) binding never leak from one case into another. */
void wxtk_person_add(wxt_env_t *e, const char *id, const char *nickname);
/* Log person in through start_path (appended to e->auth) and return the login's data object,
 * asserting code 200. Caller json_decref()s. */
json_t *wxtk_login(wxt_env_t *e, const char *start_path, const char *person);
/* As wxtk_login, returning data.token (caller frees) and the user id in sub. */
char *wxtk_login_token(wxt_env_t *e, const char *start_path, const char *person, char *sub,
                       size_t subn);

/* Run the CLI, assert exit 0, return its stdout (caller frees). */
char *wxtk_cli_ok(wxt_env_t *e, const char *const *argv);
/* `wxauth app create …` (argv), asserting success; the printed application secret into secret. */
void wxtk_app_create(wxt_env_t *e, const char *const *argv, char secret[65]);
/* A pool signing with alg, with the WeChat connection of the emulator's main account. */
void wxtk_pool_with_connection(wxt_env_t *e, const char *pool, const char *alg);
/* The last run of exactly 64 hex digits in text (an application secret). */
bool wxtk_find_secret(const char *text, char out[65]);

/* The decoded header (0) or payload (1) of a compact JWS; fails the test when unreadable. */
json_t *wxtk_part(const char *token, int index);
/* base64url of n bytes (caller frees). */
char *wxtk_b64(const void *p, size_t n);
/* BASE64URL(header) . BASE64URL(payload) . sig64, verbatim (caller frees). */
char *wxtk_craft(const char *header, const char *payload, const char *sig64);
/* Sign payload with k: header NULL gives jws_sign's own header, else header bytes verbatim
 * (their alg must be k's). Caller frees. */
char *wxtk_sign(const jwk_t *k, const char *header, const json_t *payload);
/* An HS256 token over header/payload with any secret bytes at all (caller frees). */
char *wxtk_sign_hmac(const char *header, const json_t *payload, const void *secret, size_t n);

/* The env's store (caller store_close()s). */
store_t *wxtk_store(wxt_env_t *e);
/* The private PEM (caller frees) or key of a signing key in the env's store, by kid, opened with
 * the env's master key. */
char *wxtk_key_pem(wxt_env_t *e, const char *kid);
jwk_t *wxtk_key(wxt_env_t *e, const char *kid);

/* Does wxauthd's log have a line holding every one of the given strings (NULL-terminated)? */
bool wxtk_log_has(wxt_env_t *e, const char *const *needles);

/* An application of the token's pool, for introspection's client authentication, and the
 * audience its pool's tokens carry, which the offline leg (libwxauth through `wxauth token
 * verify`) requires. */
typedef struct {
    const char *id;
    const char *secret;
    const char *pool;
} wxtk_client_t;

/* Every online endpoint accepts token as a token of user sub, and so does libwxauth offline
 * (JWKS, our issuer, the token's own audience; HS256 tokens excepted: their key is secret). */
void wxtk_expect_valid(wxt_env_t *e, const wxtk_client_t *c, const char *what, const char *token,
                       const char *sub);
/* Every online endpoint refuses token; reason is the exact one validate_token and /oidc/me give
 * ("token expired", "bad signature", ...). what names the case in failure messages. libwxauth
 * (offline: JWKS, our issuer, audience c->pool) must refuse it too, except for what only the
 * server can know or demands beyond RFC 7519: revocation and the user's state, a jti, and an
 * audience array that holds ours. */
void wxtk_expect_refused(wxt_env_t *e, const wxtk_client_t *c, const char *what, const char *token,
                         const char *reason);
/* The user or token was changed in the store by another process (this test), in a write that
 * returned at written_ms (wx_mono_ms): wxauthd's workers may trust their last "not revoked" answer
 * for TOKEN_REVOCATION_TTL_MS (src/handle/token_cache.h), no longer. Polls /auth/check until it
 * refuses (failing past the bound), then, once the bound has passed for every worker, expects
 * every endpoint to refuse as wxtk_expect_refused does. */
void wxtk_expect_refused_within_bound(wxt_env_t *e, const wxtk_client_t *c, const char *what,
                                      const char *token, const char *reason, int64_t written_ms);

#endif
