/* Text into HTML or XML (element content and quoted attribute values): & < > " ' escaped. */
#ifndef WX_UTIL_HTML_H
#define WX_UTIL_HTML_H

#include "buf.h"
#include "wx.h"

wx_status_t wx_html_escape(wx_buf_t *b, const char *s);

#endif
