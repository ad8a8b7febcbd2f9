/* Prometheus counters, histograms and text exposition (prom.h). */
#include "prom.h"

#include <string.h>

const uint64_t prom_bucket_us[PROM_BUCKETS] = {500,     1000,    2500,    5000,     10000,
                                               25000,   50000,   100000,  250000,   500000,
                                               1000000, 2500000, 5000000, 10000000, 30000000};

static size_t
bucket_of(uint64_t us)
{
    size_t i = 0;
    while (i < PROM_BUCKETS && us > prom_bucket_us[i])
        i++;
    return i; /* PROM_BUCKETS: +Inf */
}

void
prom_hist_observe(prom_hist_t *h, uint64_t us)
{
    h->bucket[bucket_of(us)]++;
    h->sum_us += us;
}

void
prom_hist_merge(prom_hist_t *into, const prom_hist_t *from)
{
    for (size_t i = 0; i <= PROM_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->sum_us += from->sum_us;
}

uint64_t
prom_hist_count(const prom_hist_t *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= PROM_BUCKETS; i++)
        n += h->bucket[i];
    return n;
}

void
prom_live_observe(prom_live_hist_t *h, uint64_t us)
{
    prom_counter_add(&h->bucket[bucket_of(us)], 1);
    prom_counter_add(&h->sum_us, us);
}

void
prom_live_read(const prom_live_hist_t *h, prom_hist_t *out)
{
    for (size_t i = 0; i <= PROM_BUCKETS; i++)
        out->bucket[i] += prom_counter_get(&h->bucket[i]);
    out->sum_us += prom_counter_get(&h->sum_us);
}

/* Keys are compared by pointer first: the callers pass the same literal each time. The last
 * slot is kept for "other", so the set is bounded whatever the code passes. */
int
prom_family_slot(prom_family_t *f, const char *key)
{
    int n = atomic_load_explicit(&f->n, memory_order_relaxed);
    if (!key)
        key = "unknown";
    for (int i = 0; i < n; i++) {
        const char *k = atomic_load_explicit(&f->key[i], memory_order_relaxed);
        if (k == key || strcmp(k, key) == 0)
            return i;
    }
    if (n == PROM_FAMILY_MAX - 1) {
        atomic_store_explicit(&f->key[n], "other", memory_order_release);
        atomic_store_explicit(&f->n, n + 1, memory_order_release);
    }
    if (n >= PROM_FAMILY_MAX - 1)
        return PROM_FAMILY_MAX - 1;
    atomic_store_explicit(&f->key[n], key, memory_order_release);
    atomic_store_explicit(&f->n, n + 1, memory_order_release); /* publishes the slot */
    return n;
}

void
prom_family_sum(prom_family_sum_t *into, const prom_family_t *f)
{
    int n = atomic_load_explicit(&f->n, memory_order_acquire);
    for (int i = 0; i < n; i++) {
        const char *k = atomic_load_explicit(&f->key[i], memory_order_acquire);
        int j = 0;
        while (j < into->n && strcmp(into->key[j], k) != 0)
            j++;
        if (j == into->n) {
            if (into->n == PROM_FAMILY_MAX)
                continue; /* cannot happen: every owner has at most as many */
            into->key[into->n++] = k;
        }
        into->count[j] += prom_counter_get(&f->count[i]);
        if (f->hist)
            prom_live_read(&f->hist[i], &into->hist[j]);
    }
}

/* ---- text exposition format 0.0.4 ---- */

/* Label values escape backslash, double quote and newline; HELP text backslash and newline. */
static wx_status_t
put_escaped(wx_buf_t *b, const char *s, bool quote)
{
    wx_status_t rc = WX_OK;
    for (const char *p = s; *p && rc == WX_OK; p++) {
        if (*p == '\\')
            rc = wx_buf_puts(b, "\\\\");
        else if (*p == '\n')
            rc = wx_buf_puts(b, "\\n");
        else if (*p == '"' && quote)
            rc = wx_buf_puts(b, "\\\"");
        else
            rc = wx_buf_append(b, p, 1);
    }
    return rc;
}

wx_status_t
prom_write_header(wx_buf_t *b, const char *name, const char *type, const char *help)
{
    wx_status_t rc = wx_buf_printf(b, "# HELP %s ", name);
    if (rc == WX_OK)
        rc = put_escaped(b, help, false);
    if (rc == WX_OK)
        rc = wx_buf_printf(b, "\n# TYPE %s %s\n", name, type);
    return rc;
}

/* name[suffix]{labels[,le="…"]} */
static wx_status_t
put_series(wx_buf_t *b, const char *name, const char *suffix, const prom_label_t *labels,
           size_t nlabels, const char *le)
{
    wx_status_t rc = wx_buf_printf(b, "%s%s", name, suffix);
    if (rc != WX_OK || (nlabels == 0 && !le))
        return rc;
    rc = wx_buf_puts(b, "{");
    for (size_t i = 0; i < nlabels && rc == WX_OK; i++) {
        rc = wx_buf_printf(b, "%s%s=\"", i ? "," : "", labels[i].name);
        if (rc == WX_OK)
            rc = put_escaped(b, labels[i].value ? labels[i].value : "", true);
        if (rc == WX_OK)
            rc = wx_buf_puts(b, "\"");
    }
    if (rc == WX_OK && le)
        rc = wx_buf_printf(b, "%sle=\"%s\"", nlabels ? "," : "", le);
    if (rc == WX_OK)
        rc = wx_buf_puts(b, "}");
    return rc;
}

wx_status_t
prom_write_uint(wx_buf_t *b, const char *name, const prom_label_t *labels, size_t nlabels,
                uint64_t v)
{
    wx_status_t rc = put_series(b, name, "", labels, nlabels, NULL);
    return rc == WX_OK ? wx_buf_printf(b, " %llu\n", (unsigned long long)v) : rc;
}

wx_status_t
prom_write_int(wx_buf_t *b, const char *name, const prom_label_t *labels, size_t nlabels, int64_t v)
{
    wx_status_t rc = put_series(b, name, "", labels, nlabels, NULL);
    return rc == WX_OK ? wx_buf_printf(b, " %lld\n", (long long)v) : rc;
}

/* Microseconds as decimal seconds without trailing zeros: 500 -> "0.0005", 2500000 -> "2.5". */
static void
seconds_str(uint64_t us, char *out, size_t n)
{
    char frac[8];
    size_t fl;
    wx_snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(us % 1000000));
    fl = strlen(frac);
    while (fl > 0 && frac[fl - 1] == '0')
        frac[--fl] = '\0';
    wx_snprintf(out, n, "%llu%s%s", (unsigned long long)(us / 1000000), fl ? "." : "", frac);
}

wx_status_t
prom_write_hist(wx_buf_t *b, const char *name, const prom_label_t *labels, size_t nlabels,
                const prom_hist_t *h)
{
    wx_status_t rc = WX_OK;
    uint64_t cum = 0;
    char le[32];
    for (size_t i = 0; i <= PROM_BUCKETS && rc == WX_OK; i++) {
        cum += h->bucket[i];
        if (i < PROM_BUCKETS)
            seconds_str(prom_bucket_us[i], le, sizeof(le));
        else
            wx_strlcpy(le, "+Inf", sizeof(le));
        rc = put_series(b, name, "_bucket", labels, nlabels, le);
        if (rc == WX_OK)
            rc = wx_buf_printf(b, " %llu\n", (unsigned long long)cum);
    }
    if (rc == WX_OK)
        rc = put_series(b, name, "_sum", labels, nlabels, NULL);
    if (rc == WX_OK)
        seconds_str(h->sum_us, le, sizeof(le));
    if (rc == WX_OK)
        rc = wx_buf_printf(b, " %s\n", le);
    if (rc == WX_OK)
        rc = put_series(b, name, "_count", labels, nlabels, NULL);
    if (rc == WX_OK)
        rc = wx_buf_printf(b, " %llu\n", (unsigned long long)cum);
    return rc;
}
