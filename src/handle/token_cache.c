/* Verified-token memory (see token_cache.h): a direct-mapped table, a newer token evicting the
 * one in its slot, with the last "not revoked" answer of each. The slot comes from the signature's
 * last bytes, which an attacker cannot choose for a token that verifies; the whole token is
 * compared, in constant time, so the comparison leaks nothing about another user's cached token. */
#include "token_cache.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* Bumped by every revocation made through this process; 0 is never a generation. */
static atomic_uint_fast64_t token_revocation_gen = 1;

typedef struct {
    char *token;
    size_t len;
    json_t *header, *payload;
    uint64_t unrevoked_gen; /* 0: no "not revoked" answer remembered */
    int64_t unrevoked_at_ms;
} slot_t;

struct token_cache {
    slot_t slots[TOKEN_CACHE_SLOTS];
};

static size_t
slot_of(const char *token, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the last 32 characters */
    for (size_t i = len > 32 ? len - 32 : 0; i < len; i++) {
        h ^= (unsigned char)token[i];
        h *= 1099511628211ULL;
    }
    return (size_t)(h % TOKEN_CACHE_SLOTS);
}

static void
slot_clear(slot_t *s)
{
    free(s->token);
    json_decref(s->header);
    json_decref(s->payload);
    memset(s, 0, sizeof(*s));
}

token_cache_t *
token_cache_new(void)
{
    return calloc(1, sizeof(token_cache_t));
}

void
token_cache_free(token_cache_t *tc)
{
    if (!tc)
        return;
    for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
        slot_clear(&tc->slots[i]);
    free(tc);
}

static slot_t *
slot_find(token_cache_t *tc, const char *token, size_t len)
{
    slot_t *s = &tc->slots[slot_of(token, len)];
    if (!s->token || s->len != len || CRYPTO_memcmp(s->token, token, len) != 0)
        return NULL;
    return s;
}

bool
token_cache_get(token_cache_t *tc, const char *token, size_t len, int64_t now_ms, json_t **header,
                json_t **payload, bool *unrevoked)
{
    const slot_t *s = slot_find(tc, token, len);
    if (!s)
        return false;
    *header = json_incref(s->header);
    *payload = json_incref(s->payload);
    if (unrevoked)
        *unrevoked = s->unrevoked_gen == atomic_load(&token_revocation_gen) &&
                     now_ms - s->unrevoked_at_ms < TOKEN_REVOCATION_TTL_MS &&
                     now_ms >= s->unrevoked_at_ms;
    return true;
}

void
token_cache_set_unrevoked(token_cache_t *tc, const char *token, size_t len, uint64_t gen,
                          int64_t at_ms)
{
    slot_t *s = slot_find(tc, token, len);
    if (!s)
        return;
    s->unrevoked_gen = gen;
    s->unrevoked_at_ms = at_ms;
}

uint64_t
token_cache_revocation_gen(void)
{
    return atomic_load(&token_revocation_gen);
}

void
token_cache_revocations_changed(void)
{
    atomic_fetch_add(&token_revocation_gen, 1);
}

void
token_cache_put(token_cache_t *tc, const char *token, size_t len, json_t *header, json_t *payload)
{
    slot_t *s = &tc->slots[slot_of(token, len)];
    char *copy = malloc(len);
    if (!copy)
        return; /* not remembering is always safe */
    memcpy(copy, token, len);
    slot_clear(s);
    s->token = copy;
    s->len = len;
    s->header = json_incref(header);
    s->payload = json_incref(payload);
}
