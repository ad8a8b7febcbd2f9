/* Encryption at rest for the secrets the store keeps (signing keys, App Secrets): AES-256-GCM
 * under one master key that never enters the store. A sealed value is text,
 * "wxs1." + base64url(nonce[12] | ciphertext | tag[16]), and is bound to what it is for by its
 * associated data ("signing_key:<kid>", "app_secret:<id>"...), so a sealed value copied onto
 * another row does not open. */
#ifndef WX_JOSE_SEAL_H
#define WX_JOSE_SEAL_H

#include "../util/wx.h"

#define SEAL_KEY_LEN 32
#define SEAL_PREFIX "wxs1."
/* Sealed length for n plaintext bytes, NUL included. */
#define SEAL_LEN(n) (sizeof(SEAL_PREFIX) + (((n) + 28) * 4 + 2) / 3 + 1)

typedef struct {
    unsigned char k[SEAL_KEY_LEN];
    bool set;
} seal_key_t;

/* Parse a master key written as base64url (43 characters, 32 bytes); surrounding white space
 * is ignored. */
wx_status_t seal_key_parse(const char *text, seal_key_t *out, wx_err_t *err);
/* Load the master key: env_value (when set and non-empty) wins, else the file, which must not
 * be readable by group or others. WX_ENOENT when neither is given. */
wx_status_t seal_key_load(const char *env_value, const char *path, seal_key_t *out, wx_err_t *err);
/* Create path (mode 0600, O_EXCL) holding a new random master key. WX_EEXIST if it exists. */
wx_status_t seal_key_create_file(const char *path, wx_err_t *err);
void seal_key_wipe(seal_key_t *k);

/* Encrypt plain into out (n bytes, NUL-terminated). */
wx_status_t seal_text(const seal_key_t *k, const char *aad, const char *plain, char *out, size_t n,
                      wx_err_t *err);
/* Decrypt sealed into out. WX_EDENIED when it does not open (wrong master key, or a value
 * sealed for something else); WX_EINVAL when it is not a sealed value at all. */
wx_status_t seal_open(const seal_key_t *k, const char *aad, const char *sealed, char *out, size_t n,
                      wx_err_t *err);
bool seal_is_sealed(const char *s);

#endif
