/* The emulated authorize page's HTML: error pages (status 200, like WeChat), the notice
 * outside WeChat, the person picker and the consent screen. Everything echoed is
 * HTML-escaped; pages need no script, and a strict CSP says so. */
#include "state.h"

#include <stdlib.h>

#include <openssl/evp.h>

#include "../http/reply.h"
#include "../util/qr.h"

#define CT_HTML "text/html; charset=utf-8"
#define PICKER_MAX 200 /* people listed on the picker */

static const char page_css[] =
    "body{font-family:-apple-system,'PingFang SC','Helvetica Neue',sans-serif;margin:0;"
    "background:#ededed;color:#191919}"
    "main{max-width:30em;margin:0 auto;padding:2em 1.2em;text-align:center}"
    "h1{font-size:1.2em;font-weight:500;margin:1em 0 .6em}"
    ".banner{background:#fa9d3b;color:#fff;padding:.5em;text-align:center;font-size:.9em}"
    ".icon{width:3em;height:3em;line-height:3em;margin:1em auto 0;border-radius:50%;"
    "background:#fa5151;color:#fff;font-size:1.6em;font-weight:700}"
    ".code{color:#888;font-size:.9em}.detail{color:#555;font-size:.9em}"
    ".acct{font-weight:600;font-size:1.1em;margin-top:1em}"
    "ul{text-align:left;background:#fff;border-radius:8px;padding:1em 1em 1em 2em}"
    ".who{background:#fff;border-radius:8px;padding:.8em;margin:1em 0}"
    ".who img,.person img{width:2.4em;height:2.4em;border-radius:4px;vertical-align:middle;"
    "margin-right:.6em}"
    ".btn{display:block;padding:.8em;margin:.8em 0;border-radius:8px;text-decoration:none;"
    "font-size:1.05em}.allow{background:#07c160;color:#fff}.deny{background:#fff;color:#07c160}"
    ".person{display:block;text-align:left;background:#fff;border-radius:8px;padding:.7em;"
    "margin:.6em 0;color:#191919;text-decoration:none}.person small{color:#888}"
    "footer{color:#aaa;font-size:.75em;text-align:center;padding:1em}"
    ".qr{background:#fff;border-radius:8px;padding:1em;margin:1em auto;width:15em}"
    ".qr img{width:13em;height:13em}.hint{color:#555}.done{color:#07c160;font-size:1.6em}";

void
emu_page_begin(const emu_t *e, wx_buf_t *b, const char *title)
{
    wx_buf_puts(b, "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<title>");
    http_html_escape(b, title);
    wx_buf_puts(b, "</title><style>");
    wx_buf_puts(b, page_css);
    wx_buf_puts(b, "</style></head><body>");
    if (e && !e->cfg.ua_check)
        wx_buf_puts(b, "<div class=\"banner\">UA check off (demo mode) &middot; "
                       "未检查微信客户端（演示模式）</div>");
    wx_buf_puts(b, "<main>");
}

void
emu_page_end(http_req_t *r, emu_resp_t *out)
{
    wx_buf_printf(&out->body,
                  "</main><footer>WeChat emulator (wxauth) &middot; %s</footer></body></html>\n",
                  r->id);
    http_add_header(r, "Content-Security-Policy",
                    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; "
                    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    out->ctype = CT_HTML;
    if (out->body.len == 0) /* over the size limit: say so rather than send half a page */
        wx_buf_puts(&out->body, "page too large");
}

void
emu_page_error(const emu_t *e, http_req_t *r, emu_resp_t *out, int code, const char *detail)
{
    wx_buf_t *b = &out->body;
    wx_buf_reset(b);
    out->status = 200; /* WeChat shows its error pages with 200 */
    out->errcode = code;
    if (!out->outcome)
        out->outcome = "page_error";
    emu_page_begin(e, b, "微信授权出错");
    wx_buf_puts(b, "<div class=\"icon\">!</div><h1>");
    http_html_escape(b, emu_page_errmsg(code));
    wx_buf_printf(b, "</h1><p class=\"code\">错误码 errcode: %d</p>", code);
    if (detail && detail[0]) {
        wx_buf_puts(b, "<p class=\"detail\">");
        http_html_escape(b, detail);
        wx_buf_puts(b, "</p>");
    }
    emu_page_end(r, out);
}

void
emu_page_http_status(emu_resp_t *out, int status)
{
    const char *reason = status == 500   ? "Internal Server Error"
                         : status == 502 ? "Bad Gateway"
                         : status == 503 ? "Service Temporarily Unavailable"
                         : status == 504 ? "Gateway Time-out"
                         : status == 429 ? "Too Many Requests"
                                         : "Error";
    wx_buf_reset(&out->body);
    wx_buf_printf(&out->body,
                  "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d "
                  "%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
                  status, reason, status, reason);
    out->status = status;
    out->ctype = CT_HTML;
}

void
emu_page_ua(const emu_t *e, http_req_t *r, emu_resp_t *out)
{
    wx_buf_reset(&out->body);
    out->status = 200;
    out->outcome = "not_wechat";
    emu_page_begin(e, &out->body, "微信授权");
    wx_buf_puts(&out->body, "<h1>请在微信客户端打开链接</h1>");
    emu_page_end(r, out);
}

/* href = self + "&emu_person=ID" [+ "&emu_action=ACTION"], HTML-escaped. */
static void
self_link(wx_buf_t *b, const char *self, const char *person, const char *action)
{
    wx_buf_t u;
    wx_buf_init(&u, 16384);
    wx_buf_puts(&u, self);
    wx_buf_puts(&u, "&emu_person=");
    wx_url_encode(&u, person);
    if (action) {
        wx_buf_puts(&u, "&emu_action=");
        wx_url_encode(&u, action);
    }
    http_html_escape(b, wx_buf_str(&u));
    wx_buf_free(&u);
}

static void
avatar(const emu_t *e, wx_buf_t *b, const emu_person_t *p)
{
    char url[EMU_AVATAR_MAX + 200];
    if (!p->avatar[0])
        return;
    emu_avatar_url(e, p, url, sizeof(url));
    wx_buf_puts(b, "<img alt=\"\" src=\"");
    http_html_escape(b, url);
    wx_buf_puts(b, "\">");
}

void
emu_page_picker(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self)
{
    wx_buf_t *b = &out->body;
    wx_buf_reset(b);
    out->status = 200;
    out->outcome = "picker";
    emu_page_begin(e, b, "选择微信用户");
    wx_buf_puts(b, "<h1>选择当前微信用户 &middot; Choose the WeChat user</h1>");
    if (e->model.npeople == 0)
        wx_buf_puts(b, "<p class=\"detail\">No people configured: add [person ID] sections "
                       "or POST /emu/admin/people.</p>");
    for (size_t i = 0; i < e->model.npeople && i < PICKER_MAX; i++) {
        const emu_person_t *p = &e->model.people[i];
        wx_buf_puts(b, "<a class=\"person\" href=\"");
        self_link(b, self, p->id, NULL);
        wx_buf_puts(b, "\">");
        avatar(e, b, p);
        http_html_escape(b, p->nickname);
        wx_buf_puts(b, " <small>");
        http_html_escape(b, p->id);
        if (p->follower)
            wx_buf_puts(b, " &middot; follower");
        if (p->snapshot)
            wx_buf_puts(b, " &middot; snapshot user");
        wx_buf_puts(b, "</small></a>");
    }
    emu_page_end(r, out);
}

void
emu_page_consent(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self,
                 const emu_account_t *a, const emu_person_t *p, unsigned scope)
{
    wx_buf_t *b = &out->body;
    (void)scope; /* only snsapi_userinfo asks */
    wx_buf_reset(b);
    out->status = 200;
    out->outcome = "consent";
    emu_page_begin(e, b, "微信授权");
    wx_buf_puts(b, "<div class=\"acct\">");
    http_html_escape(b, a->name);
    wx_buf_puts(b, "</div><h1>申请获得以下权限 &middot; requests</h1><ul>"
                   "<li>获得你的公开信息（昵称、头像等）<br><small>your public profile: "
                   "nickname, avatar</small></li></ul><div class=\"who\">微信用户 WeChat user: ");
    avatar(e, b, p);
    http_html_escape(b, p->nickname);
    wx_buf_puts(b, " <small><a href=\"");
    self_link(b, self, "", NULL);
    wx_buf_puts(b, "\">切换 switch</a></small></div><a class=\"btn allow\" href=\"");
    self_link(b, self, p->id, "allow");
    wx_buf_puts(b, "\">允许 Allow</a><a class=\"btn deny\" href=\"");
    self_link(b, self, p->id, "deny");
    wx_buf_puts(b, "\">拒绝 Deny</a>");
    emu_page_end(r, out);
}

/* ---- Open Platform website apps: the QR-code login page (qrconnect.c) ---- */

void
emu_page_qr_error(const emu_t *e, http_req_t *r, emu_resp_t *out, int code, const char *headline,
                  const char *detail)
{
    wx_buf_t *b = &out->body;
    wx_buf_reset(b);
    out->status = 200; /* like the authorize page: an error page, never an HTTP error */
    out->errcode = code;
    if (!out->outcome)
        out->outcome = "page_error";
    emu_page_begin(e, b, "微信登录");
    wx_buf_puts(b, "<div class=\"icon\">!</div><h1>该链接无法访问</h1><p>");
    http_html_escape(b, headline ? headline : emu_page_errmsg(code));
    wx_buf_printf(b, "</p><p class=\"code\">错误码 errcode: %d</p>", code);
    if (detail && detail[0]) {
        wx_buf_puts(b, "<p class=\"detail\">");
        http_html_escape(b, detail);
        wx_buf_puts(b, "</p>");
    }
    emu_page_end(r, out);
}

/* The QR code of text as an <img> with a data: URL (the page's CSP allows data: images). */
static void
qr_img(wx_buf_t *b, const char *text)
{
    wx_buf_t svg;
    wx_err_t err = {0};
    wx_buf_init(&svg, 256 * 1024);
    if (wx_qr_svg(text, 0, &svg, &err) == WX_OK) {
        size_t n = 4 * ((svg.len + 2) / 3) + 1;
        unsigned char *enc = malloc(n);
        if (enc) {
            EVP_EncodeBlock(enc, (const unsigned char *)wx_buf_str(&svg), (int)svg.len);
            wx_buf_puts(b, "<img alt=\"二维码 QR code\" src=\"data:image/svg+xml;base64,");
            wx_buf_puts(b, (const char *)enc);
            wx_buf_puts(b, "\">");
            free(enc);
        }
    }
    wx_buf_free(&svg);
}

void
emu_page_qr(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self, const char *qr_text,
            const emu_account_t *a, const emu_person_t *scanned)
{
    wx_buf_t *b = &out->body;
    wx_buf_reset(b);
    out->status = 200;
    emu_page_begin(e, b, "微信登录");
    wx_buf_puts(b, "<h1>微信登录</h1><div class=\"acct\">");
    http_html_escape(b, a->name);
    wx_buf_puts(b, "</div>");
    if (scanned) {
        /* After a scan WeChat's page drops the code and shows who is confirming on the phone. */
        wx_buf_puts(b, "<div class=\"done\">&#10003;</div><h1>扫描成功</h1><p class=\"hint\">"
                       "请在微信中点击确认即可登录 &middot; Confirm on your phone</p>"
                       "<div class=\"who\">");
        avatar(e, b, scanned);
        http_html_escape(b, scanned->nickname);
        wx_buf_puts(b, "</div><p class=\"detail\">Emulated phone 模拟手机:</p>"
                       "<a class=\"btn allow\" href=\"");
        self_link(b, self, scanned->id, "confirm");
        wx_buf_puts(b, "\">确认登录 Confirm</a><a class=\"btn deny\" href=\"");
        self_link(b, self, scanned->id, "deny");
        wx_buf_puts(b, "\">取消登录 Cancel</a>");
        emu_page_end(r, out);
        return;
    }
    wx_buf_puts(b, "<div class=\"qr\">");
    qr_img(b, qr_text);
    wx_buf_puts(b, "</div><p class=\"hint\">请使用微信扫描二维码登录<br>"
                   "Scan with WeChat to log in</p>"
                   "<p class=\"detail\">Emulated scan 模拟扫码 (emu_person):</p>");
    if (e->model.npeople == 0)
        wx_buf_puts(b, "<p class=\"detail\">No people configured: add [person ID] sections "
                       "or POST /emu/admin/people.</p>");
    for (size_t i = 0; i < e->model.npeople && i < PICKER_MAX; i++) {
        const emu_person_t *p = &e->model.people[i];
        wx_buf_puts(b, "<a class=\"person\" href=\"");
        self_link(b, self, p->id, NULL);
        wx_buf_puts(b, "\">");
        avatar(e, b, p);
        http_html_escape(b, p->nickname);
        wx_buf_puts(b, " <small>");
        http_html_escape(b, p->id);
        wx_buf_puts(b, "</small></a>");
    }
    emu_page_end(r, out);
}

void
emu_page_qr_cancelled(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self,
                      const emu_account_t *a)
{
    wx_buf_t *b = &out->body;
    wx_buf_reset(b);
    out->status = 200;
    emu_page_begin(e, b, "微信登录");
    wx_buf_puts(b, "<h1>微信登录</h1><div class=\"acct\">");
    http_html_escape(b, a->name);
    wx_buf_puts(b, "</div><div class=\"icon\">!</div><h1>你已取消此次登录</h1>"
                   "<p class=\"hint\">你可再次扫描登录，或关闭窗口<br>You cancelled this login "
                   "on your phone. Scan again, or close this window.</p><a class=\"btn deny\" "
                   "href=\"");
    http_html_escape(b, self);
    wx_buf_puts(b, "\">重新扫描 Scan again</a>");
    emu_page_end(r, out);
}
