/* Admin credential checking (see admin_auth.c). */
#ifndef WX_HANDLE_ADMIN_AUTH_H
#define WX_HANDLE_ADMIN_AUTH_H

#include <pthread.h>

#include "../http/server.h"
#include "../keys/admin_hash.h"
#include "../util/wx.h"

#define ADMIN_FAIL_SLOTS 256
#define ADMIN_FAIL_LIMIT 10   /* wrong tokens per address ... */
#define ADMIN_FAIL_WINDOW 300 /* ... within this many seconds */
#define ADMIN_SLOW_PER_SEC 4  /* PBKDF2 checks per second, all addresses and workers together */

typedef struct {
    char ip[64]; /* the address, or an IPv6 /64 prefix ("2001:db8:1:2::/64") */
    int count;   /* wrong tokens in the window */
    int64_t window_start;
    int unreported; /* wrong tokens not yet in an audit row */
    int64_t audit_minute;
} admin_fail_t;

/* Shared by every worker so the limits hold whichever worker a connection lands on: failures
 * per client address (the worst offenders are kept: a new address never evicts one at the
 * limit), the global budget of slow (PBKDF2) checks, and the last token that passed (its
 * SHA-256). One lock, never held across a hash. */
typedef struct {
    pthread_mutex_t lock;
    admin_fail_t slots[ADMIN_FAIL_SLOTS];
    int64_t slow_second; /* the second slow_used counts in */
    int slow_used;
    bool slow_busy; /* a derivation runs: at most one at a time in the process */
    struct {
        bool set;
        unsigned char owner[32];  /* the credential's hash it passed (admin or metrics) */
        unsigned char digest[32]; /* SHA-256 of the token */
    } good[2];
    int other_unreported; /* failures of addresses the full table could not keep */
    int64_t other_minute;
} admin_fails_t;
#define ADMIN_FAILS_INIT                                                                           \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER                                                          \
    }

/* Per worker: the last token that passed (no lock), and the shared state. */
typedef struct {
    bool cached;
    unsigned char cached_digest[32];
    admin_fails_t *fails; /* process-wide; NULL: local below (tests, one worker) */
    /* The budget of slow checks (its slow_* fields), when not fails': /metrics has its own, so
     * scrapers or guessers there never make admin sign-in wait (and the other way round). */
    admin_fails_t *budget;
    admin_fails_t local;
    uint64_t slow_checks; /* PBKDF2 derivations run by this guard (tests, metrics) */
} admin_guard_t;

typedef enum {
    ADMIN_AUTH_OK,
    ADMIN_AUTH_MISSING,  /* no Bearer token: not a guess, not counted */
    ADMIN_AUTH_DENIED,   /* wrong token */
    ADMIN_AUTH_LIMITED,  /* wrong token from an address over the limit (not hashed slowly) */
    ADMIN_AUTH_BUSY,     /* the global budget of slow checks is spent: retry in a second */
    ADMIN_AUTH_DISABLED, /* no admin credential configured */
    ADMIN_AUTH_PENDING,  /* internal (admin_auth.c): a slow derivation is under way */
} admin_auth_result_t;

/* What the caller logs and audits about a refusal. */
typedef struct {
    char ip[64];
    int report; /* > 0: write one audit row for this many failures (at most one per minute) */
} admin_auth_info_t;

typedef void (*admin_auth_done_fn)(http_req_t *r, admin_auth_result_t res,
                                   const admin_auth_info_t *info);
/* The request's Bearer token against h, from the client address of http_req_ip; done(r, …) is
 * called with the result on the request's loop: at once, or — when a slow (PBKDF2) derivation
 * is due — once a thread has run it, so a guess never stalls the loop. Failures are logged. */
void admin_authenticate_async(admin_guard_t *g, const admin_hash_t *h, http_req_t *r,
                              admin_auth_done_fn done);
/* The same for a token (NULL: none) from ip at time now; what admin_authenticate runs. */
admin_auth_result_t admin_auth_check(admin_guard_t *g, const admin_hash_t *h, const char *ip,
                                     const char *token, int64_t now, admin_auth_info_t *info);

#endif
