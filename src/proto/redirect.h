/* Redirect allow-lists (authing-compat.md §2). A target is allowed only when it matches a
 * registered pattern exactly, where '*' in the path or query matches within one segment (never
 * '/', '?', '#', '@') and '*' in the host matches exactly one DNS label. No open redirects. Neither
 * a URL nor a pattern may have a "." or ".." path segment in any encoding (see check_shape), so a
 * star can never stand for one. */
#ifndef WX_PROTO_REDIRECT_H
#define WX_PROTO_REDIRECT_H

#include "../util/wx.h"

#define REDIRECT_URL_MAX 1023

/* An absolute http(s) URL we may send a browser to: no userinfo, no control characters, no
 * backslash, a host, bounded length, no dot segment in its path. */
wx_status_t redirect_validate_url(const char *url, wx_err_t *err);
/* A pattern an admin may register: a valid URL shape, '*' never in the scheme or port. */
wx_status_t redirect_validate_pattern(const char *pattern, wx_err_t *err);
bool redirect_match(const char *pattern, const char *url);
/* Any pattern of a newline-separated list. */
bool redirect_list_match(const char *patterns, const char *url);
/* First entry of a newline-separated list that is a plain URL (no '*'), copied into out. */
bool redirect_list_first_plain(const char *patterns, char *out, size_t n);

#endif
