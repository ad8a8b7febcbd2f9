/* Signing and verification keys as wxauthd uses them: private keys live sealed in the store
 * (src/jose/seal.h); each worker keeps the current signing key per alg and the published set in
 * memory and re-reads the store every 5 s, or at once (rate-limited) when a token names a
 * kid it does not know, so a rotation on one node reaches every node without a restart. */
#ifndef WX_KEYS_KEYS_H
#define WX_KEYS_KEYS_H

#include <stdatomic.h>

#include <jansson.h>

#include "../jose/jwk.h"
#include "../jose/seal.h"
#include "../store/store.h"

#define KEYS_ALG_COUNT 3 /* RS256, ES256, EdDSA: the algs a pool may sign with */
#define KEYS_PUBLISHED_MAX 32
#define KEYS_APP_CACHE 16
#define KEYS_HS256_KID_PREFIX "app." /* HS256 tokens: kid = "app.<application id>" */

typedef struct keys_cache keys_cache_t;

/* What the key caches of one process share: bumped whenever a worker starts signing with a key
 * it had not signed with before, or a key is rotated in this process, so that every worker
 * re-reads its signing and published keys before it answers again. A token one worker signs then
 * verifies, and is in the JWKS, on all of them at once, whatever their own re-read schedule (other
 * nodes catch up as described above). */
typedef struct {
    atomic_uint_fast64_t generation;
} keys_shared_t;

/* Is alg one a pool may sign with? "" counts as RS256. */
bool keys_alg_valid(const char *alg);
/* Make sure alg has a current key; creates one when there is none. Safe when several
 * processes race: the store keeps at most one current key per alg. */
wx_status_t keys_ensure(store_t *st, const seal_key_t *mk, const char *alg, wx_err_t *err);
/* Does mk open the store's current key of alg? WX_ECRYPTO with a message saying what to fix when
 * it does not (a node started with another master key than the one that sealed the keys). */
wx_status_t keys_check_master(store_t *st, const seal_key_t *mk, const char *alg, wx_err_t *err);
/* A new current key for alg; the old one stays published until publish_until (plus the
 * re-read interval, for nodes that have not noticed the rotation yet). */
wx_status_t keys_rotate(store_t *st, const seal_key_t *mk, const char *alg, int64_t publish_until,
                        char *kid_out, size_t n, wx_err_t *err);
/* Seal a fresh application secret (64 hex characters) for app id; plain goes to the caller,
 * who shows it once. */
wx_status_t keys_app_secret_new(const seal_key_t *mk, const char *app_id, char *plain,
                                size_t plain_n, char *sealed, size_t sealed_n, wx_err_t *err);
/* Seal an application secret the operator already has (moving from Authing: backends keep
 * verifying HS256 tokens with it). 16-128 printable ASCII characters, else WX_EINVAL. */
wx_status_t keys_app_secret_set(const seal_key_t *mk, const char *app_id, const char *given,
                                char *sealed, size_t sealed_n, wx_err_t *err);
/* Seal / open a connection's WeChat App Secret (bound to pool and identifier). */
wx_status_t keys_conn_secret_seal(const seal_key_t *mk, const store_conn_t *c, const char *plain,
                                  char *out, size_t n, wx_err_t *err);
wx_status_t keys_conn_secret_open(const seal_key_t *mk, const store_conn_t *c, char *out, size_t n,
                                  wx_err_t *err);

/* Seal / open one of a connection's message-server settings (field "push_token" or
 * "push_aes_key"; bound to the field, pool and identifier, so a sealed value cannot be moved
 * to another field or connection). */
wx_status_t keys_conn_field_seal(const seal_key_t *mk, const store_conn_t *c, const char *field,
                                 const char *plain, char *out, size_t n, wx_err_t *err);
wx_status_t keys_conn_field_open(const seal_key_t *mk, const store_conn_t *c, const char *field,
                                 const char *sealed, char *out, size_t n, wx_err_t *err);
/* Seal / open an account access token kept in the store (bound to its App ID). */
wx_status_t keys_wxtoken_seal(const seal_key_t *mk, const char *appid, const char *plain, char *out,
                              size_t n, wx_err_t *err);
wx_status_t keys_wxtoken_open(const seal_key_t *mk, const char *appid, const char *sealed,
                              char *out, size_t n, wx_err_t *err);

/* Per-worker cache; shared may be NULL (a single cache). */
keys_cache_t *keys_cache_new(store_t *st, const seal_key_t *mk, keys_shared_t *shared);
void keys_cache_free(keys_cache_t *kc);
/* The keys in the store changed (a rotation): every worker of this process re-reads them before
 * it signs, verifies or publishes again. */
void keys_cache_changed(keys_cache_t *kc);
/* The current private key for alg ("" = RS256), creating one on first use. */
wx_status_t keys_signing(keys_cache_t *kc, const char *alg, const jwk_t **out, wx_err_t *err);
/* The HS256 key of an application in Authing compatibility mode; WX_ENOENT otherwise. The
 * application is read from the store on every call, so a reset secret, a switch back to pool
 * signing or a deleted application takes effect at once. */
wx_status_t keys_app_hmac(keys_cache_t *kc, const char *app_id, const jwk_t **out, wx_err_t *err);
/* A jws_key_lookup_fn (arg = keys_cache_t): published keys by kid, and "app.<id>" HS256 keys of
 * applications that opted in. NULL for anything else, including a key of another alg. */
const jwk_t *keys_lookup(const char *kid, const char *alg, void *arg);
/* Re-read the store now if the last unknown-kid reload was long enough ago; true if it did. */
bool keys_reload_for_unknown_kid(keys_cache_t *kc);
/* The JWKS document and a strong ETag for it. Caller json_decref()s. */
wx_status_t keys_jwks(keys_cache_t *kc, json_t **out, char *etag, size_t etag_n, wx_err_t *err);

#endif
