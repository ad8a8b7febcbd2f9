/* Parametric QR codes of an official account (spec/wechat-oauth.md §10):
 *   POST /cgi-bin/qrcode/create?access_token=  → {"ticket","expire_seconds","url"}
 *   GET  /cgi-bin/showqrcode?ticket=            → the image (SVG here; WeChat sends a JPEG)
 *   GET  /q/{code}                              → what the phone sees once it scanned `url`
 * The phone's page takes the current WeChat user from emu_person (or the cookie) like the
 * authorize page, and emu_action=subscribe follows the account (the "关注" button). A follower
 * who scans gets Event=SCAN, EventKey=<scene>; a new follower Event=subscribe,
 * EventKey=qrscene_<scene>; both with the Ticket. The event is pushed to the account's server
 * (push.c) and the page answers once that server did, saying what it answered. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "../util/qr.h"
#include "../util/url.h"
#include "ids.h"

#define QR_BODY_MAX 4096
#define QR_EXPIRE_DEFAULT 60    /* expire_seconds absent */
#define QR_EXPIRE_MAX 2592000   /* 30 days */
#define QR_PERMANENT_MAX 100000 /* QR_LIMIT_SCENE scene_id range */
#define QR_TICKET_PREFIX "wxemuqr:"
#define QR_TICKET_MAX 128
#define PERSON_COOKIE "wxemu_person"
#define PERSON_COOKIE_AGE (30L * 86400)
#define CT_HTML "text/html; charset=utf-8"

/* The ticket of a code: standard base64 with padding (so it must be URL-encoded, like
 * WeChat's). */
static void
ticket_of(const char *code, char out[QR_TICKET_MAX])
{
    char raw[64];
    int n = wx_snprintf(raw, sizeof(raw), "%s%s", QR_TICKET_PREFIX, code) ? (int)strlen(raw) : 0;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)raw, n);
}

/* The code a ticket names, or false. */
static bool
code_of(const char *ticket, char out[EMU_CODE_LEN + 1])
{
    unsigned char raw[QR_TICKET_MAX];
    size_t n = ticket ? strlen(ticket) : 0;
    if (n == 0 || n >= QR_TICKET_MAX || n % 4 != 0)
        return false;
    int m = EVP_DecodeBlock(raw, (const unsigned char *)ticket, (int)n);
    size_t pre = strlen(QR_TICKET_PREFIX);
    if (m < (int)(pre + EMU_CODE_LEN) || memcmp(raw, QR_TICKET_PREFIX, pre) != 0)
        return false;
    memcpy(out, raw + pre, EMU_CODE_LEN);
    out[EMU_CODE_LEN] = '\0';
    for (size_t i = 0; i < EMU_CODE_LEN; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* scene_str: 1-64 printable ASCII characters; the emulator also refuses '<', '&' and ']'
 * so that the pushed CDATA stays well-formed (WeChat does not document its set). */
static bool
scene_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > EMU_SCENE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '<' || s[i] == '&' || s[i] == ']')
            return false;
    return true;
}

const emu_account_t *
emu_cgi_token_account(emu_t *e, const char *access_token, emu_resp_t *out)
{
    if (!access_token || !access_token[0]) {
        emu_resp_wxerr(e, out, 41001);
        return NULL;
    }
    const emu_grant_t *g = strlen(access_token) <= EMU_TOKEN_LEN
                               ? emu_tab_find(&e->grants.client, access_token)
                               : NULL;
    if (!g) {
        emu_resp_wxerr(e, out, 40001);
        return NULL;
    }
    emu_resp_set_appid(out, g->appid);
    if (g->expires <= emu_now(e)) {
        emu_resp_wxerr(e, out, 42001);
        return NULL;
    }
    const emu_account_t *a = emu_model_account(&e->model, g->appid);
    if (!a)
        emu_resp_wxerr(e, out, 40001);
    return a;
}

static void
qrcode_create(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    size_t len = 0;
    json_error_t je;
    json_t *j = NULL;
    char *body = NULL;
    const emu_account_t *a = emu_cgi_token_account(e, wx_query_get(&r->query, "access_token"), out);
    if (!a)
        goto out;
    body = http_req_body(r, &len);
    if (!body || len == 0) {
        emu_resp_wxerr(e, out, 44002);
        goto out;
    }
    j = len <= QR_BODY_MAX ? json_loadb(body, len, 0, &je) : NULL;
    if (!json_is_object(j)) {
        emu_resp_wxerr(e, out, 47001);
        goto out;
    }
    const char *action = json_string_value(json_object_get(j, "action_name"));
    bool permanent, str;
    if (action && strcmp(action, "QR_SCENE") == 0)
        permanent = false, str = false;
    else if (action && strcmp(action, "QR_STR_SCENE") == 0)
        permanent = false, str = true;
    else if (action && strcmp(action, "QR_LIMIT_SCENE") == 0)
        permanent = true, str = false;
    else if (action && strcmp(action, "QR_LIMIT_STR_SCENE") == 0)
        permanent = true, str = true;
    else {
        emu_resp_wxerr(e, out, 40097);
        goto out;
    }
    json_t *scene = json_object_get(json_object_get(j, "action_info"), "scene");
    emu_grant_t q = {0};
    if (str) {
        const char *s = json_string_value(json_object_get(scene, "scene_str"));
        if (!s || !scene_ok(s)) {
            emu_resp_wxerr(e, out, 40097);
            goto out;
        }
        wx_strlcpy(q.scene, s, sizeof(q.scene));
    } else {
        json_t *id = json_object_get(scene, "scene_id");
        json_int_t v = json_is_integer(id) ? json_integer_value(id) : 0;
        if (v <= 0 || v > (permanent ? QR_PERMANENT_MAX : 4294967295LL)) {
            emu_resp_wxerr(e, out, 40097);
            goto out;
        }
        wx_snprintf(q.scene, sizeof(q.scene), "%lld", (long long)v);
    }
    long expire = QR_EXPIRE_DEFAULT;
    json_t *ex = json_object_get(j, "expire_seconds");
    if (!permanent && ex) {
        if (!json_is_integer(ex) || json_integer_value(ex) <= 0) {
            emu_resp_wxerr(e, out, 40097);
            goto out;
        }
        expire =
            json_integer_value(ex) > QR_EXPIRE_MAX ? QR_EXPIRE_MAX : (long)json_integer_value(ex);
    }
    wx_err_t err = {0};
    char ticket[QR_TICKET_MAX], url[EMU_AVATAR_MAX + 64];
    if (emu_code_new(q.key) != WX_OK) {
        emu_resp_wxerr(e, out, -1);
        goto out;
    }
    wx_strlcpy(q.appid, a->appid, sizeof(q.appid));
    q.permanent = permanent;
    q.expires = permanent ? INT64_MAX / 4 : emu_now(e) + expire;
    if (emu_tab_add(&e->grants.qrcodes, emu_now(e), &q, NULL, &err) != WX_OK) {
        emu_resp_wxerr(e, out, -1);
        goto out;
    }
    ticket_of(q.key, ticket);
    wx_snprintf(url, sizeof(url), "%s/q/%s", e->cfg.public_url, q.key);
    out->outcome = "issued";
    json_t *o = json_pack("{s:s}", "ticket", ticket);
    if (o && !permanent)
        json_object_set_new(o, "expire_seconds", json_integer(expire));
    if (o)
        json_object_set_new(o, "url", json_string(url));
    emu_resp_json(out, o);
out:
    free(body);
    json_decref(j);
}

static void
require_post(emu_t *e, http_req_t *r, emu_resp_t *out)
{
    (void)r;
    emu_resp_wxerr(e, out, 43002);
}

void
emu_route_qrcode_create(http_req_t *r)
{
    emu_serve(r, EMU_EP_QRCODE, strcmp(r->method, "POST") == 0 ? qrcode_create : require_post);
}

static const emu_grant_t *
qr_find(emu_t *e, const char *code)
{
    return code && strlen(code) == EMU_CODE_LEN ? emu_tab_find(&e->grants.qrcodes, code) : NULL;
}

void
emu_route_showqrcode(http_req_t *r)
{
    emu_t *e = r->worker->ctx;
    char code[EMU_CODE_LEN + 1], url[EMU_AVATAR_MAX + 64];
    wx_buf_t svg;
    wx_err_t err = {0};
    const emu_grant_t *q =
        code_of(wx_query_get(&r->query, "ticket"), code) ? qr_find(e, code) : NULL;
    if (!q || q->expires <= emu_now(e)) {
        r->outcome = q ? "expired" : "unknown_ticket";
        http_reply_error(r, 404, 404, q ? "ticket expired" : "unknown ticket");
        return;
    }
    wx_snprintf(url, sizeof(url), "%s/q/%s", e->cfg.public_url, q->key);
    wx_buf_init(&svg, 256 * 1024);
    if (wx_qr_svg(url, 0, &svg, &err) != WX_OK) {
        http_reply_error(r, 500, 500, err.msg);
    } else {
        r->outcome = "ok";
        http_reply_raw(r, 200, "image/svg+xml", wx_buf_str(&svg), svg.len);
    }
    wx_buf_free(&svg);
}

/* GET /emu/admin/qrcodes[?scene=S]: the newest codes (at most 100), for tests and demos that
 * must "scan" a code they only saw as a picture. */
json_t *
emu_qrcodes_to_json(const emu_t *e, const char *scene)
{
    json_t *arr = json_array();
    char ticket[QR_TICKET_MAX], url[EMU_AVATAR_MAX + 64];
    int n = 0;
    for (const emu_grant_t *q = e->grants.qrcodes.tail; arr && q && n < 100; q = q->prev) {
        if (scene && strcmp(scene, q->scene) != 0)
            continue;
        ticket_of(q->key, ticket);
        wx_snprintf(url, sizeof(url), "%s/q/%s", e->cfg.public_url, q->key);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:b,s:I}", "appid", q->appid,
                                             "scene", q->scene, "url", url, "ticket", ticket,
                                             "permanent", q->permanent, "expires_at",
                                             (json_int_t)(q->permanent ? 0 : q->expires)));
        n++;
    }
    return json_pack("{s:o*}", "qrcodes", arr);
}

/* ---- the phone's side ---- */

typedef struct {
    http_req_t *r;
    char appid[EMU_APPID_MAX + 1];
    char name[EMU_NAME_MAX + 1];
    const char *event; /* string literal */
} scan_t;

static void
scan_page(http_req_t *r, const char *title, const char *h1, const char *detail, const char *outcome)
{
    emu_t *e = r->worker->ctx;
    emu_resp_t out = {.status = 200};
    wx_buf_init(&out.body, 64 * 1024);
    emu_page_begin(e, &out.body, title);
    wx_buf_puts(&out.body, "<h1 id=\"result\">");
    http_html_escape(&out.body, h1);
    wx_buf_puts(&out.body, "</h1>");
    if (detail) {
        wx_buf_puts(&out.body, "<p class=\"detail\">");
        http_html_escape(&out.body, detail);
        wx_buf_puts(&out.body, "</p>");
    }
    emu_page_end(r, &out);
    r->outcome = outcome;
    http_reply_raw(r, 200, out.ctype, wx_buf_str(&out.body), out.body.len);
    wx_buf_free(&out.body);
}

static void
scan_free(void *p)
{
    free(p);
}

/* The account's text message as WeChat draws it: text escaped, line breaks kept, and its
 * <a href="http(s)://…">…</a> links (how service accounts put a link in a text) as links;
 * any other markup shown as text. */
static void
render_message(wx_buf_t *b, const char *m)
{
    int links = 0;
    while (*m) {
        const char *href_end, *text_end, *close;
        if (strncmp(m, "<a href=\"", 9) == 0 && (href_end = strchr(m + 9, '"')) &&
            href_end[1] == '>' && (close = strstr(href_end + 2, "</a>")) &&
            (strncmp(m + 9, "http://", 7) == 0 || strncmp(m + 9, "https://", 8) == 0)) {
            char *href = strndup(m + 9, (size_t)(href_end - (m + 9)));
            text_end = close;
            char *text = strndup(href_end + 2, (size_t)(text_end - (href_end + 2)));
            if (href && text) {
                wx_buf_printf(b, "<a class=\"reply-link\" id=\"reply-link%s\" href=\"",
                              links++ ? "-more" : "");
                http_html_escape(b, href);
                wx_buf_puts(b, "\">");
                http_html_escape(b, text);
                wx_buf_puts(b, "</a>");
            }
            free(href);
            free(text);
            m = close + 4;
            continue;
        }
        if (*m == '\n') {
            wx_buf_puts(b, "<br>");
            m++;
            continue;
        }
        size_t n = strcspn(m, "<\n");
        if (n == 0)
            n = 1; /* a '<' that opens no link: shown */
        char *part = strndup(m, n);
        if (part)
            http_html_escape(b, part);
        free(part);
        m += n;
    }
}

static void
on_pushed(const emu_push_rec_t *rec, void *arg)
{
    scan_t *s = arg;
    char detail[300];
    bool ok = strcmp(rec->outcome, "success") == 0 || strcmp(rec->outcome, "empty") == 0;
    wx_snprintf(detail, sizeof(detail), "%s · %s → %s (HTTP %ld: %.60s)", s->name, s->event,
                rec->outcome, rec->status, rec->reply);
    if (strcmp(rec->outcome, "reply") == 0 && rec->message) {
        /* The account's chat with its message, as WeChat opens it after a scan. */
        emu_t *e = s->r->worker->ctx;
        emu_resp_t out = {.status = 200};
        wx_snprintf(detail, sizeof(detail), "%s · %s → reply", s->name, s->event);
        wx_buf_init(&out.body, 64 * 1024);
        emu_page_begin(e, &out.body, s->name);
        wx_buf_puts(&out.body, "<p class=\"acct\">");
        http_html_escape(&out.body, s->name);
        wx_buf_puts(&out.body, "</p><h1 id=\"result\">已进入公众号 &middot; Event delivered</h1>"
                               "<p class=\"detail\">");
        http_html_escape(&out.body, detail);
        wx_buf_puts(&out.body, "</p><div id=\"reply\" class=\"bubble\">");
        render_message(&out.body, rec->message);
        wx_buf_puts(&out.body, "</div>");
        emu_page_end(s->r, &out);
        s->r->outcome = "pushed_reply";
        http_reply_raw(s->r, 200, out.ctype, wx_buf_str(&out.body), out.body.len);
        wx_buf_free(&out.body);
        return;
    }
    if (strcmp(rec->outcome, "bad_reply") == 0) /* WeChat drops it and says nothing */
        wx_snprintf(detail, sizeof(detail), "%s · %s → bad_reply: %s", s->name, s->event,
                    rec->reply_error);
    if (ok)
        scan_page(s->r, "公众号", "已进入公众号 · Event delivered", detail, "pushed");
    else /* what WeChat shows when the account's server does not answer "success" */
        scan_page(s->r, "公众号",
                  "该公众号暂时无法提供服务，请稍后再试 · The account's server failed", detail,
                  "push_failed");
}

static void
picker(http_req_t *r, const char *code)
{
    emu_t *e = r->worker->ctx;
    emu_resp_t out = {.status = 200};
    wx_buf_init(&out.body, 256 * 1024);
    emu_page_begin(e, &out.body, "选择微信用户");
    wx_buf_puts(&out.body, "<h1>选择当前微信用户 &middot; Choose the WeChat user</h1>");
    for (size_t i = 0; i < e->model.npeople && i < 200; i++) {
        const emu_person_t *p = &e->model.people[i];
        wx_buf_printf(&out.body, "<a class=\"person\" href=\"/q/%s?emu_person=", code);
        wx_url_encode(&out.body, p->id);
        wx_buf_puts(&out.body, "\">");
        http_html_escape(&out.body, p->nickname);
        wx_buf_puts(&out.body, " <small>");
        http_html_escape(&out.body, p->id);
        wx_buf_puts(&out.body, "</small></a>");
    }
    emu_page_end(r, &out);
    r->outcome = "picker";
    http_reply_raw(r, 200, out.ctype, wx_buf_str(&out.body), out.body.len);
    wx_buf_free(&out.body);
}

static void
follow_page(http_req_t *r, const emu_account_t *a, const char *code, const char *person)
{
    emu_t *e = r->worker->ctx;
    emu_resp_t out = {.status = 200};
    wx_buf_init(&out.body, 64 * 1024);
    emu_page_begin(e, &out.body, a->name);
    wx_buf_puts(&out.body, "<p class=\"acct\">");
    http_html_escape(&out.body, a->name);
    wx_buf_puts(&out.body, "</p><h1>关注公众号后继续 &middot; Follow the account to continue</h1>"
                           "<a id=\"follow\" class=\"btn allow\" href=\"/q/");
    wx_buf_puts(&out.body, code);
    wx_buf_puts(&out.body, "?emu_person=");
    wx_url_encode(&out.body, person);
    wx_buf_puts(&out.body, "&amp;emu_action=subscribe\">关注 &middot; Follow</a>");
    emu_page_end(r, &out);
    r->outcome = "follow_page";
    http_reply_raw(r, 200, out.ctype, wx_buf_str(&out.body), out.body.len);
    wx_buf_free(&out.body);
}

void
emu_route_scan(http_req_t *r)
{
    emu_t *e = r->worker->ctx;
    const char *ua = http_req_header(r, "User-Agent");
    const char *code = r->path + strlen("/q/");
    char cookie[EMU_PERSON_ID_MAX + 1], openid[EMU_OPENID_LEN + 1], unionid[EMU_OPENID_LEN + 1];
    char key[EMU_SCENE_MAX + 16], ticket[QR_TICKET_MAX];
    wx_err_t err = {0};
    const emu_person_t *p = NULL;

    if (e->cfg.ua_check && (!ua || !strstr(ua, "MicroMessenger"))) {
        emu_resp_t out = {.status = 200};
        wx_buf_init(&out.body, 64 * 1024);
        emu_page_ua(e, r, &out);
        r->outcome = "ua_refused";
        http_reply_raw(r, 200, out.ctype, wx_buf_str(&out.body), out.body.len);
        wx_buf_free(&out.body);
        return;
    }
    const emu_grant_t *q = qr_find(e, code);
    if (!q) {
        scan_page(r, "二维码", "二维码无效 · Unknown QR code", NULL, "unknown_qr");
        return;
    }
    if (q->expires <= emu_now(e)) {
        scan_page(r, "二维码", "二维码已过期 · This QR code has expired", NULL, "expired_qr");
        return;
    }
    const emu_account_t *a = emu_model_account(&e->model, q->appid);
    if (!a) {
        scan_page(r, "二维码", "二维码无效 · Unknown QR code", NULL, "unknown_qr");
        return;
    }
    const char *chosen = wx_query_get(&r->query, "emu_person");
    if (chosen && chosen[0]) {
        p = emu_model_person(&e->model, chosen);
        if (!p) {
            scan_page(r, "二维码", "模拟用户不存在 · emu_person names no configured person", NULL,
                      "unknown_person");
            return;
        }
        http_set_cookie(r, PERSON_COOKIE, p->id, PERSON_COOKIE_AGE, false);
    } else if (!chosen && http_req_cookie(r, PERSON_COOKIE, cookie, sizeof(cookie))) {
        p = emu_model_person(&e->model, cookie);
    }
    if (!p) {
        picker(r, q->key);
        return;
    }
    if (emu_person_ids(e, a, p, openid, unionid) != WX_OK) {
        scan_page(r, "二维码", "系统错误 · system error", NULL, "internal_error");
        return;
    }
    bool following = p->follower || emu_tab_find(&e->grants.follows, openid) != NULL;
    const char *action = wx_query_get(&r->query, "emu_action");
    const char *event;
    if (following) {
        event = "SCAN";
        wx_strlcpy(key, q->scene, sizeof(key));
    } else if (action && strcmp(action, "subscribe") == 0) {
        emu_grant_t f = {0};
        wx_strlcpy(f.key, openid, sizeof(f.key));
        wx_strlcpy(f.appid, a->appid, sizeof(f.appid));
        wx_strlcpy(f.person, p->id, sizeof(f.person));
        f.expires = INT64_MAX / 4;
        if (emu_tab_add(&e->grants.follows, emu_now(e), &f, NULL, &err) != WX_OK) {
            scan_page(r, "二维码", "系统错误 · system error", NULL, "internal_error");
            return;
        }
        event = "subscribe";
        wx_snprintf(key, sizeof(key), "qrscene_%s", q->scene);
    } else {
        follow_page(r, a, q->key, p->id);
        return;
    }
    if (!a->push_url[0]) {
        scan_page(r, "公众号", "已进入公众号 · The account has no server configured",
                  "push_url is empty: nothing was pushed", "no_push_url");
        return;
    }
    scan_t *s = calloc(1, sizeof(*s));
    if (!s) {
        http_reply_error(r, 503, 503, "out of memory");
        return;
    }
    s->r = r;
    s->event = event;
    wx_strlcpy(s->appid, a->appid, sizeof(s->appid));
    wx_strlcpy(s->name, a->name, sizeof(s->name));
    r->data = s;
    r->data_free = scan_free;
    ticket_of(q->key, ticket);
    if (emu_push_event(e, r->worker->client, a, openid, event, key, ticket, on_pushed, s, &err) !=
        WX_OK) {
        wx_log(WX_LOG_WARN, "push_failed", "appid", a->appid, "error", err.msg, NULL);
        scan_page(r, "公众号", "该公众号暂时无法提供服务，请稍后再试 · The push failed", err.msg,
                  "push_failed");
    }
}
