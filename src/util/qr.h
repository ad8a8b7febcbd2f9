/* QR codes as SVG, drawn here (libqrencode): a desktop page shows the phone a link to open in
 * WeChat without asking any service on the internet. */
#ifndef WX_UTIL_QR_H
#define WX_UTIL_QR_H

#include "buf.h"
#include "wx.h"

#define WX_QR_TEXT_MAX 1024 /* bytes of text a code may hold here (a URL) */

/* The QR code of text (error correction M, 4-module quiet zone) as a standalone SVG document
 * appended to out; px is its width and height in CSS pixels (0: 4 px per module).
 * WX_EINVAL for empty or too long text. */
wx_status_t wx_qr_svg(const char *text, int px, wx_buf_t *out, wx_err_t *err);

#endif
