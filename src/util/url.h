/* Percent-encoding and query strings. Query parsing keeps the order of the parameters because
 * WeChat's authorize endpoint checks it. Everything is bounded. */
#ifndef WX_URL_H
#define WX_URL_H

#include "buf.h"

#define WX_QUERY_MAX_PARAMS 32
#define WX_QUERY_MAX_LEN 8192

typedef struct {
    char *key;   /* decoded */
    char *value; /* decoded; "" when the parameter had no '=' */
} wx_param_t;

typedef struct {
    wx_param_t params[WX_QUERY_MAX_PARAMS];
    size_t count;
} wx_query_t;

/* Append s percent-encoded (RFC 3986 unreserved kept) to b. */
wx_status_t wx_url_encode(wx_buf_t *b, const char *s);
/* Decode n bytes of s (also '+' as space when plus_space) into a new string. Rejects bad
 * escapes and embedded NULs. */
wx_status_t wx_url_decode(const char *s, size_t n, bool plus_space, char **out);
/* The value of one hex digit (either case), or -1. */
int wx_hex_value(char c);
/* Parse "a=1&b=2" (without '?'). Fails on too many params, too long, or bad escapes. */
wx_status_t wx_query_parse(const char *qs, wx_query_t *q, wx_err_t *err);
void wx_query_free(wx_query_t *q);
/* The same, the values overwritten first: for forms that carry secrets (client_secret, code,
 * code_verifier, refresh_token, token), so they do not linger in freed memory. */
void wx_query_free_secret(wx_query_t *q);
/* First value of key, or NULL. */
const char *wx_query_get(const wx_query_t *q, const char *key);

/* Split a request target "/path?query" into a normalised path (runs of '/' folded, so the
 * "//oauth/..." of old SDKs routes) and the raw query (or NULL). Both allocated. The raw path
 * is split at '/' first and each segment percent-decoded after, so routing sees the client's
 * segments: a segment holding an encoded '/' (%2F), a decoded NUL, or a "." / ".." segment
 * (also %2e-encoded) is rejected (WX_EINVAL, err says which). */
wx_status_t wx_target_split(const char *target, char **path, char **query, wx_err_t *err);

/* Add "key=value" (encoded) to a URL that may or may not already have a query string. */
wx_status_t wx_url_add_param(wx_buf_t *url, const char *key, const char *value);

#endif
