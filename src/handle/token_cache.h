/* Per-worker memory of tokens whose signature this worker has already checked, so that a
 * backend (or nginx's auth_request) sending the same token on every request costs one
 * signature check, not one per request. Only the signature and the parse are remembered: every
 * claim, the audience, revocation and the user's state are still checked on each use. */
#ifndef WX_HANDLE_TOKEN_CACHE_H
#define WX_HANDLE_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define TOKEN_CACHE_SLOTS 256 /* ~1 KB token + its JSON each: a few hundred KB per worker */

typedef struct token_cache token_cache_t;

token_cache_t *token_cache_new(void);
void token_cache_free(token_cache_t *tc);
/* The header and payload of token when it was verified before (new references; the caller must
 * not change them: they are shared with the cache). */
bool token_cache_get(token_cache_t *tc, const char *token, size_t len, json_t **header,
                     json_t **payload);
/* Remember a token whose signature has just verified. Keeps references to header and payload. */
void token_cache_put(token_cache_t *tc, const char *token, size_t len, json_t *header,
                     json_t *payload);

#endif
