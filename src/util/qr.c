/* QR code to SVG (qr.h). One path of horizontal runs keeps a 1 KB URL's code near 10 KB. */
#include "qr.h"

#include <errno.h>
#include <string.h>

#include <qrencode.h>

#define QR_QUIET 4 /* modules of white around the code, as the standard asks */

wx_status_t
wx_qr_svg(const char *text, int px, wx_buf_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || n > WX_QR_TEXT_MAX)
        return wx_err_set(err, WX_EINVAL, "QR text must be 1-%d bytes", WX_QR_TEXT_MAX);
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return wx_err_set(err, errno == ENOMEM ? WX_ENOMEM : WX_EINVAL, "cannot encode QR code");
    int w = q->width, side = w + 2 * QR_QUIET;
    if (px <= 0)
        px = side * 4;
    rc = wx_buf_printf(out,
                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                       "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                       "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                       px, px, side, side, side, side);
    for (int y = 0; y < w && rc == WX_OK; y++) {
        for (int x = 0; x < w && rc == WX_OK;) {
            if (!(q->data[y * w + x] & 1)) { /* bit 0: dark module */
                x++;
                continue;
            }
            int run = 1;
            while (x + run < w && (q->data[y * w + x + run] & 1))
                run++;
            rc = wx_buf_printf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
            x += run;
        }
    }
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "\"/></svg>");
    if (rc != WX_OK)
        rc = wx_err_set(err, rc, "QR code too large for its buffer");
    QRcode_free(q);
    return rc;
}
