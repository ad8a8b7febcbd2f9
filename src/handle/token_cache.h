/* Per-worker memory of tokens whose signature this worker has already checked, so that a
 * backend (or nginx's auth_request) sending the same token on every request costs one
 * signature check, not one per request. The signature and the parse are remembered; so is the
 * store's last "not revoked" answer, for at most TOKEN_REVOCATION_TTL_MS and only until a
 * revocation, block or delete is made through this process (token_cache_revocations_changed):
 * such a change is seen at once here, one made by another process sharing the store within
 * TOKEN_REVOCATION_TTL_MS. Every claim and the audience are still checked on each use. */
#ifndef WX_HANDLE_TOKEN_CACHE_H
#define WX_HANDLE_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "../util/wx.h"

#define TOKEN_CACHE_SLOTS 256 /* ~1 KB token + its JSON each: a few hundred KB per worker */
/* How long a "not revoked" answer from the store is trusted (as conf_cache.h's TTL). */
#define TOKEN_REVOCATION_TTL_MS 1000

typedef struct token_cache token_cache_t;

token_cache_t *token_cache_new(void);
void token_cache_free(token_cache_t *tc);
/* The header and payload of token when it was verified before (new references; the caller must
 * not change them: they are shared with the cache). *unrevoked (may be NULL) says whether a
 * "not revoked" answer is remembered that is still fresh at now_ms (wx_mono_ms). */
bool token_cache_get(token_cache_t *tc, const char *token, size_t len, int64_t now_ms,
                     json_t **header, json_t **payload, bool *unrevoked);
/* Remember a token whose signature has just verified. Keeps references to header and payload. */
void token_cache_put(token_cache_t *tc, const char *token, size_t len, json_t *header,
                     json_t *payload);
/* The store said token is not revoked, in a read that began at at_ms (wx_mono_ms) when the
 * revocation generation was gen (token_cache_revocation_gen, read before the store). No-op when
 * the token is not cached. */
void token_cache_set_unrevoked(token_cache_t *tc, const char *token, size_t len, uint64_t gen,
                               int64_t at_ms);
/* The current revocation generation, process-wide. */
uint64_t token_cache_revocation_gen(void);
/* A token was revoked, or a user blocked, deleted or had all tokens revoked, through this
 * process: every worker's "not revoked" answers are stale. */
void token_cache_revocations_changed(void);
/* Wraps such a write: stale marks after it, whatever it returned. */
static inline wx_status_t
token_revocations_changed_after(wx_status_t rc)
{
    token_cache_revocations_changed();
    return rc;
}

#endif
