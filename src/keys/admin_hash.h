/* The admin credential's hash (see admin_hash.c). */
#ifndef WX_KEYS_ADMIN_HASH_H
#define WX_KEYS_ADMIN_HASH_H

#include "../util/wx.h"

#define ADMIN_HASH_LEN 32

typedef struct {
    bool set;
    int iterations;
    unsigned char salt[64];
    size_t salt_len;
    unsigned char hash[ADMIN_HASH_LEN];
} admin_hash_t;

/* "pbkdf2-sha256$…" from the configuration into out; WX_ECONFIG saying what is wrong. */
wx_status_t admin_hash_parse(const char *text, admin_hash_t *out, wx_err_t *err);
/* "pbkdf2-sha256$…" for token (at least 16 characters) into out. */
wx_status_t admin_hash_make(const char *token, char *out, size_t n, wx_err_t *err);
/* PBKDF2-SHA256 of token with salt and iter into out (false on a library failure). */
bool admin_hash_derive(const char *token, const unsigned char *salt, size_t sl, int iter,
                       unsigned char out[ADMIN_HASH_LEN]);

#endif
