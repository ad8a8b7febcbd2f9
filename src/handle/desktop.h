/* Desktop login with the service account alone (issue #15 item 1, docs/desktop-login.md): the
 * desktop page with the ticket's QR code, the phone's scan, confirmation and landing pages,
 * the desktop's long-poll and its taking of the login. The ticket core is desktop_ticket.h; the
 * desktop page's script is sdk/desktop-login.js (served from memory by assets.c). */
#ifndef WX_HANDLE_DESKTOP_H
#define WX_HANDLE_DESKTOP_H

#include "desktop_ticket.h"

/* Does r come from a browser outside WeChat, with [desktop] login on? Then the start
 * endpoints answer with the QR page instead of sending it to WeChat. */
bool desktop_wanted(http_req_t *r);

/* start.c, for a desktop browser: t (pool, connection, application, target, OIDC request,
 * options, site, browser, client_ip filled; the rest is filled here) is stored as a new
 * ticket and r answered with the QR page (or a 429/503). t is copied. */
void desktop_start(http_req_t *r, const store_ticket_t *t);

/* The QR page of ticket t: an inline SVG of qr_text (a URL), or, when img_url is set, that
 * picture (e.g. a WeChat parametric QR code of the follow-to-login flow). The page long-polls
 * /desktop/wait and goes to /desktop/finish once the ticket is confirmed. */
void desktop_page_reply(http_req_t *r, const store_ticket_t *t, const char *qr_text,
                        const char *img_url);

/* The desktop asking, as the phone is shown it: t's desktop_ip and desktop_ua from r. */
void desktop_ticket_describe(http_req_t *r, store_ticket_t *t);

/* The follow-to-login reply's Content (push.c): Chinese first, which site and computer ask,
 * and the link <a href="{public_url}/desktop/scan?t=ID">确认登录</a>; false when it does
 * not fit in n (at most WXMSG_CONTENT_MAX). Text of the site's is stripped of '<' and '>'. */
bool desktop_follow_reply(const wx_config_t *cfg, const store_ticket_t *t, char *out, size_t n);

/* start.c: start the phone's WeChat login for ticket t; its state carries the ticket, and
 * its errors end on landing (this module's phone page). */
void handle_start_ticket(http_req_t *r, const store_ticket_t *t, const char *landing);

/* callback.c: the phone's WeChat login for ticket_id ended with rec (the user): bind the
 * ticket to this phone (state_id, phone_browser = its binding hash) and show the
 * confirmation page. A follow ticket is bound to its follower already: the page is shown
 * only when rec's openid is the follower's (else a forwarded link: refused). Replies to r. */
void desktop_phone_scanned(http_req_t *r, worker_ctx_t *ctx, const char *ticket_id,
                           const char *state_id, const char *phone_browser,
                           const login_record_t *rec);
/* callback.c: is redirect the phone landing page of ticket_id? */
bool desktop_phone_target_ok(const wx_config_t *cfg, const char *ticket_id, const char *redirect);

/* Endpoints (routes.c). */
void handle_desktop_scan(http_req_t *r);    /* GET /desktop/scan?t= (phone, in WeChat) */
void handle_desktop_phone(http_req_t *r);   /* GET /desktop/phone?t= (phone's error landing) */
void handle_desktop_confirm(http_req_t *r); /* POST /desktop/confirm (phone) */
void handle_desktop_wait(http_req_t *r);    /* GET /desktop/wait?t=&seen= (desktop, JSON) */
void handle_desktop_finish(http_req_t *r);  /* GET /desktop/finish?t= (desktop) */

#endif
