/* Bounded hash tables of codes and tokens, oldest first. */
#include "grants.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
hash_str(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a: keys are our own random strings */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

wx_status_t
emu_tab_init(emu_tab_t *t, size_t cap, int64_t keep, wx_err_t *err)
{
    memset(t, 0, sizeof(*t));
    size_t nb = 1024;
    while (nb < cap && nb < ((size_t)1 << 24))
        nb <<= 1;
    t->buckets = calloc(nb, sizeof(*t->buckets));
    if (!t->buckets)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    t->nbuckets = nb;
    t->cap = cap;
    t->keep = keep;
    return WX_OK;
}

void
emu_tab_free(emu_tab_t *t)
{
    emu_grant_t *g = t->head;
    while (g) {
        emu_grant_t *next = g->next;
        free(g);
        g = next;
    }
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

emu_grant_t *
emu_tab_find(const emu_tab_t *t, const char *key)
{
    uint32_t h = hash_str(key);
    for (emu_grant_t *g = t->buckets[h & (t->nbuckets - 1)]; g; g = g->hnext)
        if (g->hash == h && strcmp(g->key, key) == 0)
            return g;
    return NULL;
}

static void
list_unlink(emu_tab_t *t, emu_grant_t *g)
{
    if (g->prev)
        g->prev->next = g->next;
    else
        t->head = g->next;
    if (g->next)
        g->next->prev = g->prev;
    else
        t->tail = g->prev;
    g->prev = g->next = NULL;
}

static void
list_append(emu_tab_t *t, emu_grant_t *g)
{
    g->prev = t->tail;
    g->next = NULL;
    if (t->tail)
        t->tail->next = g;
    else
        t->head = g;
    t->tail = g;
}

void
emu_tab_remove(emu_tab_t *t, emu_grant_t *g)
{
    emu_grant_t **pp = &t->buckets[g->hash & (t->nbuckets - 1)];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = g->hnext;
    list_unlink(t, g);
    t->count--;
    free(g);
}

void
emu_tab_touch(emu_tab_t *t, emu_grant_t *g)
{
    list_unlink(t, g);
    list_append(t, g);
}

wx_status_t
emu_tab_add(emu_tab_t *t, int64_t now, const emu_grant_t *g, emu_grant_t **out, wx_err_t *err)
{
    /* Long expired first, then the oldest while full. */
    while (t->head && t->head->expires + t->keep <= now)
        emu_tab_remove(t, t->head);
    while (t->head && t->count >= t->cap) {
        emu_tab_remove(t, t->head);
        t->evicted++;
    }
    emu_grant_t *n = malloc(sizeof(*n));
    if (!n)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    *n = *g;
    n->hash = hash_str(n->key);
    size_t b = n->hash & (t->nbuckets - 1);
    n->hnext = t->buckets[b];
    t->buckets[b] = n;
    list_append(t, n);
    t->count++;
    if (out)
        *out = n;
    return WX_OK;
}

wx_status_t
emu_grants_init(emu_grants_t *g, size_t cap, wx_err_t *err)
{
    wx_status_t rc;
    memset(g, 0, sizeof(*g));
    /* Expired codes answer 40029 like unknown ones, so they go at once; expired tokens stay
     * a while so that they answer 42001 / 42002. */
    rc = emu_tab_init(&g->codes, cap, 0, err);
    if (rc == WX_OK)
        rc = emu_tab_init(&g->access, cap, 7 * 86400, err);
    if (rc == WX_OK)
        rc = emu_tab_init(&g->refresh, cap, 365 * 86400, err);
    if (rc == WX_OK)
        rc = emu_tab_init(&g->client, cap, 7 * 86400, err); /* 42001 on qrcode/create */
    /* An expired QR code says so on the phone for a day; follows never expire. */
    if (rc == WX_OK)
        rc = emu_tab_init(&g->qrcodes, cap, 86400, err);
    if (rc == WX_OK)
        rc = emu_tab_init(&g->follows, cap, 0, err);
    if (rc != WX_OK)
        emu_grants_free(g);
    return rc;
}

void
emu_grants_free(emu_grants_t *g)
{
    emu_tab_free(&g->codes);
    emu_tab_free(&g->access);
    emu_tab_free(&g->refresh);
    emu_tab_free(&g->client);
    emu_tab_free(&g->qrcodes);
    emu_tab_free(&g->follows);
}
