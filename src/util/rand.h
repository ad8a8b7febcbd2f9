/* Unguessable identifiers from the OpenSSL CSPRNG (never rand()). */
#ifndef WX_RAND_H
#define WX_RAND_H

#include "wx.h"

/* Fill p with n random bytes. */
wx_status_t wx_rand_bytes(void *p, size_t n);
/* A string of len characters from [A-Za-z0-9] (about 5.95 bits each) into out (len+1 bytes).
 * Alphanumerics only, because WeChat's state parameter allows nothing else. */
wx_status_t wx_rand_alnum(char *out, size_t len);
/* 2*n lowercase hex characters from n random bytes into out (2n+1 bytes). */
wx_status_t wx_rand_hex(char *out, size_t nbytes);
/* Lowercase hex of bytes. */
void wx_hex_encode(const unsigned char *in, size_t n, char *out);

/* Lowercase hex SHA-256 of s into out (65 bytes). */
wx_status_t wx_sha256_hex(const char *s, size_t n, char out[65]);

#endif
