/* HTML/XML escaping (html.h): one place, for the error pages, the emulator's pages and
 * avatars, and the OIDC form_post page. */
#include "html.h"

wx_status_t
wx_html_escape(wx_buf_t *b, const char *s)
{
    wx_status_t rc = WX_OK;
    for (const char *p = s; *p && rc == WX_OK; p++) {
        switch (*p) {
        case '<':
            rc = wx_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = wx_buf_puts(b, "&gt;");
            break;
        case '&':
            rc = wx_buf_puts(b, "&amp;");
            break;
        case '"':
            rc = wx_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = wx_buf_puts(b, "&#39;");
            break;
        default:
            rc = wx_buf_append(b, p, 1);
        }
    }
    return rc;
}
