/* Pools and WeChat connections as the login path reads them, cached per worker (issue #10: two
 * store reads per request were ~4 % of a login's CPU). An entry is used while it is younger than
 * CONF_CACHE_TTL_MS and no admin change was made through this process since it was read: a
 * change through this node's admin API takes effect at once, one made through another node
 * within CONF_CACHE_TTL_MS. Only found rows are cached. */
#ifndef WX_HANDLE_CONF_CACHE_H
#define WX_HANDLE_CONF_CACHE_H

#include "../store/store.h"

#define CONF_CACHE_TTL_MS 1000

typedef struct conf_cache conf_cache_t;

conf_cache_t *conf_cache_new(void);
void conf_cache_free(conf_cache_t *c);
/* The generation to remember an entry with: read it (and the time) before the store, so that
 * a change made meanwhile makes the entry stale. */
uint64_t conf_cache_gen(void);
/* A fresh entry, or false: then read the store (off the loop) and remember what it said. */
bool conf_pool_cached(conf_cache_t *c, const char *id, store_pool_t *out);
void conf_pool_remember(conf_cache_t *c, const store_pool_t *p, uint64_t gen, int64_t at_ms);
/* identifier NULL: the pool's default connection (store_conn_default). */
bool conf_conn_cached(conf_cache_t *c, const char *pool_id, const char *identifier,
                      store_conn_t *out);
void conf_conn_remember(conf_cache_t *c, const char *pool_id, const char *identifier,
                        const store_conn_t *conn, uint64_t gen, int64_t at_ms);
/* The same, reading the store at once when the cache has no fresh entry (tests; the server
 * reads through handle/reads.h instead, off its loops). */
wx_status_t conf_pool_get(conf_cache_t *c, store_t *st, const char *id, store_pool_t *out,
                          wx_err_t *err);
wx_status_t conf_conn_get(conf_cache_t *c, store_t *st, const char *pool_id, const char *identifier,
                          store_conn_t *out, wx_err_t *err);
/* An admin write to pools, applications or connections: every worker's entries are stale. */
void conf_cache_changed(void);
/* Wraps an admin write: stale marks after it, whatever it returned. */
static inline wx_status_t
conf_changed_after(wx_status_t rc)
{
    conf_cache_changed();
    return rc;
}

#endif
