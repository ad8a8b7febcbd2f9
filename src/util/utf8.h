/* UTF-8 text checks. Every string the store keeps must be valid UTF-8: PostgreSQL refuses
 * anything else while SQLite would keep it, so the store checks before binding (both backends
 * alike), request input that is not UTF-8 is refused at the edge, and text from WeChat is
 * repaired (an odd nickname must never break a login). */
#ifndef WX_UTIL_UTF8_H
#define WX_UTIL_UTF8_H

#include "buf.h"
#include "wx.h"

/* Is s[0..n) well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF)? NUL bytes count as valid here; C strings end before them anyway. */
bool wx_utf8_valid(const char *s, size_t n);
/* s[0..n) with every byte that does not start a well-formed sequence replaced by U+FFFD,
 * appended to out. */
wx_status_t wx_utf8_repair(const char *s, size_t n, wx_buf_t *out);

#endif
