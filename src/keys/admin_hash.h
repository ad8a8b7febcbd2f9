/* The admin credential's hash (see admin_hash.c). */
#ifndef WX_KEYS_ADMIN_HASH_H
#define WX_KEYS_ADMIN_HASH_H

#include "../util/wx.h"

#define ADMIN_HASH_LEN 32

/* PBKDF2 for operator-chosen tokens (slow on purpose); HMAC-SHA256 under a salt for generated
 * 256-bit tokens, which no amount of guessing finds, so checking them can be fast. */
typedef enum {
    ADMIN_HASH_PBKDF2,
    ADMIN_HASH_HMAC,
} admin_hash_kind_t;

typedef struct {
    bool set;
    admin_hash_kind_t kind;
    int iterations; /* PBKDF2 only */
    unsigned char salt[64];
    size_t salt_len;
    unsigned char hash[ADMIN_HASH_LEN];
} admin_hash_t;

/* "pbkdf2-sha256$…" or "hmac-sha256$…" from the configuration into out; WX_ECONFIG saying
 * what is wrong. */
wx_status_t admin_hash_parse(const char *text, admin_hash_t *out, wx_err_t *err);
/* The hash of token (at least 16 characters) into out: "hmac-sha256$<salt>$<hash>" when the
 * token looks generated (admin_hash_token_strong), else "pbkdf2-sha256$…". */
wx_status_t admin_hash_make(const char *token, char *out, size_t n, wx_err_t *err);
/* True when token has the length and alphabet of a generated 256-bit token: at least 43
 * base64url characters (hex is a subset; 64 hex characters qualify). */
bool admin_hash_token_strong(const char *token);
/* Whether token matches h, in constant time. For ADMIN_HASH_PBKDF2 this is the slow derivation:
 * see admin_hash_is_slow. */
bool admin_hash_check(const admin_hash_t *h, const char *token);
/* True when checking a token against h costs a PBKDF2 derivation. */
bool admin_hash_is_slow(const admin_hash_t *h);
/* PBKDF2-SHA256 of token with salt and iter into out (false on a library failure). */
bool admin_hash_derive(const char *token, const unsigned char *salt, size_t sl, int iter,
                       unsigned char out[ADMIN_HASH_LEN]);

#endif
