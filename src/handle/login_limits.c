/* Per-address rate limits of the login endpoints (login_limits.h). Each address has a token
 * bucket per endpoint: it holds a minute's allowance (so a burst of one minute's worth passes at
 * once) and refills continuously. The table has a fixed size: an address hashes (keyed by a
 * random seed) to a window of LIMITS_PROBE slots; a new address takes a free slot, else one
 * whose buckets have refilled (it carries no information), else the one closest to full. So
 * memory is bounded, and an address being limited is the last one pushed out. What this
 * cannot stop alone — many addresses each taking their first minute — the store's caps on
 * pending logins (start.c) bound. */
#include "login_limits.h"

#include <stdlib.h>
#include <string.h>

#include "../util/rand.h"

#define LIMITS_PROBE 8
#define LIMITS_KEY_MAX 48 /* an IPv6 /64 key is at most 24 characters */

struct login_rate_slot {
    char key[LIMITS_KEY_MAX];
    double tokens[2];
    int64_t at_ms[2]; /* when tokens[] was last brought up to date */
    bool refused[2];  /* refused since last allowed (logged once) */
};

wx_status_t
login_limits_init(login_limits_t *l, const wx_config_t *cfg, wx_err_t *err)
{
    memset(l, 0, sizeof(*l));
    if (pthread_mutex_init(&l->lock, NULL) != 0)
        return wx_err_set(err, WX_ENOMEM, "cannot create the login limits' lock");
    l->nslots = (size_t)cfg->limit_addresses;
    l->slots = calloc(l->nslots, sizeof(*l->slots));
    if (!l->slots) {
        pthread_mutex_destroy(&l->lock);
        return wx_err_set(err, WX_ENOMEM, "out of memory for %zu limited addresses", l->nslots);
    }
    l->per_minute[LOGIN_RATE_START] = cfg->start_per_minute;
    l->per_minute[LOGIN_RATE_CALLBACK] = cfg->callback_per_minute;
    if (wx_rand_bytes(&l->seed, sizeof(l->seed)) != WX_OK) {
        login_limits_free(l);
        return wx_err_set(err, WX_ECRYPTO, "no random bytes for the login limits");
    }
    return WX_OK;
}

void
login_limits_free(login_limits_t *l)
{
    if (!l->slots)
        return;
    free(l->slots);
    l->slots = NULL;
    pthread_mutex_destroy(&l->lock);
}

/* FNV-1a over the seed and the key: enough to spread addresses an attacker cannot aim, since
 * the seed is secret and new at every start. */
static uint64_t
key_hash(uint64_t seed, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    h ^= h >> 29;
    return h * 0xbf58476d1ce4e5b9ULL;
}

/* Bring a slot's buckets up to now; returns how full they are (1 = both full: idle). */
static double
slot_refill(const login_limits_t *l, login_rate_slot_t *s, int64_t now_ms)
{
    double fill = 1;
    for (int k = 0; k < 2; k++) {
        double cap = l->per_minute[k];
        if (cap <= 0)
            continue;
        if (now_ms > s->at_ms[k]) {
            s->tokens[k] += (double)(now_ms - s->at_ms[k]) * cap / 60000.0;
            s->at_ms[k] = now_ms;
        }
        if (s->tokens[k] > cap)
            s->tokens[k] = cap;
        if (s->tokens[k] / cap < fill)
            fill = s->tokens[k] / cap;
    }
    return fill;
}

static login_rate_slot_t *
slot_find(login_limits_t *l, const char *key, int64_t now_ms)
{
    size_t start = (size_t)(key_hash(l->seed, key) % l->nslots);
    login_rate_slot_t *pick = NULL;
    double pick_fill = -1;
    for (size_t i = 0; i < LIMITS_PROBE && i < l->nslots; i++) {
        login_rate_slot_t *s = &l->slots[(start + i) % l->nslots];
        if (s->key[0] && strcmp(s->key, key) == 0)
            return s;
        double fill = s->key[0] ? slot_refill(l, s, now_ms) : 2; /* empty beats idle */
        if (fill > pick_fill) {
            pick = s;
            pick_fill = fill;
        }
    }
    memset(pick, 0, sizeof(*pick));
    wx_strlcpy(pick->key, key, sizeof(pick->key));
    for (int k = 0; k < 2; k++) {
        pick->tokens[k] = l->per_minute[k];
        pick->at_ms[k] = now_ms;
    }
    return pick;
}

bool
login_rate_take(login_limits_t *l, login_rate_kind_t kind, const char *key, int64_t now_ms,
                int *retry_after_s, bool *first)
{
    bool ok = true;
    *retry_after_s = 0;
    *first = false;
    if (l->per_minute[kind] <= 0 || !l->slots)
        return true;
    pthread_mutex_lock(&l->lock);
    login_rate_slot_t *s = slot_find(l, key, now_ms);
    slot_refill(l, s, now_ms);
    if (s->tokens[kind] >= 1) {
        s->tokens[kind] -= 1;
        s->refused[kind] = false;
    } else {
        ok = false;
        *first = !s->refused[kind];
        s->refused[kind] = true;
        double wait_ms = (1 - s->tokens[kind]) * 60000.0 / l->per_minute[kind];
        *retry_after_s = (int)(wait_ms / 1000) + 1;
    }
    pthread_mutex_unlock(&l->lock);
    return ok;
}
