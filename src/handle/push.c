/* The official account's message push endpoint (follow to log in, docs/desktop-login.md):
 * GET/POST /wechat/push/{pool}/{identifier}, the "server URL" (服务器地址) set in the MP admin.
 *
 * Every request is signed by WeChat with the connection's Token (sha1 of the sorted Token,
 * timestamp, nonce; proto/wxmsg.h), checked in constant time: a wrong signature is refused
 * (403) and logged. GET with echostr is the MP admin's URL check. POST carries the event XML:
 * plain when the connection has no EncodingAESKey, else encrypted (safe or compat mode: the
 * Encrypt element, its msg_signature, decrypted and its App ID checked) — a plain message to
 * a connection with a key is refused, so knowing the Token alone never forges an event.
 * A push whose timestamp is more than PUSH_SKEW_S away, or that was taken before (same MsgId,
 * or same FromUserName + CreateTime: WeChat's own retries look like that), is ignored but
 * answered "success", as WeChat expects, so it stops retrying. The store decides "taken
 * before" (a unique key written by the store writer), so two nodes never both take one.
 * A subscribe or SCAN event whose scene is a follow-to-login QR code marks that ticket
 * scanned by the follower in the same transaction as the "seen" rows (follow_push_run): a
 * crash between the two cannot lose the login while WeChat stops retrying. Nothing logs the
 * desktop in here: the answer is a passive reply (被动回复, a text message, encrypted in
 * safe/compat mode) asking the follower to confirm through its link (desktop.c).
 * An authentic message with a field longer than we keep is answered "success" (logged), so
 * WeChat does not retry it forever; when it is a field we need, the message is ignored. */
#include "ctx.h"
#include "desktop.h"
#include "follow.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../proto/wxmsg.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "../util/msg.h"
#include "../util/rand.h"

#define PUSH_SKEW_S 300     /* a push's timestamp may be this far from our clock */
#define PUSH_SEEN_KEEP 3600 /* a taken push is remembered this long (retries come in 15 s) */
#define ECHOSTR_MAX 128

typedef struct {
    http_req_t *r;
    conf_fetch_t f;
    char *body;
    size_t body_len;
    char sig[48], ts[24], nonce[72]; /* the signed query (a signature is taken once) */
    /* for the passive reply: the Token, and the AES key when the push was encrypted */
    char token[WXMSG_TOKEN_MAX + 1];
    unsigned char key[32];
    bool encrypted;
    push_job_t job;
} push_t;

static void
push_free(void *p)
{
    push_t *ps = p;
    conf_fetch_clear(&ps->f);
    free(ps->body);
    OPENSSL_cleanse(ps, sizeof(*ps));
    free(ps);
}

static void
reply_text(http_req_t *r, int status, const char *text, const char *outcome)
{
    r->outcome = outcome;
    http_reply_raw(r, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* Refused: logged with what an operator needs to find the cause (never the Token). */
static void
refuse(push_t *ps, int status, const char *event, const char *why)
{
    char ip[64];
    wx_log(WX_LOG_WARN, event, "rid", ps->r->id, "pool", ps->f.pool_id, "connection",
           ps->f.identifier, "ip", http_req_ip(ps->r, ip, sizeof(ip)), "detail", why, NULL);
    reply_text(ps->r, status, status == 403 ? "forbidden" : "bad request", event);
}

static bool
echostr_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z')))
            return false;
    return n > 0 && n <= ECHOSTR_MAX;
}

/* The account's passive reply to the follower (a text message), or "success" when there is
 * nothing to say or it cannot be made. */
static void
reply_follower(push_t *ps, const char *content, const char *outcome)
{
    push_job_t *j = &ps->job;
    worker_ctx_t *ctx = handle_ctx(ps->r);
    char *xml = NULL;
    wx_err_t err = {0};
    (void)ctx;
    if (wxmsg_reply_text(j->openid, j->to_user, wx_now(), content, ps->token,
                         ps->encrypted ? ps->key : NULL, j->appid, &xml, &err) != WX_OK) {
        wx_log(WX_LOG_WARN, "push_reply_failed", "rid", ps->r->id, "error", err.msg, NULL);
        reply_text(ps->r, 200, "success", outcome);
        return;
    }
    ps->r->outcome = outcome;
    http_reply_raw(ps->r, 200, "application/xml; charset=utf-8", xml, strlen(xml));
    free(xml);
}

static void
on_pushed(wx_status_t rc, const wx_err_t *err, void *arg)
{
    push_t *ps = arg;
    push_job_t *j = &ps->job;
    const wx_config_t *cfg = handle_ctx(ps->r)->app->cfg;
    char content[WXMSG_CONTENT_MAX + 1];
    if (rc != WX_OK) {
        /* Nothing was recorded (the "seen" rows and the ticket's change are one transaction):
         * WeChat's retry (it gets no "success") will find it again. */
        wx_log(WX_LOG_WARN, "push_store_failed", "rid", ps->r->id, "error", err->msg, "detail",
               err->detail, NULL);
        reply_text(ps->r, 503, "busy", "store_error");
        return;
    }
    if (j->replay) {
        wx_log(WX_LOG_INFO, "push_replay_ignored", "rid", ps->r->id, "pool", j->pool_id,
               "connection", j->identifier, "event", j->event, "outcome",
               j->outcome ? j->outcome : "", NULL);
        /* A login scene's replay is answered as the push was (push_run); nothing else. */
        if (!j->outcome || strcmp(j->outcome, "scene_unknown") == 0) {
            reply_text(ps->r, 200, "success", "replay_ignored");
            return;
        }
    } else {
        wx_log(WX_LOG_INFO, "push_taken", "rid", ps->r->id, "pool", j->pool_id, "connection",
               j->identifier, "msg_type", j->msg_type, "event", j->event[0] ? j->event : NULL,
               NULL);
    }
    if (!j->outcome) {
        reply_text(ps->r, 200, "success", "taken");
        return;
    }
    bool scanned = strcmp(j->outcome, FOLLOW_SCANNED) == 0;
    /* scene_unknown: the account's other parametric codes (marketing) are no concern of ours */
    wx_log(scanned || strcmp(j->outcome, "scene_unknown") == 0 ? WX_LOG_INFO : WX_LOG_WARN,
           "follow_login", "rid", ps->r->id, "pool", j->pool_id, "connection", j->identifier,
           "event", j->event, "outcome", j->outcome, NULL);
    if (scanned) {
        desktop_ticket_changed(j->scene); /* the desktop page says "scanned" at once */
        if (desktop_follow_reply(cfg, &j->t, content, sizeof(content))) {
            reply_follower(ps, content, j->outcome);
            return;
        }
        wx_log(WX_LOG_WARN, "push_reply_failed", "rid", ps->r->id, "error",
               "the confirmation message could not be written", NULL);
    } else if (strcmp(j->outcome, "ticket_expired") == 0 ||
               strcmp(j->outcome, "scanned_by_other") == 0 ||
               strcmp(j->outcome, "ticket_decided") == 0) {
        const wx_msg_t *m =
            wx_msg(strcmp(j->outcome, "ticket_expired") == 0 ? WX_MSG_CHAT_FOLLOW_EXPIRED
                                                             : WX_MSG_CHAT_FOLLOW_USED);
        if (wx_snprintf(content, sizeof(content), "%s\n%s", m->zh, m->en)) {
            reply_follower(ps, content, j->outcome);
            return;
        }
    }
    reply_text(ps->r, 200, "success", j->outcome);
}

/* On the writer thread: take the push once, and mark the ticket its scene names scanned by
 * the follower; one transaction (a rerun after a lost COMMIT finds its own rows). */
static wx_status_t
push_run(store_t *st, void *arg, wx_err_t *err)
{
    push_job_t *j = &((push_t *)arg)->job;
    bool first = false, sig_first = false;
    j->replay = false;
    j->outcome = NULL;
    /* In plain mode the signature covers the Token, timestamp and nonce, not the body: a
     * signed query is taken once, whatever body comes with it (else a query seen once, e.g. in
     * a proxy's log, would carry any sender for 300 s). */
    wx_status_t rc = store_push_seen(st, j->sig_key, j->now + PUSH_SEEN_KEEP, &sig_first, err);
    if (rc == WX_OK && sig_first)
        rc = store_push_seen(st, j->push_key, j->now + PUSH_SEEN_KEEP, &first, err);
    if (rc != WX_OK)
        return rc;
    /* A rerun after a lost COMMIT finds its own rows: not a replay. */
    j->replay = !(sig_first && first) && !store_writer_rerunning();
    if (!j->scene[0] || !j->record[0])
        return WX_OK;
    /* A replay too: WeChat resends a push whose answer came late (after 5 s) and shows only the
     * answer to the resend, which must carry the same reply (the 确认登录 link), or the
     * follower never gets it. The scan is idempotent for the same follower and the push is
     * authentic, so this changes nothing a first push could not. */
    return follow_push_run(st, j, err);
}

/* The message is authentic: note what it says, and take it (push_run). */
static void
take(push_t *ps, const wxmsg_t *m)
{
    worker_ctx_t *ctx = handle_ctx(ps->r);
    push_job_t *j = &ps->job;
    wx_err_t err = {0};
    char keysrc[600];
    /* Fields we need: too long for us, the message cannot be handled; WeChat still hears
     * "success" (it is authentic: a 400 would make it retry the same message for ever). */
    const unsigned need = WXMSG_F_TO_USER | WXMSG_F_FROM_USER | WXMSG_F_CREATE_TIME |
                          WXMSG_F_MSG_TYPE | WXMSG_F_EVENT | WXMSG_F_EVENT_KEY | WXMSG_F_MSG_ID;
    if (m->too_long) {
        char bits[16];
        wx_snprintf(bits, sizeof(bits), "%u", m->too_long);
        wx_log(m->too_long & need ? WX_LOG_WARN : WX_LOG_INFO,
               m->too_long & need ? "push_field_too_long_ignored" : "push_field_too_long", "rid",
               ps->r->id, "pool", ps->f.pool_id, "connection", ps->f.identifier, "#fields", bits,
               "detail",
               m->too_long & need ? "a field wxauth reads is over its bound: message ignored"
                                  : "a field wxauth does not read is over its bound: taken",
               NULL);
        if (m->too_long & need) {
            reply_text(ps->r, 200, "success", "field_too_long_ignored");
            return;
        }
    }
    if (!m->from_user[0] || !m->create_time[0] || !m->msg_type[0]) {
        refuse(ps, 400, "push_malformed", "FromUserName, CreateTime or MsgType missing");
        return;
    }
    wx_strlcpy(j->pool_id, ps->f.pool_id, sizeof(j->pool_id));
    wx_strlcpy(j->identifier, ps->f.conn.identifier, sizeof(j->identifier));
    wx_strlcpy(j->appid, ps->f.conn.appid, sizeof(j->appid));
    if (!wx_strlcpy(j->openid, m->from_user, sizeof(j->openid))) {
        /* Authentic, so "success" (a 400 makes WeChat retry it for ever); no openid is that
         * long, so nothing of ours is lost. */
        wx_log(WX_LOG_WARN, "push_field_too_long_ignored", "rid", ps->r->id, "pool", ps->f.pool_id,
               "connection", ps->f.identifier, "detail",
               "FromUserName is longer than any openid: message ignored", NULL);
        reply_text(ps->r, 200, "success", "field_too_long_ignored");
        return;
    }
    wx_strlcpy(j->event, m->event, sizeof(j->event));
    wx_strlcpy(j->msg_type, m->msg_type, sizeof(j->msg_type));
    wx_strlcpy(j->to_user, m->to_user, sizeof(j->to_user));
    /* subscribe: EventKey = qrscene_<scene>; SCAN: EventKey = <scene>. */
    const char *scene = NULL;
    if (strcmp(m->msg_type, "event") == 0 && strcmp(m->event, "subscribe") == 0 &&
        strncmp(m->event_key, "qrscene_", 8) == 0)
        scene = m->event_key + 8;
    else if (strcmp(m->msg_type, "event") == 0 && strcmp(m->event, "SCAN") == 0)
        scene = m->event_key;
    if (scene && !wx_strlcpy(j->scene, scene, sizeof(j->scene)))
        j->scene[0] = '\0'; /* too long to be ours */
    j->now = wx_now();
    j->confirm_ttl = ctx->app->cfg->desktop_confirm_ttl;
    http_req_ip(ps->r, j->ip, sizeof(j->ip));
    if (j->scene[0] && follow_push_prepare(ctx->app, j, &err) != WX_OK) {
        wx_log(WX_LOG_WARN, "follow_scene_skipped", "rid", ps->r->id, "error", err.msg, NULL);
        j->record[0] = '\0';
    }
    /* Messages are unique by MsgId, events by sender and second (WeChat's advice). */
    if (m->msg_id[0])
        wx_snprintf(keysrc, sizeof(keysrc), "%s|msg|%s", j->appid, m->msg_id);
    else
        wx_snprintf(keysrc, sizeof(keysrc), "%s|ev|%s|%s|%s|%s", j->appid, m->from_user,
                    m->create_time, m->event, m->event_key);
    if (wx_sha256_hex(keysrc, strlen(keysrc), j->push_key) != WX_OK ||
        !wx_snprintf(keysrc, sizeof(keysrc), "%s|sig|%s|%s|%s", j->appid, ps->sig, ps->ts,
                     ps->nonce) ||
        wx_sha256_hex(keysrc, strlen(keysrc), j->sig_key) != WX_OK) {
        reply_text(ps->r, 500, "error", "internal_error");
        return;
    }
    wx_status_t rc =
        store_writer_submit(ctx->app->writer, ps->r->worker->base, push_run, on_pushed, ps, &err);
    if (rc != WX_OK)
        on_pushed(rc, &err, ps);
}

static void
on_conf(void *arg)
{
    push_t *ps = arg;
    http_req_t *r = ps->r;
    conf_fetch_t *f = &ps->f;
    worker_ctx_t *ctx = handle_ctx(r);
    const wx_query_t *q = &r->query;
    char token[WXMSG_TOKEN_MAX + 1] = "", aes_text[WXMSG_AES_KEY_LEN + 1] = "";
    unsigned char key[32];
    char *inner = NULL;
    size_t inner_len = 0;
    wxmsg_t outer = {0}, m = {0};
    wx_err_t err = {0};
    bool safe = false;

    if (f->pool_rc != WX_OK || f->conn_rc != WX_OK) {
        bool gone = (f->pool_rc == WX_OK || f->pool_rc == WX_ENOENT) &&
                    (f->conn_rc == WX_OK || f->conn_rc == WX_ENOENT);
        if (gone) {
            refuse(ps, 404, "push_unknown_connection", "no such pool or connection");
        } else {
            wx_log(WX_LOG_WARN, "push_conf_read_failed", "rid", r->id, "error", f->err.msg, NULL);
            reply_text(r, 503, "busy", "store_error");
        }
        goto out;
    }
    if (!f->conn.push_token[0]) {
        refuse(ps, 404, "push_not_configured",
               "the connection has no message server Token (push_token)");
        goto out;
    }
    if (keys_conn_field_open(&ctx->app->master, &f->conn, "push_token", f->conn.push_token, token,
                             sizeof(token), &err) != WX_OK ||
        (f->conn.push_aes_key[0] &&
         (keys_conn_field_open(&ctx->app->master, &f->conn, "push_aes_key", f->conn.push_aes_key,
                               aes_text, sizeof(aes_text), &err) != WX_OK ||
          wxmsg_aes_key(aes_text, key, &err) != WX_OK))) {
        wx_log(WX_LOG_ERROR, "push_settings_unreadable", "rid", r->id, "pool", f->pool_id,
               "connection", f->identifier, "error", err.msg, NULL);
        reply_text(r, 500, "error", "settings_unreadable");
        goto out;
    }
    safe = aes_text[0] != '\0';
    const char *ts = wx_query_get(q, "timestamp"), *nonce = wx_query_get(q, "nonce");
    if (!wxmsg_signature_ok(token, ts, nonce, NULL, wx_query_get(q, "signature"))) {
        refuse(ps, 403, "push_signature_bad", "signature does not match the connection's Token");
        goto out;
    }
    if (!wx_strlcpy(ps->sig, wx_query_get(q, "signature"), sizeof(ps->sig)) ||
        !wx_strlcpy(ps->ts, ts, sizeof(ps->ts)) ||
        !wx_strlcpy(ps->nonce, nonce, sizeof(ps->nonce))) {
        refuse(ps, 400, "push_malformed", "timestamp or nonce too long");
        goto out;
    }
    if (strcmp(r->method, "GET") == 0) {
        /* The MP admin's check of the server URL: echo echostr back. */
        const char *echo = wx_query_get(q, "echostr");
        if (!echostr_ok(echo)) {
            refuse(ps, 400, "push_verify_bad", "echostr missing or not letters and digits");
            goto out;
        }
        wx_log(WX_LOG_INFO, "push_url_verified", "rid", r->id, "pool", f->pool_id, "connection",
               f->identifier, NULL);
        reply_text(r, 200, echo, "url_verified");
        goto out;
    }
    long stamp = 0;
    if (!wx_parse_long(ts, 0, 1L << 40, &stamp) || stamp > wx_now() + PUSH_SKEW_S ||
        stamp < wx_now() - PUSH_SKEW_S) {
        /* Answered "success" so that WeChat stops; a replay of an old push ends here. */
        wx_log(WX_LOG_WARN, "push_stale_ignored", "rid", r->id, "pool", f->pool_id, "connection",
               f->identifier, "detail", "timestamp more than 300 s from our clock", NULL);
        reply_text(r, 200, "success", "stale_ignored");
        goto out;
    }
    if (!ps->body || ps->body_len == 0) {
        refuse(ps, 400, "push_malformed", "empty body");
        goto out;
    }
    if (ps->body_len > WXMSG_BODY_MAX) {
        /* Signed by WeChat, but more than we read: "success", so it is not sent again. */
        wx_log(WX_LOG_WARN, "push_too_large_ignored", "rid", r->id, "pool", f->pool_id,
               "connection", f->identifier, "detail", "body over 64 KiB", NULL);
        reply_text(r, 200, "success", "too_large_ignored");
        goto out;
    }
    const char *enc_type = wx_query_get(q, "encrypt_type");
    bool encrypted = enc_type && strcmp(enc_type, "aes") == 0;
    if (enc_type && !encrypted && strcmp(enc_type, "raw") != 0) {
        refuse(ps, 400, "push_malformed", "encrypt_type is neither aes nor raw");
        goto out;
    }
    if (encrypted != safe) {
        refuse(ps, 403, safe ? "push_plain_refused" : "push_encrypted_unexpected",
               safe ? "the connection has an EncodingAESKey: only encrypted pushes are taken"
                    : "an encrypted push, but the connection has no EncodingAESKey");
        goto out;
    }
    if (wxmsg_parse(ps->body, ps->body_len, &outer, &err) != WX_OK) {
        refuse(ps, 400, "push_malformed", err.msg);
        goto out;
    }
    wx_strlcpy(ps->token, token, sizeof(ps->token));
    if (!encrypted) {
        take(ps, &outer);
        goto out;
    }
    if (!outer.encrypt) {
        refuse(ps, 400, "push_malformed", "no Encrypt element");
        goto out;
    }
    if (!wxmsg_signature_ok(token, ts, nonce, outer.encrypt, wx_query_get(q, "msg_signature"))) {
        refuse(ps, 403, "push_signature_bad",
               "msg_signature does not match the connection's Token");
        goto out;
    }
    wx_status_t rc = wxmsg_decrypt(key, outer.encrypt, outer.encrypt_len, f->conn.appid, &inner,
                                   &inner_len, &err);
    if (rc != WX_OK) {
        refuse(ps, 403, rc == WX_EDENIED ? "push_wrong_appid" : "push_undecryptable", err.msg);
        goto out;
    }
    if (wxmsg_parse(inner, inner_len, &m, &err) != WX_OK) {
        refuse(ps, 400, "push_malformed", err.msg);
        goto out;
    }
    memcpy(ps->key, key, sizeof(ps->key)); /* the reply is sealed as the push was */
    ps->encrypted = true;
    take(ps, &m);
out:
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(aes_text, sizeof(aes_text));
    OPENSSL_cleanse(key, sizeof(key));
    wxmsg_free(&outer);
    wxmsg_free(&m);
    if (inner) {
        OPENSSL_cleanse(inner, inner_len);
        free(inner);
    }
}

void
handle_push(http_req_t *r)
{
    const char *rest = r->path + strlen("/wechat/push/");
    size_t n = strcspn(rest, "/");
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0) {
        reply_text(r, 405, "method not allowed", "bad_method");
        return;
    }
    push_t *ps = calloc(1, sizeof(*ps));
    if (!ps) {
        reply_text(r, 503, "busy", "no_memory");
        return;
    }
    ps->r = r;
    r->data = ps;
    r->data_free = push_free;
    if (n == 0 || n >= sizeof(ps->f.pool_id) || rest[n] != '/' ||
        strlen(rest + n + 1) >= sizeof(ps->f.identifier)) {
        reply_text(r, 404, "not found", "bad_path");
        return;
    }
    memcpy(ps->f.pool_id, rest, n);
    ps->f.pool_id[n] = '\0';
    wx_strlcpy(ps->f.identifier, rest + n + 1, sizeof(ps->f.identifier));
    if (!handle_valid_id(ps->f.pool_id) || !handle_valid_identifier(ps->f.identifier)) {
        reply_text(r, 404, "not found", "bad_path");
        return;
    }
    if (strcmp(r->method, "POST") == 0)
        ps->body = http_req_body(r, &ps->body_len); /* its size is checked once signed */
    conf_fetch(r->worker, &ps->f, on_conf, ps);
}
