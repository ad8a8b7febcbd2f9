/* The OpenID Connect provider's pieces shared by its endpoints and the WeChat callback
 * (docs/oidc.md): the login session at wxauthd (a sealed cookie naming a session row), and
 * the authorization response that ends a login started at /oidc/auth. */
#ifndef WX_HANDLE_OIDC_FLOW_H
#define WX_HANDLE_OIDC_FLOW_H

#include "../proto/oidc.h"
#include "ctx.h"

#define OIDC_SESSION_COOKIE "wxauth_session"

/* The live login session of this browser in pool_id, its use counted (sliding lifetime) by
 * the store writer; then done on r's loop (maybe before this returns) with the session, or
 * NULL when there is none (no cookie, not ours, ended, expired, another pool); failed when
 * the store could not say. */
typedef void (*oidc_session_cb)(http_req_t *r, const store_oidc_session_t *sess, bool failed,
                                void *arg);
void oidc_session_use(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, oidc_session_cb done,
                      void *arg);
/* End the browser's session (logout): the row by the store writer, then done(r, arg) on r's
 * loop (the cookie is cleared on r's reply either way; a failed write is logged, and the
 * session then only lives until it expires). done may run before this returns. */
void oidc_session_end_async(http_req_t *r, worker_ctx_t *ctx,
                            void (*done)(http_req_t *r, void *arg), void *arg);

/* Answer the client at redirect_uri (query or form_post) with a new authorization code for
 * this user (written by the store writer first), or with an error. */
void oidc_reply_code(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                     const char *redirect_uri, const oidc_request_t *q, const char *user_id,
                     int64_t auth_time, const char *sid);
void oidc_reply_error(http_req_t *r, worker_ctx_t *ctx, const char *redirect_uri,
                      const oidc_request_t *q, const char *error, const char *description);

/* The end of a WeChat login that /oidc/auth started (callback.c): a session and a code, written
 * together by the store writer, and the browser back at the client. */
void oidc_login_done(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                     const char *redirect_uri, const char *request, const char *user_id,
                     int64_t auth_time);
/* Where a failed WeChat login of /oidc/auth sends the browser: redirect_uri with error
 * (access_denied when the user declined, else temporarily_unavailable / server_error). */
wx_status_t oidc_login_error_url(wx_buf_t *out, const app_t *app, const char *redirect_uri,
                                 const char *request, int authing_code, const char *message);

#endif
