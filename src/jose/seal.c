/* AES-256-GCM sealing of stored secrets under the master key (see seal.h). */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "../util/buf.h"
#include "b64url.h"

#define SEAL_NONCE 12
#define SEAL_TAG 16
#define SEAL_PLAIN_MAX 16384

void
seal_key_wipe(seal_key_t *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}

wx_status_t
seal_key_parse(const char *text, seal_key_t *out, wx_err_t *err)
{
    unsigned char *raw = NULL;
    size_t rawlen = 0;
    char trimmed[128];
    wx_status_t rc = WX_OK;
    memset(out, 0, sizeof(*out));
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
        text++;
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' ||
                     text[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= sizeof(trimmed)) {
        rc = wx_err_set(err, WX_EINVAL, "the master key must be 32 bytes written as base64url");
        goto out;
    }
    memcpy(trimmed, text, n);
    trimmed[n] = '\0';
    if (b64url_decode(trimmed, n, &raw, &rawlen) != WX_OK || rawlen != SEAL_KEY_LEN) {
        rc = wx_err_set(err, WX_EINVAL, "the master key must be 32 bytes written as base64url");
        goto out;
    }
    memcpy(out->k, raw, SEAL_KEY_LEN);
    out->set = true;
out:
    if (raw) {
        OPENSSL_cleanse(raw, rawlen);
        free(raw);
    }
    OPENSSL_cleanse(trimmed, sizeof(trimmed));
    return rc;
}

wx_status_t
seal_key_load(const char *env_value, const char *path, seal_key_t *out, wx_err_t *err)
{
    char text[256];
    struct stat sb;
    wx_status_t rc;
    FILE *f = NULL;
    memset(out, 0, sizeof(*out));
    if (env_value && env_value[0])
        return seal_key_parse(env_value, out, err);
    if (!path || !path[0])
        return wx_err_set(err, WX_ENOENT,
                          "no master key: set WXAUTH_MASTER_KEY or [keys] master_key_file "
                          "(`wxauth init` creates the file)");
    f = fopen(path, "r");
    if (!f) {
        rc = wx_err_set(err, errno == ENOENT ? WX_ENOENT : WX_EIO,
                        "cannot read the master key file %.200s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(f), &sb) != 0 || (sb.st_mode & 077) != 0) {
        rc = wx_err_set(err, WX_EDENIED,
                        "the master key file %.200s must not be readable by group or others "
                        "(chmod 600)",
                        path);
        goto out;
    }
    size_t r = fread(text, 1, sizeof(text) - 1, f);
    text[r] = '\0';
    rc = seal_key_parse(text, out, err);
    if (rc != WX_OK)
        wx_err_set(err, rc, "master key file %.200s: %s", path,
                   "must hold 32 bytes written as base64url");
out:
    if (f)
        fclose(f);
    OPENSSL_cleanse(text, sizeof(text));
    return rc;
}

wx_status_t
seal_key_create_file(const char *path, wx_err_t *err)
{
    unsigned char raw[SEAL_KEY_LEN];
    wx_buf_t b;
    wx_buf_init(&b, 128);
    wx_status_t rc = WX_OK;
    int fd = -1;
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        rc = wx_err_set(err, WX_ECRYPTO, "no randomness for the master key");
        goto out;
    }
    if ((rc = b64url_encode(raw, sizeof(raw), &b)) != WX_OK ||
        (rc = wx_buf_puts(&b, "\n")) != WX_OK) {
        rc = wx_err_set(err, rc, "cannot encode the master key");
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = wx_err_set(err, errno == EEXIST ? WX_EEXIST : WX_EIO,
                        "cannot create the master key file %.200s: %s", path, strerror(errno));
        goto out;
    }
    if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) != 0) {
        rc = wx_err_set(err, WX_EIO, "cannot write the master key file %.200s", path);
        unlink(path);
    }
out:
    if (fd >= 0)
        close(fd);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    wx_buf_free(&b);
    return rc;
}

bool
seal_is_sealed(const char *s)
{
    return s && strncmp(s, SEAL_PREFIX, strlen(SEAL_PREFIX)) == 0;
}

/* One GCM pass: encrypt (enc) or decrypt in place into out; tag in/out. */
static bool
gcm(bool enc, const seal_key_t *k, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0;
    bool ok = c && (enc ? EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->k, nonce)
                        : EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->k, nonce)) == 1;
    if (ok && aad && aad[0])
        ok = (enc ? EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad))
                  : EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)aad,
                                      (int)strlen(aad))) == 1;
    if (ok && n > 0)
        ok = (enc ? EVP_EncryptUpdate(c, out, &len, in, (int)n)
                  : EVP_DecryptUpdate(c, out, &len, in, (int)n)) == 1;
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG, tag) == 1;
    if (ok)
        ok = (enc ? EVP_EncryptFinal_ex(c, out + len, &len)
                  : EVP_DecryptFinal_ex(c, out + len, &len)) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

wx_status_t
seal_text(const seal_key_t *k, const char *aad, const char *plain, char *out, size_t n,
          wx_err_t *err)
{
    size_t pn = strlen(plain);
    unsigned char *blob = NULL;
    wx_buf_t b;
    wx_buf_init(&b, n > 0 ? n - 1 : 0);
    wx_status_t rc = WX_OK;
    if (!k->set) {
        rc = wx_err_set(err, WX_ECONFIG, "no master key loaded");
        goto out;
    }
    if (pn > SEAL_PLAIN_MAX || !(blob = malloc(SEAL_NONCE + pn + SEAL_TAG))) {
        rc = wx_err_set(err, pn > SEAL_PLAIN_MAX ? WX_ETOOBIG : WX_ENOMEM,
                        "cannot seal a secret of %zu bytes", pn);
        goto out;
    }
    if (RAND_bytes(blob, SEAL_NONCE) != 1 || !gcm(true, k, blob, aad, (const unsigned char *)plain,
                                                  pn, blob + SEAL_NONCE, blob + SEAL_NONCE + pn)) {
        rc = wx_err_set(err, WX_ECRYPTO, "encryption failed");
        goto out;
    }
    if (wx_buf_puts(&b, SEAL_PREFIX) != WX_OK ||
        b64url_encode(blob, SEAL_NONCE + pn + SEAL_TAG, &b) != WX_OK) {
        rc = wx_err_set(err, WX_ETOOBIG, "sealed secret does not fit in %zu bytes", n);
        goto out;
    }
    memcpy(out, b.data, b.len + 1);
out:
    if (blob) {
        OPENSSL_cleanse(blob, SEAL_NONCE + pn + SEAL_TAG);
        free(blob);
    }
    wx_buf_free(&b);
    return rc;
}

wx_status_t
seal_open(const seal_key_t *k, const char *aad, const char *sealed, char *out, size_t n,
          wx_err_t *err)
{
    unsigned char *blob = NULL, *plain = NULL;
    size_t bn = 0, pn = 0;
    wx_status_t rc = WX_OK;
    if (n > 0)
        out[0] = '\0';
    if (!k->set) {
        rc = wx_err_set(err, WX_ECONFIG, "no master key loaded");
        goto out;
    }
    if (!seal_is_sealed(sealed)) {
        rc = wx_err_set(err, WX_EINVAL, "the stored secret is not encrypted");
        goto out;
    }
    const char *b64 = sealed + strlen(SEAL_PREFIX);
    if (b64url_decode(b64, strlen(b64), &blob, &bn) != WX_OK || bn < SEAL_NONCE + SEAL_TAG) {
        rc = wx_err_set(err, WX_EINVAL, "the stored secret is damaged");
        goto out;
    }
    pn = bn - SEAL_NONCE - SEAL_TAG;
    if (pn + 1 > n) {
        rc = wx_err_set(err, WX_ETOOBIG, "the stored secret is too long");
        goto out;
    }
    if (!(plain = malloc(pn + 1))) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (!gcm(false, k, blob, aad, blob + SEAL_NONCE, pn, plain, blob + SEAL_NONCE + pn)) {
        rc = wx_err_set(err, WX_EDENIED,
                        "cannot decrypt a stored secret: wrong master key, or the value was "
                        "copied from another record");
        goto out;
    }
    if (memchr(plain, '\0', pn)) {
        rc = wx_err_set(err, WX_EINVAL, "the stored secret is not text");
        goto out;
    }
    memcpy(out, plain, pn);
    out[pn] = '\0';
out:
    if (blob) {
        OPENSSL_cleanse(blob, bn);
        free(blob);
    }
    if (plain) {
        OPENSSL_cleanse(plain, pn + 1);
        free(plain);
    }
    return rc;
}
