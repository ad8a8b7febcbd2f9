/* Desktop login tickets (issue #15): the core every desktop method shares. A desktop browser
 * gets a ticket (a row of store.h's desktop_tickets, bound to its binding cookie) and shows it
 * as a QR code; a phone identifies the WeChat user and confirms the ticket on desktop.c's
 * confirmation page (reached by scanning the code, or for follow-to-login through the
 * account's reply to the push event); the desktop learns it by waiting (long-poll) and takes
 * the login
 * once, ending on the business callback as a phone login would (desktop.c).
 *
 * Every function here is asynchronous in the event loop's style: store writes go to the
 * process's writer (store/writer.h), reads to handle_read (reads.h); `done` is called exactly
 * once on the submitting loop when the function returned WX_OK, never otherwise. Nothing
 * blocks a thread while a ticket waits: the wait is a timer that reads the store every
 * [desktop] poll_ms, so a ticket created on one node and completed on another is seen. */
#ifndef WX_HANDLE_DESKTOP_TICKET_H
#define WX_HANDLE_DESKTOP_TICKET_H

#include "ctx.h"
#include "../proto/login_record.h"

/* Ticket ids: 8 base62 digits of the time, then 24 random letters and digits (142 bits). */
#define DESKTOP_TICKET_ID_LEN 32
/* How long after its confirmation a ticket may still be taken by its desktop. */
#define DESKTOP_TAKE_WITHIN_S 60
/* Methods (store_ticket_t.method). */
#define DESKTOP_METHOD_SCAN "scan"     /* service account: webpage authorization + confirm */
#define DESKTOP_METHOD_FOLLOW "follow" /* follow the account to log in (push events) */

/* Called on the loop. t is the row after the operation (NULL when none could be read); it is
 * only valid during the call. */
typedef void (*desktop_ticket_done_fn)(wx_status_t rc, const wx_err_t *err, const store_ticket_t *t,
                                       void *arg);

/* A new ticket id (see DESKTOP_TICKET_ID_LEN). */
wx_status_t desktop_ticket_id_make(char out[STORE_ID_MAX]);

/* Store a new ticket t (id, pool, connection, target, browser, client_ip, created_at and
 * expires_at filled by the caller: start.c's desktop branch does it for the "scan" method).
 * The caps on unfinished logins apply to tickets too ([limits] pending_per_address and
 * pending_total, counted on pending tickets): refused with WX_EDENIED and *capped set to 1
 * (per address) or 2 (in total), read in done (capped must live until then). */
wx_status_t desktop_ticket_create(http_worker_t *w, const store_ticket_t *t, int *capped,
                                  desktop_ticket_done_fn done, void *arg, wx_err_t *err);

/* Follow-to-login: the follower of a ticket (the openid a subscribe/SCAN push named) is kept
 * on the ticket as phone_browser = this hash and phone_state = desktop_follower_state; the
 * phone that opens the reply's link must log in (webpage authorization) as the same openid. */
wx_status_t desktop_follower_hash(const char *openid, char out[65]);
wx_status_t desktop_follower_state(const char *follower_hash, char out[STORE_ID_MAX]);

/* Refuse the ticket (the desktop is told so). WX_EUSED when decided already. */
wx_status_t desktop_ticket_refuse(http_worker_t *w, const char *ticket_id,
                                  desktop_ticket_done_fn done, void *arg, wx_err_t *err);
/* Wait until the ticket's status is no longer `seen` (or it expired), or until deadline_ms
 * (wx_mono_ms clock), or the worker is stopping: done then gets the row as last read (rc
 * WX_OK), WX_ENOENT when there is none, or the store's error. The store is read at once, then
 * every [desktop] poll_ms, and at once when this process changes the ticket
 * (desktop_ticket_changed): a timer on the loop, no thread held. browser (may be NULL): the
 * waiter's binding hash; a row bound to another browser ends the wait at once (the caller
 * refuses it).
 * Caps: [desktop] max_waits open in the process (over it: WX_ETOOBIG, nothing started); past
 * DESKTOP_WAITS_PER_TICKET open on one ticket, a new wait answers after one read (the current
 * status) instead of waiting — a page holds one wait at a time.
 * *handle (may be NULL) is set before the first read, for desktop_ticket_wait_cancel until
 * done is called (with SQLite, done may run before this returns). */
typedef struct ticket_wait ticket_wait_t;
#define DESKTOP_WAITS_PER_TICKET 4
wx_status_t desktop_ticket_wait(http_worker_t *w, const char *ticket_id, int seen,
                                const char *browser, int64_t deadline_ms, ticket_wait_t **handle,
                                desktop_ticket_done_fn done, void *arg, wx_err_t *err);
/* The waiter is gone (its client closed the connection): done is never called, the timer
 * stops now, a store read in flight is dropped when it returns. On the wait's loop, before
 * done was called. */
void desktop_ticket_wait_cancel(ticket_wait_t *wt);
/* Waits open in this process, and the store reads they made (for /metrics). Any thread. */
void desktop_ticket_wait_stats(int64_t *open, uint64_t *reads);

/* The ticket was changed by this process (a write committed): its waits in this process read
 * it at once instead of at their next poll. Any thread. desktop_ticket_refuse
 * calls it; a module changing tickets with store_ticket_* itself calls it after the commit. */
void desktop_ticket_changed(const char *ticket_id);
/* The worker w is stopping: its waits answer now (their rows as last read), on its loop. */
void desktop_ticket_waits_wake(http_worker_t *w);

/* A user's login record sealed for one ticket (bound to its id) and back. */
wx_status_t desktop_record_seal(const app_t *app, const char *ticket_id, const login_record_t *rec,
                                char out[STORE_TICKET_RECORD_MAX], wx_err_t *err);
bool desktop_record_open(const app_t *app, const char *ticket_id, const char *sealed,
                         login_record_t *rec);

/* Seconds left before the ticket expires at now (0 when it has). */
int64_t desktop_ticket_left(const store_ticket_t *t, int64_t now);
/* "pending", "scanned", "confirmed", "refused", "used", or "expired" at now. */
const char *desktop_ticket_status_name(const store_ticket_t *t, int64_t now);

#endif
