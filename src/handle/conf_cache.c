/* Per-worker cache of pools and connections (conf_cache.h): two small direct-mapped tables. */
#include "conf_cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../util/clock.h"

#define CONF_SLOTS 16 /* per table; a node serves a handful of pools */

static atomic_uint_fast64_t conf_gen = 1;

typedef struct {
    uint64_t gen;
    int64_t at_ms;
    store_pool_t pool;
} pool_slot_t;

typedef struct {
    uint64_t gen;
    int64_t at_ms;
    bool is_default; /* looked up without an identifier */
    char pool_id[STORE_ID_MAX];
    store_conn_t conn;
} conn_slot_t;

struct conf_cache {
    pool_slot_t pools[CONF_SLOTS];
    conn_slot_t conns[CONF_SLOTS];
};

conf_cache_t *
conf_cache_new(void)
{
    return calloc(1, sizeof(conf_cache_t));
}

void
conf_cache_free(conf_cache_t *c)
{
    if (!c)
        return;
    OPENSSL_cleanse(c->conns, sizeof(c->conns)); /* sealed App Secrets */
    free(c);
}

void
conf_cache_changed(void)
{
    atomic_fetch_add(&conf_gen, 1);
}

static size_t
slot_of(const char *a, const char *b)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h % CONF_SLOTS;
}

static bool
fresh(uint64_t gen, int64_t at_ms, uint64_t now_gen, int64_t now_ms)
{
    return gen == now_gen && now_ms - at_ms < CONF_CACHE_TTL_MS;
}

uint64_t
conf_cache_gen(void)
{
    return atomic_load(&conf_gen);
}

bool
conf_pool_cached(conf_cache_t *c, const char *id, store_pool_t *out)
{
    pool_slot_t *s = &c->pools[slot_of(id, NULL)];
    if (s->gen && fresh(s->gen, s->at_ms, atomic_load(&conf_gen), wx_mono_ms()) &&
        strcmp(s->pool.id, id) == 0) {
        *out = s->pool;
        return true;
    }
    return false;
}

void
conf_pool_remember(conf_cache_t *c, const store_pool_t *p, uint64_t gen, int64_t at_ms)
{
    pool_slot_t *s = &c->pools[slot_of(p->id, NULL)];
    s->pool = *p;
    s->gen = gen;
    s->at_ms = at_ms;
}

bool
conf_conn_cached(conf_cache_t *c, const char *pool_id, const char *identifier, store_conn_t *out)
{
    bool dflt = identifier == NULL;
    conn_slot_t *s = &c->conns[slot_of(pool_id, identifier)];
    if (s->gen && fresh(s->gen, s->at_ms, atomic_load(&conf_gen), wx_mono_ms()) &&
        s->is_default == dflt && strcmp(s->pool_id, pool_id) == 0 &&
        (dflt || strcmp(s->conn.identifier, identifier) == 0)) {
        *out = s->conn;
        return true;
    }
    return false;
}

void
conf_conn_remember(conf_cache_t *c, const char *pool_id, const char *identifier,
                   const store_conn_t *conn, uint64_t gen, int64_t at_ms)
{
    conn_slot_t *s = &c->conns[slot_of(pool_id, identifier)];
    if (!wx_strlcpy(s->pool_id, pool_id, sizeof(s->pool_id))) {
        s->gen = 0;
        return;
    }
    s->conn = *conn;
    s->is_default = identifier == NULL;
    s->gen = gen;
    s->at_ms = at_ms;
}

wx_status_t
conf_pool_get(conf_cache_t *c, store_t *st, const char *id, store_pool_t *out, wx_err_t *err)
{
    uint64_t gen = conf_cache_gen();
    int64_t now = wx_mono_ms();
    if (conf_pool_cached(c, id, out))
        return WX_OK;
    wx_status_t rc = store_pool_get(st, id, out, err);
    if (rc == WX_OK)
        conf_pool_remember(c, out, gen, now);
    return rc;
}

wx_status_t
conf_conn_get(conf_cache_t *c, store_t *st, const char *pool_id, const char *identifier,
              store_conn_t *out, wx_err_t *err)
{
    uint64_t gen = conf_cache_gen();
    int64_t now = wx_mono_ms();
    if (conf_conn_cached(c, pool_id, identifier, out))
        return WX_OK;
    wx_status_t rc = identifier ? store_conn_get(st, pool_id, identifier, out, err)
                                : store_conn_default(st, pool_id, out, err);
    if (rc == WX_OK)
        conf_conn_remember(c, pool_id, identifier, out, gen, now);
    return rc;
}
