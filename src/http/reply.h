/* Replies. Each ends the request (exactly one per request), writes the access log line and
 * sets the security headers every response carries. */
#ifndef WX_HTTP_REPLY_H
#define WX_HTTP_REPLY_H

#include <jansson.h>

#include "../util/msg.h"
#include "server.h"

void http_add_header(http_req_t *r, const char *name, const char *value);
/* A header already added to the response (the first of that name), or NULL. */
const char *http_resp_header(http_req_t *r, const char *name);
/* Set-Cookie with HttpOnly; SameSite=Lax; Path=/ (Secure when secure). max_age < 0: session. */
void http_set_cookie(http_req_t *r, const char *name, const char *value, long max_age, bool secure);

void http_reply_raw(http_req_t *r, int status, const char *content_type, const void *body,
                    size_t len);
/* JSON body; takes the reference to obj. */
void http_reply_json(http_req_t *r, int status, json_t *obj);
/* {"code": code, "message": message} */
void http_reply_error(http_req_t *r, int status, int code, const char *message);
void http_reply_redirect(http_req_t *r, const char *location);
/* What a page adds to its catalogue entry (all optional). */
typedef struct {
    long code;              /* shown small: a WeChat errcode (0: none) */
    const char *arg;        /* replaces "{}" in the entry's texts */
    const char *detail;     /* for the site's developer: what to fix (never a secret) */
    const char *action_url; /* the button's target; NULL: this URL again for a retry (GET), a
                               restart or back to the previous page otherwise */
} http_page_t;
/* A page every WeChat user can read: the catalogue entry id (util/msg.h) in Chinese and
 * English, ordered by Accept-Language, with its action and the request id. o may be NULL.
 * Set r->outcome first: the heading's data-outcome shows it ("error" when unset). */
void http_reply_page(http_req_t *r, int status, wx_msg_id_t id, const http_page_t *o);

/* End the request without a response: the connection is reset (RST), as a crashed or
 * overloaded peer would do. Used by the emulator's fault injection. */
void http_reply_abort(http_req_t *r);
/* Call gone(r) if the client's connection closes (reset, timeout, the client left) before r
 * is answered, then free r: gone cancels what the handler holds (timers, jobs whose answer
 * must then find them cancelled) and must not reply. For requests held long (long-polls): a
 * client that left costs nothing more. Cleared by the reply. Loop thread only. */
void http_req_watch_close(http_req_t *r, void (*gone)(http_req_t *r));

/* Append s to b with HTML escaping. */
wx_status_t http_html_escape(wx_buf_t *b, const char *s);

#endif
