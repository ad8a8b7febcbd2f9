/* Growing byte buffer with a hard maximum (like curl's dynbuf): appending past max fails
 * cleanly with WX_ETOOBIG instead of growing without bound on untrusted input. */
#ifndef WX_BUF_H
#define WX_BUF_H

#include "wx.h"

typedef struct {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;
} wx_buf_t;

void wx_buf_init(wx_buf_t *b, size_t max);
void wx_buf_free(wx_buf_t *b);
void wx_buf_reset(wx_buf_t *b);
wx_status_t wx_buf_append(wx_buf_t *b, const void *p, size_t n);
wx_status_t wx_buf_puts(wx_buf_t *b, const char *s);
wx_status_t wx_buf_printf(wx_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Take ownership of the data (caller frees); the buffer becomes empty. */
char *wx_buf_steal(wx_buf_t *b);
/* Returns the contents or "" when empty. */
const char *wx_buf_str(const wx_buf_t *b);

#endif
