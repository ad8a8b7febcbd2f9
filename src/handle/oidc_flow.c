/* OpenID Connect: login sessions and authorization responses (oidc_flow.h). */
#include "oidc_flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../http/reply.h"
#include "../jose/seal.h"
#include "../proto/authing.h"
#include "../store/writer.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"

#define SESSION_AAD "oidc_session"
#define CODE_LEN 43 /* random base64url-ish letters and digits: 256 bits */

/* The cookie's key: derived from the master key, so the master key itself seals nothing that
 * leaves the server, and a cookie cannot be replayed as any stored secret. */
static bool
session_key(const worker_ctx_t *ctx, seal_key_t *out)
{
    static const char label[] = "wxauth oidc session cookie v1";
    unsigned int n = 0;
    memset(out, 0, sizeof(*out));
    if (!ctx->app->master.set ||
        !HMAC(EVP_sha256(), ctx->app->master.k, SEAL_KEY_LEN, (const unsigned char *)label,
              sizeof(label) - 1, out->k, &n) ||
        n != SEAL_KEY_LEN)
        return false;
    out->set = true;
    return true;
}

/* A session's use (sliding lifetime: a write) on its way through the store writer. */
typedef struct {
    http_req_t *r;
    char sid[STORE_ID_MAX], pool[STORE_ID_MAX];
    int64_t now, idle;
    store_oidc_session_t s;
    bool live;
    oidc_session_cb done;
    void *arg;
} session_use_t;

static wx_status_t
session_use_run(store_t *st, void *arg, wx_err_t *err)
{
    session_use_t *u = arg;
    /* A rerun after a lost COMMIT finds seen_at already at now: the same answer. */
    wx_status_t rc = store_oidc_session_use(st, u->sid, u->now, u->idle, &u->s, err);
    u->live = rc == WX_OK && strcmp(u->s.pool_id, u->pool) == 0;
    if (rc == WX_ENOENT) {
        wx_err_clear(err);
        rc = WX_OK;
    }
    return rc;
}

static void
session_use_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    session_use_t *u = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "oidc_session_read_failed", "rid", u->r->id, "error", err->msg, NULL);
    u->done(u->r, rc == WX_OK && u->live ? &u->s : NULL, rc != WX_OK, u->arg);
    free(u);
}

void
oidc_session_use(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, oidc_session_cb done,
                 void *arg)
{
    char sealed[512], plain[256];
    seal_key_t k;
    wx_err_t err = {0};
    session_use_t *u = NULL;
    bool have = false;
    if (!http_req_cookie(r, OIDC_SESSION_COOKIE, sealed, sizeof(sealed)) || !session_key(ctx, &k))
        goto none;
    u = calloc(1, sizeof(*u));
    have = u && seal_open(&k, SESSION_AAD, sealed, plain, sizeof(plain), &err) == WX_OK &&
           sscanf(plain, "%63s %63s", u->sid, u->pool) == 2 && strcmp(u->pool, pool_id) == 0;
    seal_key_wipe(&k);
    OPENSSL_cleanse(plain, sizeof(plain));
    if (!have)
        goto none;
    u->r = r;
    u->now = wx_now();
    u->idle = ctx->app->cfg->oidc_session_idle;
    u->done = done;
    u->arg = arg;
    if (store_writer_submit(ctx->app->writer, r->worker->base, session_use_run, session_use_done, u,
                            &err) == WX_OK)
        return;
    wx_log(WX_LOG_WARN, "oidc_session_read_failed", "rid", r->id, "error", err.msg, NULL);
    free(u);
    done(r, NULL, true, arg);
    return;
none:
    free(u);
    done(r, NULL, false, arg);
}

typedef struct {
    http_req_t *r;
    char sid[STORE_ID_MAX];
    void (*done)(http_req_t *r, void *arg);
    void *arg;
} session_end_t;

static wx_status_t
session_end_run(store_t *st, void *arg, wx_err_t *err)
{
    session_end_t *e = arg;
    return store_oidc_session_end(st, e->sid, wx_now(), err);
}

static void
session_end_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    session_end_t *e = arg;
    if (rc != WX_OK && rc != WX_ENOENT)
        wx_log(WX_LOG_WARN, "oidc_session_end_failed", "rid", e->r->id, "error", err->msg, NULL);
    void (*done)(http_req_t *, void *) = e->done;
    http_req_t *r = e->r;
    void *darg = e->arg;
    free(e);
    done(r, darg);
}

void
oidc_session_end_async(http_req_t *r, worker_ctx_t *ctx, void (*done)(http_req_t *r, void *arg),
                       void *arg)
{
    char sealed[512], plain[256];
    seal_key_t k;
    wx_err_t err = {0};
    session_end_t *e = NULL;
    bool have = false;
    http_set_cookie(r, OIDC_SESSION_COOKIE, "", 0, ctx->app->cfg->cookie_secure);
    if (!http_req_cookie(r, OIDC_SESSION_COOKIE, sealed, sizeof(sealed)) || !session_key(ctx, &k))
        goto now;
    e = calloc(1, sizeof(*e));
    have = e && seal_open(&k, SESSION_AAD, sealed, plain, sizeof(plain), &err) == WX_OK &&
           sscanf(plain, "%63s", e->sid) == 1;
    seal_key_wipe(&k);
    OPENSSL_cleanse(plain, sizeof(plain));
    if (!have)
        goto now;
    e->r = r;
    e->done = done;
    e->arg = arg;
    if (store_writer_submit(ctx->app->writer, r->worker->base, session_end_run, session_end_done, e,
                            &err) == WX_OK)
        return;
    wx_log(WX_LOG_WARN, "oidc_session_end_failed", "rid", r->id, "error", err.msg, NULL);
now:
    free(e);
    done(r, arg);
}

/* form_post: the page submits itself with one inline handler, allowed by its hash. */
#define FORM_POST_CSP                                                                              \
    "default-src 'none'; script-src 'unsafe-hashes' "                                              \
    "'sha256-ePniVEkSivX/c7XWBGafqh8tSpiRrKiqYeqbG7N1TOE='; base-uri 'none'; "                     \
    "frame-ancestors 'none'"

/* web_message: the page's one script, allowed by its hash; framed only by the client. */
static bool
web_message_csp(const char *redirect_uri, char *out, size_t n)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char b64[48], origin[STORE_URL_MAX];
    if (!oidc_origin_of(redirect_uri, origin, sizeof(origin)) ||
        !EVP_Digest(OIDC_WEB_MESSAGE_SCRIPT, strlen(OIDC_WEB_MESSAGE_SCRIPT), md, &mdlen,
                    EVP_sha256(), NULL) ||
        mdlen != sizeof(md) || EVP_EncodeBlock((unsigned char *)b64, md, 32) != 44)
        return false;
    return wx_snprintf(out, n,
                       "default-src 'none'; script-src 'sha256-%s'; base-uri 'none'; "
                       "form-action 'none'; frame-ancestors %s",
                       b64, origin);
}

static void
reply_response(http_req_t *r, worker_ctx_t *ctx, const char *redirect_uri, const oidc_request_t *q,
               const char *code, const char *error, const char *description, const char *state)
{
    wx_buf_t b;
    wx_status_t rc;
    char csp[STORE_URL_MAX + 200];
    wx_buf_init(&b, 16384);
    if (q->form_post) {
        rc =
            oidc_response_form(&b, redirect_uri, code, error, description, state, ctx->app->issuer);
        if (rc == WX_OK) {
            http_add_header(r, "Content-Security-Policy", FORM_POST_CSP);
            http_add_header(r, "Cache-Control", "no-store");
            http_reply_raw(r, 200, "text/html; charset=utf-8", wx_buf_str(&b), b.len);
        }
    } else if (q->web_message) {
        rc = web_message_csp(redirect_uri, csp, sizeof(csp))
                 ? oidc_response_message(&b, redirect_uri, code, error, description, state,
                                         ctx->app->issuer)
                 : WX_EINVAL;
        if (rc == WX_OK) {
            http_add_header(r, "Content-Security-Policy", csp);
            http_add_header(r, "Cache-Control", "no-store");
            http_reply_raw(r, 200, "text/html; charset=utf-8", wx_buf_str(&b), b.len);
        }
    } else {
        rc = oidc_response_url(&b, redirect_uri, code, error, description, state, ctx->app->issuer);
        if (rc == WX_OK)
            http_reply_redirect(r, wx_buf_str(&b));
    }
    if (rc != WX_OK)
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED,
                        &(http_page_t){.detail = "The answer to the application could not be "
                                                 "built."});
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    wx_buf_free(&b);
}

void
oidc_reply_error(http_req_t *r, worker_ctx_t *ctx, const char *redirect_uri,
                 const oidc_request_t *q, const char *error, const char *description)
{
    if (!r->outcome || strcmp(r->outcome, "ok") == 0)
        r->outcome = error;
    wx_log(WX_LOG_INFO, "oidc_auth_error", "rid", r->id, "error", error, "description", description,
           NULL);
    reply_response(r, ctx, redirect_uri, q, NULL, error, description, q->state);
}

/* A code (and, at the end of a WeChat login, a new session) on its way to the store: written
 * by the store writer like the rest of the login path, so the event loop never waits on the
 * database's write lock; the answer leaves once they are committed. */
typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    char code[CODE_LEN + 1];
    store_oidc_code_t c;
    bool with_session;
    store_oidc_session_t s;
    char cookie[512]; /* the sealed session cookie */
    oidc_request_t q;
} issue_t;

static void
issue_free(issue_t *is)
{
    OPENSSL_cleanse(is->code, sizeof(is->code));
    OPENSSL_cleanse(is->cookie, sizeof(is->cookie));
    free(is);
}

static wx_status_t
issue_run(store_t *st, void *arg, wx_err_t *err)
{
    issue_t *is = arg;
    wx_status_t rc = WX_OK;
    /* A rerun after a lost COMMIT (store/writer.h) may find the rows its first run committed:
     * session ids and code hashes are 190-256 random bits, so an existing one is ours. */
    bool rerun = store_writer_rerunning();
    if (is->with_session) {
        rc = store_oidc_session_add(st, &is->s, err);
        if (rc == WX_EEXIST && rerun) {
            wx_err_clear(err);
            rc = WX_OK;
        }
    }
    if (rc == WX_OK) {
        rc = store_oidc_code_add(st, &is->c, err);
        if (rc == WX_EEXIST && rerun) {
            wx_err_clear(err);
            rc = WX_OK;
        }
    }
    return rc;
}

static void
issue_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    issue_t *is = arg;
    http_req_t *r = is->r;
    worker_ctx_t *ctx = is->ctx;
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "oidc_code_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        r->outcome = "internal_error";
        oidc_reply_error(r, ctx, is->c.redirect_uri, &is->q, "server_error",
                         "the authorization code could not be stored; try again");
        issue_free(is);
        return;
    }
    if (is->with_session)
        http_set_cookie(r, OIDC_SESSION_COOKIE, is->cookie, (long)ctx->app->cfg->oidc_session_max,
                        ctx->app->cfg->cookie_secure);
    if (!r->outcome || strcmp(r->outcome, "ok_new_user") != 0)
        r->outcome = "ok";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s app=%s", is->c.pool_id, is->c.app_id);
    reply_response(r, ctx, is->c.redirect_uri, &is->q, is->code, NULL, NULL, is->q.state);
    issue_free(is);
}

/* A new session for a user who just signed in with WeChat: its row and sealed cookie, for the
 * writer to add with the code. false (logged) when it cannot be made: the login still ends
 * well, without a session. */
static bool
session_prepare(http_req_t *r, worker_ctx_t *ctx, issue_t *is, const char *pool_id,
                const char *user_id, int64_t auth_time)
{
    char plain[256];
    seal_key_t k;
    wx_err_t err = {0};
    bool ok = false;
    if (!session_key(ctx, &k)) {
        wx_log(WX_LOG_WARN, "oidc_session_failed", "rid", r->id, "error", "no master key", NULL);
        return false;
    }
    if (wx_rand_alnum(is->s.id, 32) != WX_OK)
        goto out;
    wx_strlcpy(is->s.pool_id, pool_id, sizeof(is->s.pool_id));
    wx_strlcpy(is->s.user_id, user_id, sizeof(is->s.user_id));
    is->s.auth_time = auth_time;
    is->s.seen_at = wx_now();
    is->s.expires_at = auth_time + ctx->app->cfg->oidc_session_max;
    wx_snprintf(plain, sizeof(plain), "%s %s", is->s.id, pool_id);
    ok = seal_text(&k, SESSION_AAD, plain, is->cookie, sizeof(is->cookie), &err) == WX_OK;
    if (!ok)
        wx_log(WX_LOG_WARN, "oidc_session_failed", "rid", r->id, "error", err.msg, NULL);
out:
    seal_key_wipe(&k);
    return ok;
}

/* Make the code and hand code (and session) to the writer; the reply follows in issue_done. */
static void
issue_submit(http_req_t *r, worker_ctx_t *ctx, issue_t *is, const char *pool_id, const char *app_id,
             const char *redirect_uri, const char *user_id, int64_t auth_time, const char *sid)
{
    store_oidc_code_t *c = &is->c;
    wx_err_t err = {0};
    is->r = r;
    is->ctx = ctx;
    if (wx_rand_alnum(is->code, CODE_LEN) != WX_OK ||
        wx_sha256_hex(is->code, CODE_LEN, c->hash) != WX_OK) {
        wx_err_set(&err, WX_ECRYPTO, "no random code");
        issue_done(WX_ECRYPTO, &err, is);
        return;
    }
    wx_strlcpy(c->pool_id, pool_id, sizeof(c->pool_id));
    wx_strlcpy(c->app_id, app_id, sizeof(c->app_id));
    wx_strlcpy(c->user_id, user_id, sizeof(c->user_id));
    wx_strlcpy(c->redirect_uri, redirect_uri, sizeof(c->redirect_uri));
    wx_strlcpy(c->code_challenge, is->q.code_challenge, sizeof(c->code_challenge));
    wx_strlcpy(c->nonce, is->q.nonce, sizeof(c->nonce));
    wx_strlcpy(c->scope, is->q.scope, sizeof(c->scope));
    wx_strlcpy(c->sid, sid, sizeof(c->sid));
    c->auth_time = auth_time;
    c->created_at = wx_now();
    c->expires_at = c->created_at + ctx->app->cfg->oidc_code_ttl;
    if (store_writer_submit(ctx->app->writer, r->worker->base, issue_run, issue_done, is, &err) !=
        WX_OK)
        issue_done(err.status ? err.status : WX_EBUSY, &err, is);
}

void
oidc_reply_code(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                const char *redirect_uri, const oidc_request_t *q, const char *user_id,
                int64_t auth_time, const char *sid)
{
    issue_t *is = calloc(1, sizeof(*is));
    if (!is) {
        r->outcome = "internal_error";
        oidc_reply_error(r, ctx, redirect_uri, q, "temporarily_unavailable", "out of memory");
        return;
    }
    is->q = *q;
    issue_submit(r, ctx, is, pool_id, app_id, redirect_uri, user_id, auth_time, sid);
}

void
oidc_login_done(http_req_t *r, worker_ctx_t *ctx, const char *pool_id, const char *app_id,
                const char *redirect_uri, const char *request, const char *user_id,
                int64_t auth_time)
{
    issue_t *is = calloc(1, sizeof(*is));
    if (!is || !oidc_request_parse(request, &is->q)) {
        free(is);
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED,
                        &(http_page_t){.detail = "The login request could not be read; sign in "
                                                 "again from the application."});
        return;
    }
    /* A session lets the pool's other applications sign this user in without WeChat. */
    is->with_session = session_prepare(r, ctx, is, pool_id, user_id, auth_time);
    issue_submit(r, ctx, is, pool_id, app_id, redirect_uri, user_id, auth_time,
                 is->with_session ? is->s.id : "");
}

wx_status_t
oidc_login_error_url(wx_buf_t *out, const app_t *app, const char *redirect_uri, const char *request,
                     int authing_code, const char *message)
{
    oidc_request_t q;
    const char *error = authing_code == AUTHING_CODE_DENIED        ? "access_denied"
                        : authing_code == AUTHING_CODE_BLOCKED     ? "access_denied"
                        : authing_code == AUTHING_CODE_WECHAT_DOWN ? "temporarily_unavailable"
                        : authing_code == AUTHING_CODE_EXPIRED     ? "login_required"
                                                                   : "server_error";
    if (!oidc_request_parse(request, &q))
        memset(&q, 0, sizeof(q));
    /* Errors after WeChat are recorded on the login state as a URL, so they use the query
     * response mode whatever the client asked (a reload replays the same URL). */
    return oidc_response_url(out, redirect_uri, NULL, error, message, q.state, app->issuer);
}
