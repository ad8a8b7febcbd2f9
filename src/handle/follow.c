/* Follow the service account to log in (follow.h): the shared account access token and the
 * parametric QR codes. Continuations on the worker's loop: the store is read through
 * handle_read and written by the store writer, WeChat is called through the loop's libcurl
 * client, so nothing here blocks the loop. */
#include "follow.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "desktop.h"
#include "reads.h"

#define TOKEN_TEXT_MAX 512 /* WeChat reserves 512 characters for an access token */

/* ---- the shared access token ---- */

typedef struct {
    http_worker_t *w;
    const app_t *app;
    store_conn_t conn; /* a copy: its sealed secret opened only when a call is due */
    bool force;
    follow_token_cb cb;
    void *arg;
    /* the stored row, then the new token */
    char sealed[STORE_SECRET_MAX + 512];
    int64_t expires_at;
    wx_status_t read_rc;
    char token[TOKEN_TEXT_MAX + 1];
} tok_t;

static void
tok_free(tok_t *t)
{
    OPENSSL_cleanse(t, sizeof(*t));
    free(t);
}

static void
tok_finish(tok_t *t, wx_status_t rc, const wx_err_t *err)
{
    wx_err_t none = {0};
    t->cb(rc, rc == WX_OK ? t->token : NULL, err ? err : &none, t->arg);
    tok_free(t);
}

static wx_status_t
tok_put_run(store_t *st, void *arg, wx_err_t *err)
{
    tok_t *t = arg;
    return store_wxtoken_put(st, t->conn.appid, t->sealed, t->expires_at, wx_now(), err);
}

static void
tok_put_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    tok_t *t = arg;
    if (rc != WX_OK) /* the token is good: this node uses it, others will ask WeChat again */
        wx_log(WX_LOG_WARN, "access_token_not_stored", "appid", t->conn.appid, "error", err->msg,
               NULL);
    tok_finish(t, WX_OK, NULL);
}

static void
on_stable_token(wx_status_t rc, const wechat_client_token_t *tok, const wx_err_t *err, void *arg)
{
    tok_t *t = arg;
    wx_err_t e = {0};
    if (rc != WX_OK) {
        tok_finish(t, rc, err);
        return;
    }
    if (!wx_strlcpy(t->token, tok->access_token, sizeof(t->token)) || tok->expires_in <= 0) {
        wx_err_set(&e, WX_EUPSTREAM, "WeChat's access token is unusable");
        tok_finish(t, WX_EUPSTREAM, &e);
        return;
    }
    t->expires_at = wx_now() + tok->expires_in;
    char ex[24];
    wx_snprintf(ex, sizeof(ex), "%ld", tok->expires_in);
    wx_log(WX_LOG_INFO, "access_token_fetched", "appid", t->conn.appid, "#expires_in", ex,
           "force_refresh", t->force ? "true" : "false", NULL);
    if (keys_wxtoken_seal(&t->app->master, t->conn.appid, t->token, t->sealed, sizeof(t->sealed),
                          &e) != WX_OK ||
        store_writer_submit(t->app->writer, t->w->base, tok_put_run, tok_put_done, t, &e) !=
            WX_OK) {
        wx_log(WX_LOG_WARN, "access_token_not_stored", "appid", t->conn.appid, "error", e.msg,
               NULL);
        tok_finish(t, WX_OK, NULL);
    }
}

static wx_status_t
tok_read_run(store_t *st, void *arg, wx_err_t *err)
{
    tok_t *t = arg;
    t->read_rc =
        store_wxtoken_get(st, t->conn.appid, t->sealed, sizeof(t->sealed), &t->expires_at, err);
    return t->read_rc == WX_ENOENT ? WX_OK : t->read_rc;
}

static void
tok_read_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    tok_t *t = arg;
    wx_err_t e = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    if (rc != WX_OK) {
        tok_finish(t, rc, err);
        return;
    }
    if (!t->force && t->read_rc == WX_OK && t->expires_at - wx_now() > FOLLOW_TOKEN_REFRESH_S) {
        if (keys_wxtoken_open(&t->app->master, t->conn.appid, t->sealed, t->token, sizeof(t->token),
                              &e) == WX_OK) {
            tok_finish(t, WX_OK, NULL);
            return;
        }
        /* Sealed under another master key (a restored backup): ask WeChat again. */
        wx_log(WX_LOG_WARN, "access_token_unreadable", "appid", t->conn.appid, NULL);
    }
    if (keys_conn_secret_open(&t->app->master, &t->conn, secret, sizeof(secret), &e) != WX_OK) {
        wx_err_set(&e, WX_ECONFIG,
                   "the stored App Secret cannot be read with this master key: set it again");
        tok_finish(t, WX_ECONFIG, &e);
        return;
    }
    rc = wechat_stable_token(t->w->client, t->w->base, &t->app->wechat, t->conn.appid, secret,
                             t->force, on_stable_token, t, &e);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != WX_OK)
        tok_finish(t, rc, &e);
}

wx_status_t
follow_token(http_worker_t *w, const store_conn_t *conn, bool force, follow_token_cb cb, void *arg,
             wx_err_t *err)
{
    worker_ctx_t *ctx = w->ctx;
    if (!conn->appid[0] || !conn->app_secret[0])
        return wx_err_set(err, WX_ECONFIG, "the connection has no App ID or App Secret");
    tok_t *t = calloc(1, sizeof(*t));
    if (!t)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    t->w = w;
    t->app = ctx->app;
    t->conn = *conn;
    t->force = force;
    t->cb = cb;
    t->arg = arg;
    handle_read(w, tok_read_run, tok_read_done, t);
    return WX_OK;
}

/* ---- parametric QR codes ---- */

typedef struct {
    http_worker_t *w;
    store_conn_t conn;
    char scene[STORE_ID_MAX];
    long expire_s;
    bool retried;
    follow_qrcode_cb cb;
    void *arg;
} qr_t;

static void
qr_finish(qr_t *q, wx_status_t rc, const wechat_qrcode_t *qr, const wx_err_t *err)
{
    q->cb(rc, rc == WX_OK ? qr->url : NULL, rc == WX_OK ? qr->expire_seconds : 0, err, q->arg);
    OPENSSL_cleanse(&q->conn, sizeof(q->conn));
    free(q);
}

static void qr_with_token(wx_status_t rc, const char *token, const wx_err_t *err, void *arg);

static void
on_qrcode(wx_status_t rc, const wechat_qrcode_t *qr, const wx_err_t *err, void *arg)
{
    qr_t *q = arg;
    wx_err_t e = {0};
    bool stale =
        rc == WX_EUPSTREAM && (err->code == 40001 || err->code == 42001 || err->code == 40014);
    if (stale && !q->retried) {
        /* Another service of the account reset it, or our clock is off: a new one, once. */
        q->retried = true;
        wx_log(WX_LOG_WARN, "access_token_refused", "appid", q->conn.appid, "error", err->msg,
               NULL);
        if (follow_token(q->w, &q->conn, true, qr_with_token, q, &e) != WX_OK)
            qr_finish(q, e.status, NULL, &e);
        return;
    }
    qr_finish(q, rc, qr, err);
}

static void
qr_with_token(wx_status_t rc, const char *token, const wx_err_t *err, void *arg)
{
    qr_t *q = arg;
    worker_ctx_t *ctx = q->w->ctx;
    wx_err_t e = {0};
    if (rc != WX_OK) {
        qr_finish(q, rc, NULL, err);
        return;
    }
    if (wechat_qrcode_create(q->w->client, q->w->base, &ctx->app->wechat, token, q->scene,
                             q->expire_s, on_qrcode, q, &e) != WX_OK)
        qr_finish(q, e.status ? e.status : WX_EIO, NULL, &e);
}

wx_status_t
follow_qrcode(http_worker_t *w, const store_conn_t *conn, const char *scene, long expire_s,
              follow_qrcode_cb cb, void *arg, wx_err_t *err)
{
    qr_t *q = calloc(1, sizeof(*q));
    if (!q)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    q->w = w;
    q->conn = *conn;
    q->expire_s = expire_s;
    q->cb = cb;
    q->arg = arg;
    if (!wx_strlcpy(q->scene, scene, sizeof(q->scene))) {
        free(q);
        return wx_err_set(err, WX_EINVAL, "scene too long");
    }
    wx_status_t rc = follow_token(w, conn, false, qr_with_token, q, err);
    if (rc != WX_OK)
        free(q);
    return rc;
}

/* ---- a push event: the follower scanned a ticket ---- */

wx_status_t
follow_push_prepare(const app_t *app, push_job_t *j, wx_err_t *err)
{
    login_record_t rec = {0};
    wx_status_t rc;
    /* The record names the follower only (kept sealed on the ticket): the user is made (or
     * found) when the follower's phone logs in through the reply's link, and the
     * confirmation stores that login's record in its place (desktop.c). */
    wx_strlcpy(rec.user_id, "-", sizeof(rec.user_id));
    if (!wx_strlcpy(rec.openid, j->openid, sizeof(rec.openid)))
        return wx_err_set(err, WX_EINVAL, "openid too long");
    rec.iat = j->now;
    if ((rc = wx_rand_alnum(rec.jti, 22)) != WX_OK ||
        (rc = desktop_follower_hash(j->openid, j->follower)) != WX_OK ||
        (rc = desktop_follower_state(j->follower, j->follower_state)) != WX_OK)
        return wx_err_set(err, rc, "follower hash failed");
    return desktop_record_seal(app, j->scene, &rec, j->record, err);
}

wx_status_t
follow_push_run(store_t *st, push_job_t *j, wx_err_t *err)
{
    wx_err_t e2 = {0};
    wx_status_t rc = store_ticket_get(st, j->scene, &j->t, &e2);
    if (rc == WX_ENOENT) {
        j->outcome = "scene_unknown";
        return WX_OK;
    }
    if (rc != WX_OK) {
        *err = e2;
        return rc;
    }
    /* Only a follow ticket of this very connection: a scene of another pool, connection or
     * method (a scan ticket's id pushed by someone who saw it) changes nothing. */
    if (strcmp(j->t.method, DESKTOP_METHOD_FOLLOW) != 0 || strcmp(j->t.pool_id, j->pool_id) != 0 ||
        strcmp(j->t.conn_identifier, j->identifier) != 0) {
        j->outcome = "scene_unknown";
        return WX_OK;
    }
    if (j->replay) {
        /* A replay changes nothing (in plain mode a signed query seen once may come back with
         * any body): WeChat's resend of a late-answered push is answered as the push was, only
         * when the ticket is already this follower's. */
        if (j->t.status == STORE_TICKET_SCANNED && strcmp(j->t.phone_state, j->follower_state) == 0)
            j->outcome = j->now >= j->t.expires_at ? "ticket_expired" : FOLLOW_SCANNED;
        return WX_OK;
    }
    rc = store_ticket_scan(st, j->scene, j->follower_state, j->follower, j->record, j->now,
                           j->now + j->confirm_ttl, &j->t, &e2);
    switch (rc) {
    case WX_OK: /* first time, or this follower again (the same state): asked again */
        /* ... unless the code expired meanwhile (the same follower is let in before the
         * store's expiry check): the chat says so rather than sending a dead link. */
        j->outcome = j->now >= j->t.expires_at ? "ticket_expired" : FOLLOW_SCANNED;
        return WX_OK;
    case WX_EUSED:
        j->outcome = j->t.status == STORE_TICKET_SCANNED ? "scanned_by_other" : "ticket_decided";
        return WX_OK;
    case WX_EEXPIRED:
        j->outcome = "ticket_expired";
        return WX_OK;
    default:
        *err = e2;
        return rc;
    }
}

/* ---- the desktop's side ---- */

typedef struct {
    http_req_t *r;
    store_ticket_t t;
    store_conn_t conn;
    int capped;
} fstart_t;

static void
fstart_free(void *p)
{
    fstart_t *f = p;
    OPENSSL_cleanse(&f->conn, sizeof(f->conn));
    free(f);
}

static void
on_follow_qrcode(wx_status_t rc, const char *url, long expire_seconds, const wx_err_t *err,
                 void *arg)
{
    fstart_t *f = arg;
    http_req_t *r = f->r;
    (void)expire_seconds;
    if (rc != WX_OK) {
        /* The ticket stays pending and expires: nothing to undo. */
        char ec[16];
        wx_snprintf(ec, sizeof(ec), "%d", err->code);
        wx_log(WX_LOG_WARN, "follow_qrcode_failed", "rid", r->id, "pool", f->t.pool_id,
               "connection", f->t.conn_identifier, "error", err->msg, "#errcode",
               rc == WX_EUPSTREAM ? ec : NULL, NULL);
        r->outcome = rc == WX_ETIMEOUT ? "wechat_timeout" : "wechat_error";
        http_reply_page(r, 502, WX_MSG_PAGE_START_UNAVAILABLE,
                        &(http_page_t){.detail = "WeChat could not make the account's QR code "
                                                 "(qrcode/create): see the log."});
        return;
    }
    /* The code holds WeChat's url; drawn here like the scan method's, so the page needs
     * nothing from mp.weixin.qq.com. */
    desktop_page_reply(r, &f->t, url, NULL); /* frees f */
}

static void
on_follow_ticket(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t, void *arg)
{
    fstart_t *f = arg;
    http_req_t *r = f->r;
    wx_err_t e = {0};
    (void)t;
    if (rc == WX_EDENIED && f->capped) {
        handle_reply_limited(r, 60, f->capped == 2 ? "pending_total_cap" : "pending_address_cap");
        return;
    }
    if (rc != WX_OK) {
        wx_log(WX_LOG_ERROR, "desktop_ticket_create_failed", "rid", r->id, "error", err->msg, NULL);
        http_reply_page(r, 503, WX_MSG_PAGE_START_UNAVAILABLE, NULL);
        return;
    }
    long ttl = (long)(f->t.expires_at - f->t.created_at);
    if (follow_qrcode(r->worker, &f->conn, f->t.id, ttl, on_follow_qrcode, f, &e) != WX_OK)
        on_follow_qrcode(e.status ? e.status : WX_EIO, NULL, 0, &e, f);
}

void
follow_desktop_start(http_req_t *r, const store_ticket_t *t, const store_conn_t *conn)
{
    const wx_config_t *cfg = handle_ctx(r)->app->cfg;
    wx_err_t err = {0};
    fstart_t *f = calloc(1, sizeof(*f));
    if (!f) {
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    f->r = r;
    f->t = *t;
    f->conn = *conn;
    if (desktop_ticket_id_make(f->t.id) != WX_OK) {
        free(f);
        http_reply_page(r, 503, WX_MSG_PAGE_BUSY, NULL);
        return;
    }
    wx_strlcpy(f->t.method, DESKTOP_METHOD_FOLLOW, sizeof(f->t.method));
    desktop_ticket_describe(r, &f->t); /* the reply on the phone names this computer */
    f->t.created_at = wx_now();
    f->t.expires_at = f->t.created_at + cfg->desktop_ticket_ttl;
    r->data = f;
    r->data_free = fstart_free;
    if (desktop_ticket_create(r->worker, &f->t, &f->capped, on_follow_ticket, f, &err) != WX_OK)
        on_follow_ticket(err.status ? err.status : WX_EBUSY, &err, NULL, f);
}
