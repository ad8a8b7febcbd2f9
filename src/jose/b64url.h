/* base64url without padding (RFC 4648 §5), the encoding every JOSE part uses (RFC 7515 §2). */
#ifndef WX_JOSE_B64URL_H
#define WX_JOSE_B64URL_H

#include "../util/buf.h"
#include "../util/wx.h"

/* Append the base64url form of in (no '=' padding) to out. WX_ETOOBIG past out's maximum; out is
 * left as it was on failure. */
wx_status_t b64url_encode(const unsigned char *in, size_t n, wx_buf_t *out);

/* Decode exactly n characters. Strict: padding, '+', '/', whitespace, any other character,
 * impossible lengths (n % 4 == 1) and non-zero unused trailing bits are all WX_EINVAL, so each
 * byte string has exactly one accepted spelling. On success *out (caller frees, never NULL, one
 * spare NUL byte at the end) holds *outlen bytes. */
wx_status_t b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen);

#endif
