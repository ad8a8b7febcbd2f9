/* The WeChat callback (DESIGN.md §1): claim the state once, exchange the code, fetch the
 * profile (snsapi_userinfo), then end the login in one transaction — user, identity, login
 * count, audit row and the state's outcome commit together or not at all — and only then sign
 * the token and send the browser to the business callback. Written as continuations on the
 * worker's loop:
 *   handle_callback -> (writer) on_claimed -> (read) exchange_code_read -> on_token ->
 *   on_userinfo -> (read) finish_success_read -> (writer) on_ended
 * The claim and the end go through the process's store writer (store/writer.h), so the loop
 * never waits on the database's write lock; its reads (pool, connection, application, a
 * reload's user) go through handle/reads.h, so it never waits on a remote database either;
 * WeChat calls hold no thread. Every outcome
 * is recorded on the state, so a WebView that loads the callback twice gets the same answer. */
#include "ctx.h"
#include "reads.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../jose/jwk.h"
#include "../jose/jws.h"
#include "../jose/seal.h"
#include "../proto/authing.h"
#include "../proto/login_record.h"
#include "../store/writer.h"
#include "desktop.h"
#include "desktop_ticket.h"
#include "oidc_flow.h"
#include "token.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "../util/url.h"

#define POLL_INTERVAL_MS 100
#define POLL_MAX_MS 15000
#define RESULT_URL_MAX 16383 /* the success redirect, with the user object and the token */
/* A state's result when its target was no longer allowed at the callback (never a URL). */
#define RESULT_TARGET_REFUSED "refused:redirect_not_allowed"

/* The end of a login, run on the writer thread (end_run) and read back on the loop. */
typedef struct {
    store_wechat_login_t in; /* points into the login_t */
    char *error_url;         /* errors: the redirect to record; success: the blocked one */
    const char *outcome;     /* errors: the audit outcome */
    login_record_t rec;      /* success: what the token is made of */
    store_user_t user;       /* success: the row after the login */
    bool blocked;            /* success asked, but the user is blocked: error_url recorded */
    char *other_url;         /* success of a ticket's phone: the "not the follower" page */
    bool not_follower;       /* a follow ticket's link opened by another user: other_url */
    int code;                /* errors: the result code and message, for a popup's page */
    char message[512];
} login_end_t;

/* The claimed state, without its outcome (a reload's outcome is kept only while it is used). */
typedef struct {
    char id[STORE_ID_MAX];
    char pool_id[STORE_ID_MAX];
    char conn_identifier[STORE_IDENT_MAX];
    char app_id[STORE_ID_MAX];
    char redirect[STORE_URL_MAX];
    char scope[32];
    char options[256];
    int64_t claimed_at;
    store_state_status_t status;
    char claim_owner[STORE_ID_MAX]; /* the process working on it (store nodes) */
    char *result;                   /* a reload of a finished login only */
    char *oidc;                     /* a login of /oidc/auth: the client's request, else NULL */
} login_state_t;

/* One login in flight: only what the next step needs (issue #10 memory target). */
typedef struct login {
    http_req_t *r;
    worker_ctx_t *ctx;
    char state_id[STORE_ID_MAX];
    char browser[65];
    char identifier[STORE_IDENT_MAX];
    char code[256];
    char ip[64];
    int64_t poll_until_ms;
    int64_t owner_seen_at;  /* the claim owner's heartbeat when last read */
    int64_t owner_watch_ms; /* since when it has not changed (0: not watched yet) */
    bool counted;           /* holds a slot of ctx->logins_inflight */
    int64_t claim_now;      /* the time this claim was made with (a rerun makes it again) */
    bool claimed_once;      /* the claim job's first run (not a rerun) claimed the state */
    login_state_t state;
    store_state_t *claim;     /* while the claim is with the writer */
    char appid[STORE_ID_MAX]; /* the connection's WeChat App ID */
    char pool_alg[16];
    int64_t token_ttl;
    wechat_token_t tok;
    wechat_userinfo_t *ui; /* snsapi_userinfo only, once WeChat answered */
    login_end_t *end;      /* while the end is with the writer, and after */
    conf_fetch_t *conf;    /* pool, connection and application as last read (reads.h) */
    void (*conf_next)(struct login *l);
} login_t;

static void
login_free(void *p)
{
    login_t *l = p;
    if (l->counted)
        l->ctx->logins_inflight--;
    prom_family_inc(&l->r->worker->metrics->logins, l->r->outcome); /* how the login ended */
    OPENSSL_cleanse(&l->tok, sizeof(l->tok)); /* WeChat access and refresh tokens */
    OPENSSL_cleanse(l->code, sizeof(l->code));
    free(l->ui);
    free(l->claim);
    free(l->state.result);
    free(l->state.oidc);
    if (l->end) {
        free(l->end->error_url);
        free(l->end->other_url);
    }
    free(l->end);
    if (l->conf)
        conf_fetch_clear(l->conf);
    free(l->conf);
    free(l);
}

/* The configuration read is used up: not kept while the login waits on WeChat (~11 KB). */
static void
login_conf_drop(login_t *l)
{
    if (l->conf) {
        conf_fetch_clear(l->conf);
        free(l->conf);
        l->conf = NULL;
    }
}

static void
login_conf_done(void *arg)
{
    login_t *l = arg;
    l->conf_next(l);
}

/* Read the login's pool, connection and application as they are now (off the loop), then
 * next(l): l->conf holds them, each with its status. */
static void
login_conf_read(login_t *l, void (*next)(login_t *l))
{
    if (!l->conf && !(l->conf = malloc(sizeof(*l->conf)))) {
        l->r->outcome = "internal_error";
        http_reply_page(l->r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    memset(l->conf, 0, sizeof(*l->conf));
    wx_strlcpy(l->conf->pool_id, l->state.pool_id, sizeof(l->conf->pool_id));
    wx_strlcpy(l->conf->identifier, l->state.conn_identifier, sizeof(l->conf->identifier));
    wx_strlcpy(l->conf->app_id, l->state.app_id, sizeof(l->conf->app_id));
    l->conf_next = next;
    conf_fetch(l->r->worker, l->conf, login_conf_done, l);
}

static wx_status_t
audit_add(store_t *st, login_t *l, const char *actor, const char *outcome, wx_err_t *err)
{
    store_audit_t a = {.at = wx_now(),
                       .pool_id = l->state.pool_id,
                       .actor = actor,
                       .action = "login",
                       .subject = l->tok.openid[0] ? l->tok.openid : NULL,
                       .outcome = outcome};
    return store_audit_add(st, &a, err);
}

static void
log_fields(login_t *l, const char *outcome)
{
    l->r->outcome = outcome;
    wx_snprintf(l->r->log_extra, sizeof(l->r->log_extra), "pool=%s conn=%s app=%s",
                l->state.pool_id, l->state.conn_identifier, l->state.app_id);
}

/* ---- the end of a login, on the writer thread ---- */

/* A login record is as good as the token it rebuilds (issue #12 item 7): it is kept sealed
 * under the master key, bound to its state ("login_record:<state id>") so it opens for that
 * state only. */
#define RECORD_SEALED_MAX SEAL_LEN(512)

static void
record_aad(const char *state_id, char *out, size_t n)
{
    wx_snprintf(out, n, "login_record:%s", state_id);
}

/* The login record a finished state keeps: sealed since issue #12, or in clear when it was
 * written before the upgrade. False (logged) when it neither opens nor parses. */
static bool
record_open(const login_t *l, const char *result, login_record_t *rec)
{
    char record[512], aad[STORE_ID_MAX + 16];
    wx_err_t err = {0};
    bool ok;
    record_aad(l->state.id, aad, sizeof(aad));
    if (seal_is_sealed(result)) {
        ok = seal_open(&l->ctx->app->master, aad, result, record, sizeof(record), &err) == WX_OK;
        /* The request id, never the state id: that is a login capability. */
        if (!ok)
            wx_log(WX_LOG_ERROR, "login_record_unreadable", "rid", l->r->id, "error", err.msg,
                   NULL);
    } else {
        /* A plain result too long for a record is simply not one (an error redirect). */
        ok = wx_strlcpy(record, result, sizeof(record));
    }
    ok = ok && login_record_parse(record, rec);
    OPENSSL_cleanse(record, sizeof(record));
    return ok;
}

/* An error: the audit row and the state's outcome. */
static wx_status_t
end_error_write(store_t *st, login_t *l, wx_err_t *err)
{
    wx_status_t rc = audit_add(st, l, "system", l->end->outcome, err);
    return rc == WX_OK ? store_state_finish(st, l->state.id, l->end->error_url, err) : rc;
}

/* A success: user and identity, audit row and the state's record, all or nothing. */
static const char *state_ticket(const login_state_t *s);

/* A follow ticket's confirmation link is the follower's alone (desktop-login.md): opened by
 * anyone else (a forwarded link; its webpage authorization is silent, snsapi_base), nothing
 * of theirs is recorded, no user made. *follow: the state is a follow ticket's phone. */
static wx_status_t
follower_check(store_t *st, login_t *l, bool *follow, wx_err_t *err)
{
    login_end_t *e = l->end;
    const char *ticket = state_ticket(&l->state);
    char hash[65];
    *follow = false;
    if (!ticket)
        return WX_OK;
    store_ticket_t *t = malloc(sizeof(*t));
    if (!t)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    wx_status_t rc = store_ticket_get(st, ticket, t, err);
    if (rc == WX_ENOENT) { /* desktop.c says so after the login */
        wx_err_clear(err);
        rc = WX_OK;
    } else if (rc == WX_OK && strcmp(t->method, DESKTOP_METHOD_FOLLOW) == 0) {
        *follow = true;
        rc = desktop_follower_hash(e->in.openid, hash);
        if (rc != WX_OK)
            wx_err_set(err, rc, "follower hash failed");
        else
            e->not_follower =
                !t->phone_browser[0] ||
                !wx_ct_equal(hash, strlen(hash), t->phone_browser, strlen(t->phone_browser));
    }
    OPENSSL_cleanse(t, sizeof(*t));
    free(t);
    return rc;
}

static wx_status_t
end_success_write(store_t *st, login_t *l, wx_err_t *err)
{
    login_end_t *e = l->end;
    bool created = false, follow = false;
    wx_status_t rc = follower_check(st, l, &follow, err);
    if (rc != WX_OK)
        return rc;
    if (e->not_follower) {
        if (!e->other_url)
            return wx_err_set(err, WX_EINVAL, "no page for another user's link");
        return store_state_finish(st, l->state.id, e->other_url, err);
    }
    rc = store_user_upsert_wechat(st, &e->in, &e->user, &created, err);
    if (rc == WX_EDENIED) {
        e->blocked = true;
        wx_err_clear(err);
        if ((rc = audit_add(st, l, "system", "blocked", err)) != WX_OK)
            return rc;
        /* The blocked follower's ticket: refused in the same transaction, so the desktop
         * hears it at once (on_ended wakes its waits) instead of waiting for expiry. */
        if (follow) {
            wx_status_t r2 = store_ticket_refuse(st, state_ticket(&l->state), e->in.now, NULL, err);
            if (r2 != WX_OK && r2 != WX_EUSED && r2 != WX_EEXPIRED)
                return r2;
            wx_err_clear(err);
        }
        return store_state_finish(st, l->state.id, e->error_url, err);
    }
    if (rc != WX_OK)
        return rc;
    e->rec.created = created;
    wx_strlcpy(e->rec.user_id, e->user.id, sizeof(e->rec.user_id));
    wx_strlcpy(e->rec.openid, e->user.openid, sizeof(e->rec.openid));
    wx_strlcpy(e->rec.unionid, e->user.unionid, sizeof(e->rec.unionid));
    char record[512], sealed[RECORD_SEALED_MAX], aad[STORE_ID_MAX + 16];
    if (!login_record_format(&e->rec, record, sizeof(record)))
        return wx_err_set(err, WX_EINVAL, "login record does not fit");
    record_aad(l->state.id, aad, sizeof(aad));
    rc = seal_text(&l->ctx->app->master, aad, record, sealed, sizeof(sealed), err);
    OPENSSL_cleanse(record, sizeof(record));
    if (rc != WX_OK)
        return rc;
    if ((rc = audit_add(st, l, e->user.id, created ? "ok:new_user" : "ok", err)) != WX_OK)
        return rc;
    return store_state_finish(st, l->state.id, sealed, err);
}

/* The state was finished before this job's write. Run again after a lost COMMIT
 * (store_writer_rerunning), the stored outcome may be this very job's: an error or blocked
 * redirect equal to ours, or a login record with our jti (random, never reused). Then it did
 * commit: WX_OK, with the success's user and record read back. Anything else stays EUSED. */
static wx_status_t
end_recorded(store_t *st, login_t *l, bool success, wx_err_t *err)
{
    login_end_t *e = l->end;
    store_state_t *s = malloc(sizeof(*s));
    login_record_t rec;
    wx_status_t rc = WX_EUSED;
    if (!s)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (store_state_get(st, l->state.id, s, err) != WX_OK || s->status != STORE_STATE_DONE)
        goto out;
    if (e->error_url && strcmp(s->result, e->error_url) == 0) {
        e->blocked = success; /* a success job records the error only for a blocked user */
        rc = WX_OK;
    } else if (success && e->other_url && strcmp(s->result, e->other_url) == 0) {
        e->not_follower = true;
        rc = WX_OK;
    } else if (success && record_open(l, s->result, &rec) && strcmp(rec.jti, e->rec.jti) == 0 &&
               store_user_get(st, l->state.pool_id, rec.user_id, &e->user, err) == WX_OK) {
        e->rec = rec;
        rc = WX_OK;
    }
out:
    free(s);
    if (rc == WX_OK) {
        wx_err_clear(err);
        /* the request id, not the state id: a state id is a login capability */
        wx_log(WX_LOG_INFO, "login_end_found_committed", "rid", l->r->id, NULL);
    } else {
        rc = wx_err_set(err, WX_EUSED, "login state already finished");
    }
    return rc;
}

/* The write in a savepoint of its own: when it finds the state finished on a rerun, what it
 * wrote is undone (no second login count, no second audit row) and the stored end is read. */
static wx_status_t
end_run(store_t *st, login_t *l, bool success, wx_err_t *err)
{
    wx_status_t rc = store_tx_begin(st, err);
    if (rc != WX_OK)
        return rc;
    rc = success ? end_success_write(st, l, err) : end_error_write(st, l, err);
    if (rc == WX_OK && (rc = store_tx_commit(st, err)) == WX_OK)
        return WX_OK;
    store_tx_rollback(st);
    if (rc == WX_EUSED && store_writer_rerunning())
        rc = end_recorded(st, l, success, err);
    return rc;
}

static wx_status_t
end_error_run(store_t *st, void *arg, wx_err_t *err)
{
    return end_run(st, arg, false, err);
}

static wx_status_t
end_success_run(store_t *st, void *arg, wx_err_t *err)
{
    return end_run(st, arg, true, err);
}

/* ---- replies ---- */

/* Where an error sends the browser: the business callback with code and message, or for a
 * login of /oidc/auth the client's redirect_uri with an OAuth error (oidc_flow.h). */
static wx_status_t
result_error_url(login_t *l, wx_buf_t *url, int code, wx_msg_id_t msg)
{
    /* An OAuth client's error_description is ASCII (RFC 6749 §4.1.2.1): the English text. */
    if (l->state.oidc)
        return oidc_login_error_url(url, l->ctx->app, l->state.redirect, l->state.oidc, code,
                                    wx_msg(msg)->en);
    return authing_result_url(url, l->state.redirect, code, wx_msg_text(msg), NULL);
}

/* Where a fresh login of this one starts: the same connection, application (or pool flow)
 * and callback, from a new state in this browser. False for an OpenID Connect login (its
 * client starts it again) and while the state is not known. */
static bool
restart_url(const login_t *l, wx_buf_t *out)
{
    const login_state_t *s = &l->state;
    if (!s->pool_id[0] || !s->conn_identifier[0] || s->oidc)
        return false;
    const char *base = l->ctx->app->cfg->public_url;
    wx_status_t rc = s->app_id[0]
                         ? wx_buf_printf(out, "%s/connections/social/%s", base, s->conn_identifier)
                         : wx_buf_printf(out, "%s/oauth/wechatmp/url/%s", base, s->pool_id);
    if (rc == WX_OK && s->app_id[0])
        rc = wx_url_add_param(out, "app_id", s->app_id);
    /* The pool flow names a connection other than the default in its query. */
    if (rc == WX_OK && !s->app_id[0] &&
        strcmp(s->conn_identifier, "wechat:webpage-authorization") != 0)
        rc = wx_url_add_param(out, "connection", s->conn_identifier);
    if (rc == WX_OK && s->redirect[0])
        rc = wx_url_add_param(out, "redirect_url", s->redirect);
    /* A popup login (authing-js-sdk's from_guard) stays one. */
    if (rc == WX_OK && strstr(s->options, "popup=1"))
        rc = wx_url_add_param(out, "from_guard", "1");
    if (rc == WX_OK && strstr(s->options, "with_identities=1"))
        rc = wx_url_add_param(out, "with_identities", "1");
    return rc == WX_OK;
}

/* A page of the catalogue whose button starts this login afresh (when it can). */
static void
reply_relogin_page(login_t *l, int status, wx_msg_id_t id, long code)
{
    wx_buf_t url;
    wx_buf_init(&url, 8192);
    bool have = restart_url(l, &url);
    http_reply_page(l->r, status, id,
                    &(http_page_t){.code = code, .action_url = have ? wx_buf_str(&url) : NULL});
    wx_buf_free(&url);
}

/* A login of authing-js-sdk's popup mode (start.c): it ends on a page that posts the result
 * to the opener (popup.c), not on the business callback. */
static bool
is_popup(const login_t *l)
{
    return strstr(l->state.options, "popup=1") != NULL;
}

static void
on_error_recorded(wx_status_t rc, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "state_finish_failed", "rid", l->r->id, "error", err->msg, "detail",
               err->detail, NULL);
    log_fields(l, l->end->outcome);
    if (is_popup(l)) {
        handle_popup_reply(l->r, l->state.app_id, l->end->code, l->end->message, NULL);
        return;
    }
    http_reply_redirect(l->r, l->end->error_url); /* frees l */
}

/* End the login with an error on the business callback (code != 200, readable message),
 * recorded on the state first so that a reload gets the same answer. */
static void
finish_error_with(login_t *l, int code, wx_msg_id_t message, const char *outcome,
                  store_job_done_fn done)
{
    wx_buf_t url;
    wx_err_t err = {0};
    wx_buf_init(&url, STORE_RESULT_MAX - 1);
    login_end_t *e = l->end ? l->end : calloc(1, sizeof(*e));
    l->end = e;
    if (!e || result_error_url(l, &url, code, message) != WX_OK ||
        !(e->error_url = strdup(wx_buf_str(&url)))) {
        wx_buf_free(&url);
        l->r->outcome = outcome;
        reply_relogin_page(l, 500, WX_MSG_PAGE_LOGIN_FAILED, code); /* the code, for support */
        return;
    }
    wx_buf_free(&url);
    e->outcome = outcome;
    e->code = code;
    wx_strlcpy(e->message, wx_msg_text(message), sizeof(e->message));
    if (store_writer_submit(l->ctx->app->writer, l->r->worker->base, end_error_run, done, l,
                            &err) != WX_OK)
        done(err.status ? err.status : WX_EBUSY, &err, l);
}

static void
finish_error(login_t *l, int code, wx_msg_id_t message, const char *outcome)
{
    finish_error_with(l, code, message, outcome, on_error_recorded);
}

/* ---- the target, checked again at the callback ---- */

/* Is the stored target still allowed by the lists as they are now (handle_redirect_allowed, as
 * at the start)? An application deleted, or a callback removed from it, while the user was at
 * WeChat must not get a token: WX_EDENIED, logged with what is allowed now. Other statuses: the
 * store could not say. */
static const char *state_ticket(const login_state_t *s);

static wx_status_t
target_check(login_t *l, const store_pool_t *pool, const store_conn_t *conn, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    const store_app_t *app = NULL;
    wx_buf_t allowed;
    /* A desktop login's phone ends on our own page; the business target is the ticket's,
     * checked again when the desktop takes the login (desktop.c). */
    const char *ticket = state_ticket(&l->state);
    if (ticket)
        return desktop_phone_target_ok(l->ctx->app->cfg, ticket, l->state.redirect)
                   ? WX_OK
                   : wx_err_set(err, WX_EDENIED, "not this ticket's phone page");
    wx_buf_init(&allowed, 8192);
    if (l->state.app_id[0]) {
        app = &l->conf->app; /* read with pool and connection (login_conf_read) */
        rc = l->conf->app_rc;
        if (rc != WX_OK && rc != WX_ENOENT)
            *err = l->conf->err;
        if (rc == WX_ENOENT || (rc == WX_OK && strcmp(app->pool_id, l->state.pool_id) != 0)) {
            wx_log(WX_LOG_WARN, "redirect_no_longer_allowed", "rid", l->r->id, "url",
                   l->state.redirect, "app", l->state.app_id, "reason",
                   "the application was deleted during the login", NULL);
            rc = WX_EDENIED;
            goto out;
        }
        if (rc != WX_OK)
            goto out;
    }
    if (!handle_redirect_allowed(conn, app, pool, l->state.redirect)) {
        handle_redirect_patterns(&allowed, conn, app, pool);
        wx_log(WX_LOG_WARN, "redirect_no_longer_allowed", "rid", l->r->id, "url", l->state.redirect,
               "app", l->state.app_id, "reason",
               "the callback address was removed from the allowed list during the login", "allowed",
               wx_buf_str(&allowed), NULL);
        rc = WX_EDENIED;
    }
out:
    wx_buf_free(&allowed);
    return rc;
}

/* The end of a login whose target is no longer trusted: an error page, never that callback. */
static void
reply_target_refused(login_t *l)
{
    wx_buf_t msg;
    wx_buf_init(&msg, 4096);
    log_fields(l, "redirect_not_allowed");
    if (l->state.app_id[0])
        wx_buf_printf(&msg,
                      "Callback address %s is no longer allowed for application %s of user pool "
                      "%s (the application was deleted, or the address removed from its, the "
                      "pool's and the connection's callbacks during the login). If that was not "
                      "meant: `wxauth app update %s --redirect URL`.",
                      l->state.redirect, l->state.app_id, l->state.pool_id, l->state.app_id);
    else
        wx_buf_printf(&msg,
                      "Callback address %s is no longer allowed in user pool %s (removed from "
                      "the pool's and the connection's callbacks during the login). If that was "
                      "not meant: `wxauth pool update %s --redirect URL`.",
                      l->state.redirect, l->state.pool_id, l->state.pool_id);
    http_reply_page(l->r, 403, WX_MSG_PAGE_TARGET_REVOKED,
                    &(http_page_t){.detail = wx_buf_str(&msg)});
    wx_buf_free(&msg);
}

static void
on_refused_recorded(wx_status_t rc, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_WARN, "state_finish_failed", "rid", l->r->id, "error", err->msg, "detail",
               err->detail, NULL);
    reply_target_refused(l);
}

/* Record the refusal on the state (a reload shows the same page) and audit it. */
static void
finish_target_refused(login_t *l)
{
    wx_err_t err = {0};
    login_end_t *e = l->end ? l->end : calloc(1, sizeof(*e));
    l->end = e;
    if (!e || !(e->error_url = strdup(RESULT_TARGET_REFUSED))) {
        reply_target_refused(l);
        return;
    }
    e->outcome = "redirect_not_allowed";
    if (store_writer_submit(l->ctx->app->writer, l->r->worker->base, end_error_run,
                            on_refused_recorded, l, &err) != WX_OK)
        on_refused_recorded(err.status ? err.status : WX_EBUSY, &err, l);
}

/* Check the target; false when the login has been ended here. record: a login being ended
 * (not a reload of a finished one) records the refusal on its state. */
static bool
target_still_allowed(login_t *l, const store_pool_t *pool, const store_conn_t *conn, bool record)
{
    wx_err_t err = {0};
    wx_status_t rc = target_check(l, pool, conn, &err);
    if (rc == WX_OK)
        return true;
    if (rc == WX_EDENIED) {
        if (record)
            finish_target_refused(l);
        else
            reply_target_refused(l);
        return false;
    }
    wx_log(WX_LOG_ERROR, "app_unreadable", "rid", l->r->id, "error", err.msg, "detail", err.detail,
           NULL);
    l->r->outcome = "internal_error";
    http_reply_page(l->r, 503, WX_MSG_PAGE_FINISH_UNAVAILABLE, NULL);
    return false;
}

/* Map an error of a WeChat call to the business callback's code and message. */
static void
finish_wechat_error(login_t *l, wx_status_t rc, const wx_err_t *err)
{
    if (rc == WX_EUPSTREAM && err->code != 0) {
        /* The user reads a plain sentence; WeChat's errmsg is in the log (wechat.c). */
        finish_error(l, err->code, wx_msg_wechat(err->code), "wechat_error");
        return;
    }
    if (rc == WX_EBUSY) { /* our side: every connection to WeChat busy for too long */
        finish_error(l, AUTHING_CODE_WECHAT_DOWN, WX_MSG_CB_QUEUE_FULL, "wechat_queue_full");
        return;
    }
    if (rc == WX_ELOCAL) { /* our side: no socket for the call (fd limit); WeChat not asked */
        finish_error(l, AUTHING_CODE_WECHAT_DOWN, WX_MSG_CB_LOCAL_RESOURCES, "local_resources");
        return;
    }
    if (rc == WX_ESHUTDOWN) { /* our side: stopped before WeChat answered */
        finish_error(l, AUTHING_CODE_WECHAT_DOWN, WX_MSG_CB_SHUTDOWN, "shutdown");
        return;
    }
    finish_error(l, AUTHING_CODE_WECHAT_DOWN,
                 rc == WX_ETIMEOUT ? WX_MSG_CB_WECHAT_TIMEOUT : WX_MSG_CB_WECHAT_UNREACHABLE,
                 rc == WX_ETIMEOUT ? "wechat_timeout" : "wechat_unavailable");
}

/* Sign the token of a recorded login and send the browser to the business callback (or, for
 * /oidc/auth, to the client with a code). Used at the end of a login, for a reload from the
 * same record, and by a desktop taking a ticket's login (desktop.c). */
void
handle_login_reply(http_req_t *r, worker_ctx_t *ctx, const handle_login_t *lg, store_user_t *u,
                   const login_record_t *rec, const char *raw_profile)
{
    wx_err_t err = {0};
    json_t *claims = NULL, *data = NULL;
    wx_buf_t tok, url;
    char *payload = NULL;
    const char *outcome = rec->created ? "ok_new_user" : "ok";
    wx_snprintf(r->log_extra, sizeof(r->log_extra), "pool=%s conn=%s app=%s", lg->pool_id,
                lg->conn_identifier, lg->app_id);
    if (lg->oidc) { /* the client gets a code, and the tokens from /oidc/token */
        r->outcome = lg->outcome ? lg->outcome : outcome;
        oidc_login_done(r, ctx, lg->pool_id, lg->app_id, lg->redirect, lg->oidc, u->id, rec->iat);
        return;
    }
    wx_buf_init(&tok, 16384);
    wx_buf_init(&url, RESULT_URL_MAX);
    /* The identity of this login, not whichever the user used last elsewhere. */
    wx_strlcpy(u->openid, rec->openid, sizeof(u->openid));
    wx_strlcpy(u->unionid, rec->unionid, sizeof(u->unionid));
    const char *aud = lg->app_id[0] ? lg->app_id : lg->pool_id;
    claims = authing_token_claims(u, ctx->app->issuer, aud, rec->iat, rec->exp, rec->jti);
    /* An openid is per WeChat app: a computer's login through the pool's website app carries
     * that app's openid, not the service account's (docs/desktop-login.md). Say whose it is. */
    if (claims && lg->appid && lg->appid[0])
        json_object_set_new(claims, "openid_appid", json_string(lg->appid));
    payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
    if (!payload)
        goto internal;
    if (token_sign(ctx, lg->pool_alg, lg->app_id, payload, &tok, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "token_sign_failed", "rid", r->id, "error", err.msg, NULL);
        goto internal;
    }
    authing_user_args_t ua = {.user = u,
                              .provider = lg->conn_identifier,
                              .raw_profile = raw_profile,
                              .token = wx_buf_str(&tok),
                              .token_exp = rec->exp,
                              .with_identities = strstr(lg->options, "with_identities=1"),
                              .appid = lg->appid};
    data = authing_user_json(&ua);
    if (data && lg->appid && lg->appid[0])
        json_object_set_new(data, "openid_appid", json_string(lg->appid));
    if (data && strstr(lg->options, "popup=1")) { /* authing-js-sdk's popup (popup.c) */
        r->outcome = lg->outcome ? lg->outcome : outcome;
        handle_popup_reply(r, lg->app_id, AUTHING_CODE_OK, wx_msg_text(WX_MSG_CB_OK), data);
        goto out;
    }
    if (!data || authing_result_url(&url, lg->redirect, AUTHING_CODE_OK, wx_msg_text(WX_MSG_CB_OK),
                                    data) != WX_OK)
        goto internal;
    r->outcome = lg->outcome ? lg->outcome : outcome;
    http_reply_redirect(r, wx_buf_str(&url)); /* frees the request's data */
    goto out;
internal:
    /* The login itself is recorded: a reload signs again. Not recorded as an error. */
    wx_buf_reset(&url);
    r->outcome = "internal_error";
    if (authing_result_url(&url, lg->redirect, AUTHING_CODE_INTERNAL,
                           wx_msg_text(WX_MSG_CB_INTERNAL), NULL) == WX_OK)
        http_reply_redirect(r, wx_buf_str(&url));
    else
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED, NULL);
out:
    if (tok.data)
        OPENSSL_cleanse(tok.data, tok.len);
    wx_buf_free(&tok);
    if (url.data)
        OPENSSL_cleanse(url.data, url.len); /* the result URL carries the token */
    wx_buf_free(&url);
    free(payload);
    json_decref(claims);
    /* data's copy of the token (also the popup's message) is overwritten before it is freed:
     * the last reference is ours, handle_popup_reply keeps only its dumped (cleansed) copy. */
    const char *dt = json_string_value(json_object_get(data, "token"));
    if (dt && data->refcount == 1)
        OPENSSL_cleanse((char *)dt, strlen(dt));
    json_decref(data);
}

/* The ticket a phone's login was started for (desktop login), or NULL. */
static const char *
state_ticket(const login_state_t *s)
{
    return strncmp(s->options, "ticket=", 7) == 0 && s->options[7] ? s->options + 7 : NULL;
}

static void
reply_login(login_t *l, store_user_t *u, const login_record_t *rec, const char *raw_profile)
{
    const char *ticket = state_ticket(&l->state);
    if (ticket) { /* the phone of a desktop login: it confirms; the desktop gets the token */
        desktop_phone_scanned(l->r, l->ctx, ticket, l->state.id, l->browser, rec);
        return;
    }
    handle_login_t lg = {.pool_id = l->state.pool_id,
                         .app_id = l->state.app_id,
                         .conn_identifier = l->state.conn_identifier,
                         .redirect = l->state.redirect,
                         .options = l->state.options,
                         .oidc = l->state.oidc,
                         .pool_alg = l->pool_alg,
                         .appid = l->appid};
    handle_login_reply(l->r, l->ctx, &lg, u, rec, raw_profile);
}

static void
on_ended(wx_status_t rc, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    login_end_t *e = l->end;
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "login_end_failed", "rid", l->r->id, "error", err->msg, "detail",
               err->detail, NULL);
        free(e->error_url);
        e->error_url = NULL;
        if (rc == WX_EEXIST) /* the same official account is connected to two pools */
            finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_OPENID_OTHER_POOL,
                         "openid_in_other_pool");
        else
            finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_INTERNAL, "internal_error");
        return;
    }
    if (e->not_follower) { /* a follow ticket's link, another WeChat user: nothing kept */
        log_fields(l, "follow_other_user");
        http_reply_redirect(l->r, e->other_url);
        return;
    }
    if (e->blocked && state_ticket(&l->state))
        desktop_ticket_changed(state_ticket(&l->state)); /* a follow ticket refused: say so */
    if (e->blocked) {
        log_fields(l, "blocked");
        if (is_popup(l))
            handle_popup_reply(l->r, l->state.app_id, AUTHING_CODE_BLOCKED,
                               wx_msg_text(WX_MSG_CB_BLOCKED), NULL);
        else
            http_reply_redirect(l->r, e->error_url);
        return;
    }
    reply_login(l, &e->user, &e->rec, l->ui ? l->ui->raw : NULL);
}

static const char *
gender_of(int sex)
{
    return sex == 1 ? "M" : sex == 2 ? "F" : "U";
}

/* Logins this process gave up with a 503 while holding their state's claim (the store could
 * not be read for a moment): no request of this process will end them, so a reload ends them
 * at once as interrupted (replay_wait) instead of waiting for an end that never comes. A few
 * recent ones are enough: a reload comes within the replay window. */
#define ABANDONED_MAX 64
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;
static char abandoned[ABANDONED_MAX][STORE_ID_MAX];
static unsigned abandoned_next;

static void
claim_abandon(const char *state_id)
{
    pthread_mutex_lock(&abandoned_mu);
    wx_strlcpy(abandoned[abandoned_next % ABANDONED_MAX], state_id, STORE_ID_MAX);
    abandoned_next++;
    pthread_mutex_unlock(&abandoned_mu);
}

static bool
claim_abandoned(const char *state_id)
{
    bool found = false;
    pthread_mutex_lock(&abandoned_mu);
    for (unsigned i = 0; i < ABANDONED_MAX && !found; i++)
        found = strcmp(abandoned[i], state_id) == 0;
    pthread_mutex_unlock(&abandoned_mu);
    return found;
}

/* Pool or connection could not be read just now (store down, busy, readers stopping): not a
 * reason to record the login as failed for good. 503, the state left claimed; its reload
 * ends it as interrupted. */
static bool
login_conf_unavailable(login_t *l)
{
    const conf_fetch_t *f = l->conf;
    if (f->pool_rc == WX_ENOENT || f->conn_rc == WX_ENOENT)
        return false;
    wx_log(WX_LOG_WARN, "login_conf_read_failed", "rid", l->r->id, "error", f->err.msg, "detail",
           f->err.detail, NULL);
    claim_abandon(l->state_id);
    l->r->outcome = "store_unavailable";
    http_reply_page(l->r, 503, WX_MSG_PAGE_FINISH_UNAVAILABLE, NULL);
    return true;
}

/* The target once more, now that WeChat answered: the lists may have changed meanwhile
 * (l->conf was just read again). */
static bool
target_recheck(login_t *l)
{
    if (l->conf->pool_rc != WX_OK || l->conf->conn_rc != WX_OK) {
        if (!login_conf_unavailable(l))
            finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_CONNECTION_GONE, "connection_gone");
        return false;
    }
    return target_still_allowed(l, &l->conf->pool, &l->conf->conn, true);
}

static void finish_success_read(login_t *l);

static void
finish_success(login_t *l)
{
    login_conf_read(l, finish_success_read);
}

static void
finish_success_read(login_t *l)
{
    const wx_config_t *cfg = l->ctx->app->cfg;
    const wechat_userinfo_t *ui = l->ui;
    wx_err_t err = {0};
    wx_buf_t url;
    if (!target_recheck(l))
        return;
    login_conf_drop(l);
    login_end_t *e = calloc(1, sizeof(*e));
    wx_buf_init(&url, STORE_RESULT_MAX - 1);
    if (!e)
        goto internal;
    l->end = e;
    e->in = (store_wechat_login_t){
        .pool_id = l->state.pool_id,
        .provider = l->state.conn_identifier,
        .appid = l->appid,
        .openid = l->tok.openid,
        .unionid = l->tok.unionid[0] ? l->tok.unionid : (ui ? ui->unionid : NULL),
        .nickname = ui ? ui->nickname : NULL,
        .photo = ui ? ui->headimgurl : NULL,
        .gender = ui ? gender_of(ui->sex) : NULL,
        .country = ui ? ui->country : NULL,
        .province = ui ? ui->province : NULL,
        .city = ui ? ui->city : NULL,
        .raw_profile = ui ? ui->raw : NULL,
        .ip = l->ip,
        .now = wx_now(),
    };
    e->rec.iat = e->in.now;
    e->rec.exp = e->rec.iat + (l->token_ttl > 0 ? l->token_ttl : cfg->token_ttl);
    if (wx_rand_alnum(e->rec.jti, 22) != WX_OK)
        goto internal;
    /* Made now, recorded by the writer if the user turns out to be blocked. */
    if (result_error_url(l, &url, AUTHING_CODE_BLOCKED, WX_MSG_CB_BLOCKED) != WX_OK ||
        !(e->error_url = strdup(wx_buf_str(&url))))
        goto internal;
    /* A ticket's phone: the page for a follow ticket's link opened by another user. */
    wx_buf_reset(&url);
    if (state_ticket(&l->state) &&
        (result_error_url(l, &url, AUTHING_CODE_NOT_FOLLOWER, WX_MSG_CB_DENIED) != WX_OK ||
         !(e->other_url = strdup(wx_buf_str(&url)))))
        goto internal;
    wx_buf_free(&url);
    if (store_writer_submit(l->ctx->app->writer, l->r->worker->base, end_success_run, on_ended, l,
                            &err) != WX_OK) {
        on_ended(err.status ? err.status : WX_EBUSY, &err, l);
    }
    return;
internal:
    wx_buf_free(&url);
    if (e) {
        free(e->error_url);
        e->error_url = NULL;
        free(e->other_url);
        e->other_url = NULL;
    }
    finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_INTERNAL, "internal_error");
}

static void
on_userinfo(wx_status_t rc, const wechat_userinfo_t *ui, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    if (rc != WX_OK) {
        finish_wechat_error(l, rc, err);
        return;
    }
    if (strcmp(ui->openid, l->tok.openid) != 0) {
        finish_error(l, AUTHING_CODE_WECHAT_DOWN, WX_MSG_CB_WECHAT_MISMATCH, "wechat_mismatch");
        return;
    }
    l->ui = malloc(sizeof(*l->ui));
    if (!l->ui) {
        finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_INTERNAL, "internal_error");
        return;
    }
    *l->ui = *ui;
    finish_success(l);
}

static void
on_token(wx_status_t rc, const wechat_token_t *tok, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    worker_ctx_t *ctx = l->ctx;
    wx_err_t e2 = {0};
    if (rc != WX_OK) {
        finish_wechat_error(l, rc, err);
        return;
    }
    l->tok = *tok;
    const char *scope = tok->scope[0] ? tok->scope : l->state.scope;
    /* A snapshot-page user (WeChat's preview of a shared page) has a virtual openid and no
     * profile: making a user of it would only create a ghost, so ask for the full page. */
    if (tok->is_snapshotuser) {
        finish_error(l, AUTHING_CODE_SNAPSHOT, WX_MSG_CB_SNAPSHOT, "snapshot_user");
        return;
    }
    /* A website app's token (snsapi_login) reads the profile like a userinfo one. */
    if (!strstr(scope, "snsapi_userinfo") && !strstr(scope, "snsapi_login")) {
        finish_success(l);
        return;
    }
    if (wechat_userinfo(l->r->worker->client, l->r->worker->base, &ctx->app->wechat,
                        tok->access_token, tok->openid, on_userinfo, l, &e2) != WX_OK)
        finish_wechat_error(l, WX_EIO, &e2);
}

static void claim_submit(login_t *l);

static void
poll_state(evutil_socket_t fd, short what, void *arg)
{
    claim_submit(arg);
}

/* A reload of a finished login: its user and profile, read off the loop. */
typedef struct {
    login_t *l;
    char pool_id[STORE_ID_MAX];
    char appid[STORE_ID_MAX];
    login_record_t rec;
    store_user_t user;
    wx_status_t profile_rc;
    char raw[STORE_PROFILE_MAX];
} replay_read_t;

static wx_status_t
replay_read_run(store_t *st, void *arg, wx_err_t *err)
{
    replay_read_t *q = arg;
    wx_status_t rc = store_user_get(st, q->pool_id, q->rec.user_id, &q->user, err);
    if (rc != WX_OK)
        return rc;
    wx_err_t e2 = {0};
    q->profile_rc =
        store_identity_profile(st, q->appid, q->rec.openid, q->raw, sizeof(q->raw), &e2);
    return WX_OK;
}

static void
replay_unreadable(login_t *l)
{
    l->r->outcome = "replay_unreadable";
    reply_relogin_page(l, 400, WX_MSG_PAGE_LINK_USED, 0);
}

static void
replay_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    replay_read_t *q = arg;
    login_t *l = q->l;
    if (rc != WX_OK) {
        if (rc != WX_ENOENT)
            wx_log(WX_LOG_WARN, "replay_read_failed", "rid", l->r->id, "error", err->msg, "detail",
                   err->detail, NULL);
        replay_unreadable(l);
    } else {
        reply_login(l, &q->user, &q->rec, q->profile_rc == WX_OK && q->raw[0] ? q->raw : NULL);
    }
    free(q);
}

/* Pool, connection and application are read: check the target, then read the user. */
static void
replay_conf_read(login_t *l)
{
    conf_fetch_t *f = l->conf;
    replay_read_t *q = NULL;
    if (f->pool_rc != WX_OK || f->conn_rc != WX_OK || !(q = calloc(1, sizeof(*q))) ||
        !record_open(l, l->state.result, &q->rec)) {
        free(q);
        replay_unreadable(l);
        return;
    }
    if (!target_still_allowed(l, &f->pool, &f->conn, false)) {
        free(q);
        return;
    }
    wx_strlcpy(l->appid, f->conn.appid, sizeof(l->appid));
    wx_strlcpy(l->pool_alg, f->pool.alg, sizeof(l->pool_alg));
    q->l = l;
    wx_strlcpy(q->pool_id, l->state.pool_id, sizeof(q->pool_id));
    wx_strlcpy(q->appid, f->conn.appid, sizeof(q->appid));
    handle_read(l->r->worker, replay_read_run, replay_read_done, q);
}

/* A reload of a finished login: rebuild it from its record (reads only). */
static void
replay_login(login_t *l)
{
    login_conf_read(l, replay_conf_read);
}

/* The claim owner's row in the nodes table, read off the loop. */
typedef struct {
    login_t *l;
    char id[STORE_ID_MAX];
    store_node_t n;
} owner_read_t;

static wx_status_t
owner_read_run(store_t *st, void *arg, wx_err_t *err)
{
    owner_read_t *q = arg;
    return store_node_get(st, q->id, &q->n, err);
}

/* Is the process that claimed this login gone (killed, crashed) with it? In this pid
 * namespace of this host (app->host names both): its pid no longer runs — known at once.
 * Anywhere: its heartbeat (seen_at, written with its own clock) has not changed while this
 * reload watched it for NODE_DEAD_S — no clocks compared. A login of one that cannot be
 * looked up right now is not given up. */
static bool
claim_owner_gone(login_t *l, wx_status_t rc, const store_node_t *n)
{
    const app_t *app = l->ctx->app;
    if (rc == WX_ENOENT)
        return true;
    if (rc != WX_OK)
        return false;
    if (strcmp(n->host, app->host) == 0 && n->pid > 0 && n->pid != app->pid &&
        kill((pid_t)n->pid, 0) != 0 && errno == ESRCH)
        return true;
    int64_t now_ms = wx_mono_ms();
    if (l->owner_watch_ms == 0 || n->seen_at != l->owner_seen_at) {
        l->owner_seen_at = n->seen_at; /* alive, or first look: watch from now */
        l->owner_watch_ms = now_ms;
        return false;
    }
    return now_ms - l->owner_watch_ms > NODE_DEAD_S * 1000;
}

static void replay_wait(login_t *l, bool owner_gone);

static void
owner_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    owner_read_t *q = arg;
    login_t *l = q->l;
    (void)err;
    bool gone = claim_owner_gone(l, rc, &q->n);
    free(q);
    replay_wait(l, gone);
}

/* The orphan's outcome is recorded unless its process finished it after all (then the reload
 * reads that). */
static void
on_orphan_recorded(wx_status_t rc, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    if (rc == WX_EUSED) {
        free(l->end->error_url);
        free(l->end);
        l->end = NULL;
        claim_submit(l);
        return;
    }
    on_error_recorded(rc, err, l);
}

/* The state was claimed before: same browser within the replay window gets the same outcome
 * (waiting for it if the first request is still talking to WeChat, and saying at once that it
 * was cut off if the process working on it died); anything else is refused. */
static void
handle_replay(login_t *l)
{
    http_req_t *r = l->r;
    const wx_config_t *cfg = l->ctx->app->cfg;
    int64_t now = wx_now();
    /* A finished login whose result is gone (emptied by a prune, e.g. of a node whose clock is
     * ahead) is as late as one past the window: never a redirect to an empty Location. */
    bool emptied = l->state.status == STORE_STATE_DONE && (!l->state.result || !l->state.result[0]);
    if (now - l->state.claimed_at > cfg->replay_window || emptied) {
        r->outcome = "replay_late";
        reply_relogin_page(l, 400, WX_MSG_PAGE_LINK_USED, 0);
        return;
    }
    if (l->state.status == STORE_STATE_DONE) {
        if (seal_is_sealed(l->state.result) || login_record_is(l->state.result)) {
            replay_login(l);
            return;
        }
        if (strcmp(l->state.result, RESULT_TARGET_REFUSED) == 0) {
            reply_target_refused(l);
            return;
        }
        r->outcome = "replay_same";
        http_reply_redirect(r, l->state.result);
        return;
    }
    /* A login of this very process is not given up; another's owner is looked up. */
    const char *owner = l->state.claim_owner;
    owner_read_t *q = NULL;
    if (!owner[0] || strcmp(owner, l->ctx->app->node_id) == 0 || !(q = calloc(1, sizeof(*q)))) {
        /* ...unless this process gave it up (login_conf_unavailable). */
        replay_wait(l, owner[0] && strcmp(owner, l->ctx->app->node_id) == 0 &&
                           claim_abandoned(l->state_id));
        return;
    }
    q->l = l;
    wx_strlcpy(q->id, owner, sizeof(q->id));
    handle_read(r->worker, owner_read_run, owner_read_done, q);
}

/* A reload of a login still claimed: end it if its process died, else wait for its end. */
static void
replay_wait(login_t *l, bool owner_gone)
{
    http_req_t *r = l->r;
    if (owner_gone) {
        finish_error_with(l, AUTHING_CODE_WECHAT_DOWN, WX_MSG_CB_INTERRUPTED, "claim_orphaned",
                          on_orphan_recorded);
        return;
    }
    if (l->poll_until_ms == 0)
        l->poll_until_ms = wx_mono_ms() + POLL_MAX_MS;
    if (wx_mono_ms() >= l->poll_until_ms) {
        r->outcome = "replay_timeout";
        http_reply_page(r, 503, WX_MSG_PAGE_IN_PROGRESS, NULL);
        return;
    }
    struct timeval tv = {0, POLL_INTERVAL_MS * 1000};
    if (event_base_once(r->worker->base, -1, EV_TIMEOUT, poll_state, l, &tv) != 0)
        reply_relogin_page(l, 500, WX_MSG_PAGE_LOGIN_FAILED, 0);
}

static void exchange_code_read(login_t *l);

/* The user tapped Deny on WeChat's consent page: the business callback (or a desktop
 * ticket's phone page) hears it. A desktop ticket stays pending: a callback without a code
 * proves nothing (anyone who saw the QR code can come back without one), so it may not refuse
 * another's login; the phone can scan again, and the confirmation page's 拒绝 refuses. */
static void
declined(login_t *l)
{
    finish_error(l, AUTHING_CODE_DENIED, WX_MSG_CB_DENIED, "denied");
}

/* Connection and pool as they are now (read off the loop); then the code goes to WeChat. */
static void
exchange_code(login_t *l)
{
    login_conf_read(l, exchange_code_read);
}

static void
exchange_code_read(login_t *l)
{
    http_req_t *r = l->r;
    worker_ctx_t *ctx = l->ctx;
    wx_err_t err = {0};
    const store_pool_t *pool = &l->conf->pool;
    const store_conn_t *conn = &l->conf->conn;
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    if (l->conf->pool_rc != WX_OK || l->conf->conn_rc != WX_OK) {
        if (!login_conf_unavailable(l))
            finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_CONNECTION_GONE, "connection_gone");
        return;
    }
    /* Before anything goes to WeChat or to the callback, even a Deny. */
    if (!target_still_allowed(l, pool, conn, true))
        return;
    wx_strlcpy(l->appid, conn->appid, sizeof(l->appid));
    wx_strlcpy(l->pool_alg, pool->alg, sizeof(l->pool_alg));
    l->token_ttl = pool->token_ttl;
    if (!l->code[0]) { /* WeChat sends no code when the user taps Deny */
        declined(l);
        return;
    }
    if (keys_conn_secret_open(&ctx->app->master, conn, secret, sizeof(secret), &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "app_secret_unreadable", "rid", r->id, "error", err.msg, NULL);
        finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_SECRET_UNREADABLE, "secret_unreadable");
        return;
    }
    login_conf_drop(l); /* not kept while WeChat answers; l->appid is conn's App ID */
    wx_status_t rc = wechat_code_exchange(r->worker->client, r->worker->base, &ctx->app->wechat,
                                          l->appid, secret, l->code, on_token, l, &err);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != WX_OK)
        finish_wechat_error(l, WX_EIO, &err);
}

/* Keep what the rest of the login reads; the outcome only for a reload. */
static bool
keep_claim(login_t *l)
{
    const store_state_t *c = l->claim;
    login_state_t *s = &l->state;
    wx_strlcpy(s->id, c->id, sizeof(s->id));
    wx_strlcpy(s->pool_id, c->pool_id, sizeof(s->pool_id));
    wx_strlcpy(s->conn_identifier, c->conn_identifier, sizeof(s->conn_identifier));
    wx_strlcpy(s->app_id, c->app_id, sizeof(s->app_id));
    wx_strlcpy(s->redirect, c->redirect, sizeof(s->redirect));
    wx_strlcpy(s->scope, c->scope, sizeof(s->scope));
    wx_strlcpy(s->options, c->options, sizeof(s->options));
    s->claimed_at = c->claimed_at;
    s->status = c->status;
    wx_strlcpy(s->claim_owner, c->claim_owner, sizeof(s->claim_owner));
    free(s->result);
    s->result = NULL;
    if (c->status == STORE_STATE_DONE && !(s->result = strdup(c->result)))
        return false;
    free(s->oidc);
    s->oidc = NULL;
    if (c->oidc[0] && !(s->oidc = strdup(c->oidc)))
        return false;
    free(l->claim);
    l->claim = NULL;
    return true;
}

static void
on_claimed(wx_status_t rc, const wx_err_t *err, void *arg)
{
    login_t *l = arg;
    http_req_t *r = l->r;
    if ((rc == WX_OK || rc == WX_EUSED || rc == WX_EEXPIRED) && !keep_claim(l)) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    switch (rc) {
    case WX_OK:
        break;
    case WX_EUSED:
        handle_replay(l);
        return;
    case WX_ENOENT:
        r->outcome = "unknown_state";
        http_reply_page(r, 400, WX_MSG_PAGE_UNKNOWN_STATE, NULL);
        return;
    case WX_EDENIED:
        r->outcome = "other_browser";
        http_reply_page(r, 403, WX_MSG_PAGE_OTHER_BROWSER, NULL);
        return;
    case WX_EEXPIRED:
        finish_error(l, AUTHING_CODE_EXPIRED, WX_MSG_CB_EXPIRED, "state_expired");
        return;
    default:
        wx_log(WX_LOG_ERROR, "state_claim_failed", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED, NULL);
        return;
    }
    if (strcmp(l->state.conn_identifier, l->identifier) != 0) {
        finish_error(l, AUTHING_CODE_INTERNAL, WX_MSG_CB_WRONG_CONNECTION, "wrong_connection");
        return;
    }
    exchange_code(l);
}

static wx_status_t
claim_run(store_t *st, void *arg, wx_err_t *err)
{
    login_t *l = arg;
    const char *me = l->ctx->app->node_id;
    if (!l->claim_now)
        l->claim_now = wx_now();
    wx_status_t rc =
        store_state_claim_as(st, l->state_id, l->browser, l->claim_now, me, l->claim, err);
    /* Run again after a lost COMMIT: a claim by this process at this very time is the one this
     * job made the first time, if its first run did claim (claimed_once): a reload of the same
     * browser in the same second, refused the first time, must still see it as used. */
    bool rerun = store_writer_rerunning();
    if (rc == WX_OK && !rerun)
        l->claimed_once = true;
    if (rc == WX_EUSED && rerun && l->claimed_once && l->claim->status == STORE_STATE_CLAIMED &&
        l->claim->claimed_at == l->claim_now && strcmp(l->claim->claim_owner, me) == 0) {
        wx_err_clear(err);
        rc = l->claim_now >= l->claim->expires_at
                 ? wx_err_set(err, WX_EEXPIRED, "login link expired, please start again")
                 : WX_OK;
    }
    return rc;
}

static void
claim_submit(login_t *l)
{
    wx_err_t err = {0};
    l->claim_now = 0;
    l->claimed_once = false;
    if (!l->claim && !(l->claim = malloc(sizeof(*l->claim)))) {
        http_reply_page(l->r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    if (store_writer_submit(l->ctx->app->writer, l->r->worker->base, claim_run, on_claimed, l,
                            &err) != WX_OK)
        on_claimed(err.status ? err.status : WX_EBUSY, &err, l);
}

void
handle_callback(http_req_t *r, const char *identifier)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *state = wx_query_get(&r->query, "state");
    const char *code = wx_query_get(&r->query, "code");
    char bind[BIND_COOKIE_LEN + 1] = "", client[64];
    /* A HEAD (link checkers, previews) must not claim the state, spend WeChat's code or end the
     * login that the GET would: refused before anything is read. */
    if (strcmp(r->method, "HEAD") == 0) {
        r->outcome = "head_refused";
        http_add_header(r, "Allow", "GET");
        http_reply_page(r, 405, WX_MSG_PAGE_OPEN_IN_BROWSER, NULL);
        return;
    }
    if (!handle_rate_allow(r, LOGIN_RATE_CALLBACK, client, sizeof(client)))
        return;
    if (!state || !*state || strlen(state) >= STORE_ID_MAX) {
        r->outcome = "no_state";
        http_reply_page(r, 400, WX_MSG_PAGE_UNKNOWN_STATE,
                        &(http_page_t){.detail = "The callback has no valid state parameter."});
        return;
    }
    if (code && strlen(code) >= 256) {
        http_reply_page(r, 400, WX_MSG_PAGE_INVALID_LINK,
                        &(http_page_t){.detail = "The code parameter is too long."});
        return;
    }
    if (ctx->logins_inflight >= ctx->app->cfg->max_inflight) {
        r->outcome = "busy";
        prom_family_inc(&r->worker->metrics->logins, r->outcome);
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    login_t *l = calloc(1, sizeof(*l));
    if (!l) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    l->r = r;
    l->ctx = ctx;
    r->data = l;
    r->data_free = login_free;
    ctx->logins_inflight++;
    l->counted = true;
    wx_strlcpy(l->state_id, state, sizeof(l->state_id));
    wx_strlcpy(l->identifier, identifier, sizeof(l->identifier));
    wx_strlcpy(l->code, code ? code : "", sizeof(l->code));
    http_req_ip(r, l->ip, sizeof(l->ip));
    /* No cookie: hash of "" never equals a stored binding, so the claim is refused. */
    http_req_cookie(r, handle_bind_cookie_name(ctx->app->cfg), bind, sizeof(bind));
    if (wx_sha256_hex(bind, strlen(bind), l->browser) != WX_OK) {
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED, NULL);
        return;
    }
    claim_submit(l);
}
