/* GET /qrcode.svg?url=URL: the QR code of an http(s) URL, drawn here (util/qr.h), so a page
 * opened on a desktop can show the phone where to go ("open in WeChat", the SDK's
 * getQrCodeUrl) without a QR service on the internet. The picture holds nothing but the URL
 * the caller gave: no user text reaches the SVG.
 *
 * Only for URLs of this site or of a site registered here: wxauthd's public_url origin, or
 * the origin of a registered URL (an application's web origins or redirect allow-list, a
 * pool's allow-list, a connection's Callback URL; cors.c keeps them per worker, read at most
 * once a second). A QR code of any other URL served from the identity domain would lend it
 * our name (phishing). */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "../util/qr.h"
#include "../util/url.h"

static void
qr_draw(http_req_t *r, const char *url)
{
    wx_err_t err = {0};
    wx_buf_t svg;
    wx_buf_init(&svg, 256 * 1024);
    if (wx_qr_svg(url, 0, &svg, &err) != WX_OK) {
        http_reply_error(r, 400, 400, err.msg);
        goto out;
    }
    http_add_header(r, "Cache-Control", "public, max-age=86400");
    /* An SVG opened on its own is a document: nothing may run or load in it. */
    http_add_header(r, "Content-Security-Policy", "default-src 'none'");
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    r->outcome = "qrcode";
    http_reply_raw(r, 200, "image/svg+xml", wx_buf_str(&svg), svg.len);
out:
    wx_buf_free(&svg);
}

static void
qr_checked(http_req_t *r, int verdict)
{
    const char *url = wx_query_get(&r->query, "url");
    const char *pub = handle_ctx(r)->app->cfg->public_url;
    char origin[256], msg[1024];
    if (verdict > 0) {
        qr_draw(r, url);
        return;
    }
    if (verdict < 0) {
        r->outcome = "store_unavailable";
        http_add_header(r, "Retry-After", "5");
        http_reply_error(r, 503, 503,
                         "暂时无法生成二维码，请稍后重试。Cannot check the URL's origin right "
                         "now; retry in a few seconds.");
        return;
    }
    handle_url_origin(url, origin, sizeof(origin));
    wx_log(WX_LOG_INFO, "qrcode_origin_refused", "rid", r->id, "origin", origin, NULL);
    wx_snprintf(msg, sizeof(msg),
                "不能为此网址生成二维码。QR codes are drawn only for URLs of %s or of an origin "
                "registered here; %s is not one. Register it: `wxauth app update APP "
                "--web-origin %s` (or a redirect URL or Callback URL on it).",
                pub, origin, origin);
    r->outcome = "qrcode_origin_refused";
    http_reply_error(r, 400, 400, msg);
}

void
handle_qrcode(http_req_t *r)
{
    const char *url = wx_query_get(&r->query, "url");
    const char *pub = handle_ctx(r)->app->cfg->public_url;
    char origin[256], own[256];
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > WX_QR_TEXT_MAX) {
        http_reply_error(r, 400, 400,
                         "url must be an http:// or https:// URL of at most 1024 bytes "
                         "(/qrcode.svg?url=...)");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            http_reply_error(r, 400, 400, "url may not contain control characters");
            return;
        }
    /* A host is letters, digits, '-', '.', ':' and brackets: a percent-escape there could
     * make a registered "*.example.com" pattern match a host browsers decode otherwise. */
    if (!handle_url_origin(url, origin, sizeof(origin)) || strchr(origin, '%')) {
        http_reply_error(r, 400, 400,
                         "url must have a plain host (no percent-escapes) and no user name or "
                         "password (http(s)://host[:port]/...)");
        return;
    }
    /* Our own pages (the console's login links, the desktop pages) need no store read. */
    if (handle_url_origin(pub, own, sizeof(own)) && strcmp(origin, own) == 0) {
        qr_draw(r, url);
        return;
    }
    handle_qr_origin_check(r, origin, qr_checked);
}
