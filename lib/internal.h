/* What the lib/ sources share; nothing here is public. Everything not named wxauth_* is hidden from
 * the shared library (lib/CMakeLists.txt builds with -fvisibility=hidden), so the pragma below
 * makes the public header's declarations the only exported symbols. */
#ifndef WXAUTH_LIB_INTERNAL_H
#define WXAUTH_LIB_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#pragma GCC visibility push(default)
#include "wxauth.h"
#pragma GCC visibility pop

#include "jose/jwk.h"
#include "util/wx.h"

#define WXAUTH_JWKS_MAX JWKS_MAX_BYTES /* a bigger document could not be parsed anyway */
#define WXAUTH_TTL_DEFAULT 300         /* a fetched JWKS without max-age is fresh this long */
#define WXAUTH_TTL_MAX 86400
#define WXAUTH_LEEWAY_DEFAULT 30
#define WXAUTH_LEEWAY_MAX 86400
#define WXAUTH_REFETCH_DEFAULT 30
#define WXAUTH_TIMEOUT_DEFAULT 5000
#define WXAUTH_TIMEOUT_MAX 120000
#define WXAUTH_URL_MAX 2048

/* One loaded JWKS. Verifications hold a reference while they use it, so a refetch can swap in a
 * new set without waiting for them and without them holding the verifier's lock. */
typedef struct {
    jwks_t *jwks;
    atomic_uint refs;
} wxauth_keyset_t;

/* Fetch a JWKS over http(s) and parse it. *max_age is the response's Cache-Control max-age in
 * seconds, or -1 when it has none. WX_EIO/WX_ETIMEOUT/WX_ETOOBIG/WX_EUPSTREAM for transfer
 * failures, WX_EINVAL for a document that does not parse. */
wx_status_t wxauth_jwks_fetch(const char *url, long timeout_ms, jwks_t **out, long *max_age,
                              wx_err_t *err);
/* Read and parse a JWKS file. */
wx_status_t wxauth_jwks_read(const char *path, jwks_t **out, wx_err_t *err);

/* A new keyset holding jwks (taken over) with one reference. */
wxauth_keyset_t *wxauth_keyset_new(jwks_t *jwks);
void wxauth_keyset_release(wxauth_keyset_t *ks);

/* Copy a one-line message into err/errlen (either may be NULL/0) and return st. */
wxauth_status wxauth_fail(char *err, size_t errlen, wxauth_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
