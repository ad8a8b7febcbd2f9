/* GET /qrcode.svg?url=URL: the QR code of an http(s) URL, drawn here (util/qr.h), so a page
 * opened on a desktop can show the phone where to go ("open in WeChat", the SDK's
 * getQrCodeUrl) without a QR service on the internet. The picture holds nothing but the URL
 * the caller gave: no user text reaches the SVG. */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"
#include "../util/qr.h"
#include "../util/url.h"

void
handle_qrcode(http_req_t *r)
{
    const char *url = wx_query_get(&r->query, "url");
    wx_err_t err = {0};
    wx_buf_t svg;
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
    wx_buf_init(&svg, 256 * 1024);
    if (wx_qr_svg(url, 0, &svg, &err) != WX_OK) {
        http_reply_error(r, 400, 400, err.msg);
        goto out;
    }
    http_add_header(r, "Cache-Control", "public, max-age=86400");
    /* An SVG opened on its own is a document: nothing may run or load in it. */
    http_add_header(r, "Content-Security-Policy", "default-src 'none'");
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    http_reply_raw(r, 200, "image/svg+xml", wx_buf_str(&svg), svg.len);
out:
    wx_buf_free(&svg);
}
