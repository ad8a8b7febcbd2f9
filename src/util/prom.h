/* Prometheus metrics: counters and histograms cheap enough for the hot path, and the text
 * exposition format (version 0.0.4) to publish them.
 *
 * Live values have one writer (the worker thread that owns them) and any number of readers
 * (the thread answering a scrape): the writer adds with a relaxed load and store, which is a
 * plain add on the machine (no locked instruction), and a reader sees each value whole. A
 * scrape sums the workers' values; it may miss an increment made meanwhile, never tear one. */
#ifndef WX_PROM_H
#define WX_PROM_H

#include <stdatomic.h>

#include "buf.h"

/* One bucket layout for every histogram (upper bounds in microseconds), from 0.5 ms (a store
 * commit) to 30 s (a slow WeChat with retries); +Inf follows. */
#define PROM_BUCKETS 15
extern const uint64_t prom_bucket_us[PROM_BUCKETS];

typedef _Atomic uint64_t prom_counter_t;

/* Add n; only the owning thread may call it. */
static inline void
prom_counter_add(prom_counter_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline uint64_t
prom_counter_get(const prom_counter_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* A histogram snapshot: per-bucket (not cumulative) counts, the last one +Inf. Plain values:
 * the owner serialises (a scrape's sum, or the store writer under its lock). */
typedef struct {
    uint64_t bucket[PROM_BUCKETS + 1];
    uint64_t sum_us;
} prom_hist_t;

void prom_hist_observe(prom_hist_t *h, uint64_t us);
void prom_hist_merge(prom_hist_t *into, const prom_hist_t *from);
uint64_t prom_hist_count(const prom_hist_t *h);

/* A live histogram with one writing thread. */
typedef struct {
    prom_counter_t bucket[PROM_BUCKETS + 1];
    prom_counter_t sum_us;
} prom_live_hist_t;

void prom_live_observe(prom_live_hist_t *h, uint64_t us);
/* Add h's current values into out. */
void prom_live_read(const prom_live_hist_t *h, prom_hist_t *out);

/* Counters or histograms told apart by one label whose values are static strings that the
 * code chooses (a login's outcome word, a WeChat API), so the set stays small. The owning
 * thread adds a value on its first use; past PROM_FAMILY_MAX values the rest count under
 * "other". Readers see a slot only once its key is published. */
#define PROM_FAMILY_MAX 48

typedef struct {
    _Atomic(const char *) key[PROM_FAMILY_MAX];
    atomic_int n;
    prom_counter_t count[PROM_FAMILY_MAX];
    prom_live_hist_t *hist; /* PROM_FAMILY_MAX of them for a histogram family, else NULL */
} prom_family_t;

/* The slot of key (a string that outlives the family), made on first use; owner thread only. */
int prom_family_slot(prom_family_t *f, const char *key);
static inline void
prom_family_inc(prom_family_t *f, const char *key)
{
    prom_counter_add(&f->count[prom_family_slot(f, key)], 1);
}
static inline void
prom_family_observe(prom_family_t *f, const char *key, uint64_t us)
{
    int i = prom_family_slot(f, key);
    prom_counter_add(&f->count[i], 1);
    if (f->hist)
        prom_live_observe(&f->hist[i], us);
}

/* A family's values summed over several owners (one per worker), for a scrape. */
typedef struct {
    const char *key[PROM_FAMILY_MAX];
    uint64_t count[PROM_FAMILY_MAX];
    prom_hist_t hist[PROM_FAMILY_MAX];
    int n;
} prom_family_sum_t;

void prom_family_sum(prom_family_sum_t *into, const prom_family_t *f);

/* ---- text exposition format ---- */

/* Labels of one series: name/value pairs, values escaped on output. */
typedef struct {
    const char *name;
    const char *value;
} prom_label_t;

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
wx_status_t prom_write_header(wx_buf_t *b, const char *name, const char *type, const char *help);
/* name{labels} value */
wx_status_t prom_write_uint(wx_buf_t *b, const char *name, const prom_label_t *labels,
                            size_t nlabels, uint64_t v);
wx_status_t prom_write_int(wx_buf_t *b, const char *name, const prom_label_t *labels,
                           size_t nlabels, int64_t v);
/* name_bucket{labels,le="…"} cumulative counts, name_sum (seconds), name_count. */
wx_status_t prom_write_hist(wx_buf_t *b, const char *name, const prom_label_t *labels,
                            size_t nlabels, const prom_hist_t *h);

#endif
