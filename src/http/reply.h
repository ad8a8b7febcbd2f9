/* Replies. Each ends the request (exactly one per request), writes the access log line and
 * sets the security headers every response carries. */
#ifndef WX_HTTP_REPLY_H
#define WX_HTTP_REPLY_H

#include <jansson.h>

#include "server.h"

void http_add_header(http_req_t *r, const char *name, const char *value);
/* Set-Cookie with HttpOnly; SameSite=Lax; Path=/ (Secure when secure). max_age < 0: session. */
void http_set_cookie(http_req_t *r, const char *name, const char *value, long max_age, bool secure);

void http_reply_raw(http_req_t *r, int status, const char *content_type, const void *body,
                    size_t len);
/* JSON body; takes the reference to obj. */
void http_reply_json(http_req_t *r, int status, json_t *obj);
/* {"code": code, "message": message} */
void http_reply_error(http_req_t *r, int status, int code, const char *message);
void http_reply_redirect(http_req_t *r, const char *location);
/* A readable HTML error page (title and message are escaped). */
void http_reply_error_page(http_req_t *r, int status, const char *title, const char *message);

/* End the request without a response: the connection is reset (RST), as a crashed or
 * overloaded peer would do. Used by the emulator's fault injection. */
void http_reply_abort(http_req_t *r);

/* Append s to b with HTML escaping. */
wx_status_t http_html_escape(wx_buf_t *b, const char *s);

#endif
