/* Requests the emulator holds on the event loop instead of answering at once: a reply delayed
 * by injected latency, a reset after a delay, or a hang. Each sits in a list with its own
 * timer, so latency never blocks the loop; at shutdown (the server's on_drain hook) every
 * one still held is answered or reset, so no request outlives the server. */
#ifndef EMU_HELD_H
#define EMU_HELD_H

#include "../http/server.h"

#define EMU_HELD_MAX 10000
#define EMU_HANG_MAX_MS (300 * 1000) /* a hung request is reset after this */

typedef enum {
    EMU_HELD_REPLY, /* send the prepared reply */
    EMU_HELD_RESET, /* reset the connection */
} emu_held_kind_t;

typedef struct emu_held_req emu_held_req_t;

typedef struct {
    emu_held_req_t *head;
    size_t count;
} emu_held_t;

/* Hold r for delay_ms, then do kind. For EMU_HELD_REPLY, body (len bytes, NULL when empty)
 * is taken over whatever the outcome; ctype must be a string literal. Fails (and leaves r
 * to the caller) when too many are held or out of memory. */
wx_status_t emu_held_add(emu_held_t *h, http_req_t *r, emu_held_kind_t kind, long delay_ms,
                         int status, const char *ctype, char *body, size_t len, wx_err_t *err);
/* Answer everything held now (shutdown). */
void emu_held_drain(emu_held_t *h);
/* Free the bookkeeping; the loop is gone, so requests still listed are not touched. */
void emu_held_free(emu_held_t *h);

#endif
