/* Admin credential checking (see admin_auth.c). */
#ifndef WX_HANDLE_ADMIN_AUTH_H
#define WX_HANDLE_ADMIN_AUTH_H

#include <pthread.h>

#include "../http/server.h"
#include "../keys/admin_hash.h"
#include "../util/wx.h"

#define ADMIN_FAIL_SLOTS 64

typedef struct {
    char ip[64];
    int count;
    int64_t window_start;
} admin_fail_t;

/* Failed sign-ins per client address, shared by every worker: the limit holds whichever
 * worker a connection lands on. One lock, taken only by the admin API and never across the
 * (slow) hash. */
typedef struct {
    pthread_mutex_t lock;
    admin_fail_t slots[ADMIN_FAIL_SLOTS];
} admin_fails_t;
#define ADMIN_FAILS_INIT                                                                           \
    {                                                                                              \
        .lock = PTHREAD_MUTEX_INITIALIZER                                                          \
    }

/* Per worker: the last token that passed (no lock), and the shared failure counters. */
typedef struct {
    bool cached;
    unsigned char cached_digest[32];
    admin_fails_t *fails;                 /* process-wide; NULL: local below, unlocked */
    admin_fail_t local[ADMIN_FAIL_SLOTS]; /* only when fails is NULL (tests, one worker) */
} admin_guard_t;

typedef enum {
    ADMIN_AUTH_OK,
    ADMIN_AUTH_MISSING,  /* no Bearer token */
    ADMIN_AUTH_DENIED,   /* wrong token */
    ADMIN_AUTH_LIMITED,  /* too many failures from this address */
    ADMIN_AUTH_DISABLED, /* no admin credential configured */
} admin_auth_result_t;

admin_auth_result_t admin_authenticate(admin_guard_t *g, const admin_hash_t *h, http_req_t *r);

#endif
