/* Limits on the login endpoints (issue #12 item 5): how often one client address may start a
 * login or come back from WeChat, per process (token buckets in memory, shared by the
 * workers like admin_fails_t), and how many unfinished logins an address and everyone together
 * may hold, counted in the store so the caps hold across nodes (start.c). */
#ifndef WX_HANDLE_LOGIN_LIMITS_H
#define WX_HANDLE_LOGIN_LIMITS_H

#include <pthread.h>

#include "../config.h"
#include "../util/wx.h"

typedef enum {
    LOGIN_RATE_START = 0,
    LOGIN_RATE_CALLBACK = 1,
} login_rate_kind_t;

typedef struct login_rate_slot login_rate_slot_t;

typedef struct {
    pthread_mutex_t lock;
    login_rate_slot_t *slots; /* nslots, open addressing under a keyed hash */
    size_t nslots;
    uint64_t seed;        /* hash key: an attacker cannot aim addresses at one slot */
    double per_minute[2]; /* by login_rate_kind_t; 0: no limit */
    /* The store's count of pending states in all, as last read by the writer thread, and the
     * states this process created since: only the writer thread touches these. */
    int64_t total_seen;
    int64_t total_added;
    int64_t total_read_ms; /* monotonic; 0: never read */
    /* The same for pending desktop tickets (handle/desktop_ticket.c). */
    int64_t tickets_seen;
    int64_t tickets_added;
    int64_t tickets_read_ms;
} login_limits_t;

/* Sized from cfg ([limits]); WX_ENOMEM. */
wx_status_t login_limits_init(login_limits_t *l, const wx_config_t *cfg, wx_err_t *err);
void login_limits_free(login_limits_t *l);

/* Take one request of kind from the address key (wx_ip_client_key) at now_ms (monotonic).
 * false: over the limit; *retry_after_s says when one is allowed again, and *first is true the
 * first time this address is refused since it was last allowed (log it once). */
bool login_rate_take(login_limits_t *l, login_rate_kind_t kind, const char *key, int64_t now_ms,
                     int *retry_after_s, bool *first);

#endif
