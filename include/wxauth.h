/* libwxauth: verify wxauth tokens in a C backend, offline, against the server's JWKS.
 *
 *   wxauth_options o = {.jwks_url = "https://id.example.com/oidc/.well-known/jwks.json",
 *                       .issuer = "https://id.example.com/oidc", .audience = "shop-web"};
 *   wxauth_verifier *v;  char err[256];
 *   if (wxauth_verifier_new(&o, &v, err, sizeof err) != WXAUTH_OK) ...
 *   wxauth_claims *c;
 *   if (wxauth_verify(v, token, &c, err, sizeof err) == WXAUTH_OK) {
 *       printf("%s\n", wxauth_claims_string(c, "sub"));
 *       wxauth_claims_free(c);
 *   }
 *   wxauth_verifier_free(v);
 *
 * A verifier is thread-safe: share one between threads. docs/verify.md has the whole story. */
#ifndef WXAUTH_H
#define WXAUTH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WXAUTH_TOKEN_MAX 8192 /* longer tokens are refused before any parsing */

typedef enum {
    WXAUTH_OK = 0,
    WXAUTH_ERR_ARG,           /* bad argument or option */
    WXAUTH_ERR_TOO_LARGE,     /* token over WXAUTH_TOKEN_MAX bytes */
    WXAUTH_ERR_MALFORMED,     /* not three base64url parts, bad JSON, forbidden header */
    WXAUTH_ERR_ALG,           /* "none", not in the allow-list, or kid names another alg's key */
    WXAUTH_ERR_CRIT,          /* a crit header this library does not understand */
    WXAUTH_ERR_KID,           /* no key with this kid (after a refetch, if allowed) */
    WXAUTH_ERR_SIGNATURE,     /* signature does not verify */
    WXAUTH_ERR_EXPIRED,       /* exp (+ leeway) is past */
    WXAUTH_ERR_NOT_YET_VALID, /* nbf or iat (- leeway) is in the future */
    WXAUTH_ERR_ISSUER,        /* iss differs from the configured issuer */
    WXAUTH_ERR_AUDIENCE,      /* aud does not contain the configured audience */
    WXAUTH_ERR_CLAIMS,        /* exp missing, or a time claim that is not a number */
    WXAUTH_ERR_JWKS,          /* the JWKS could not be loaded (at start, or the refetch
                                 for an unknown kid failed): not the token's fault */
    WXAUTH_ERR_NOMEM,
} wxauth_status;

typedef struct wxauth_verifier wxauth_verifier;
typedef struct wxauth_claims wxauth_claims;

typedef struct {
    const char *jwks_url;     /* http:// or https:// URL of the JWKS; or */
    const char *jwks_file;    /* a JWKS file on disk, read once (exactly one of the two, or
                                 neither for an HS256-only verifier) */
    const char *hs256_secret; /* app secret for Authing-compatible HS256 tokens, or NULL */
    const char *issuer;       /* required "iss"; NULL skips the check */
    const char *audience;     /* required in "aud"; NULL skips the check */
    const char *algs;         /* allow-list, comma-separated; NULL: "RS256,ES256,EdDSA"
                                 (plus "HS256" when hs256_secret is set) */
    long leeway;              /* seconds of clock skew allowed for exp/nbf/iat, 0 means none;
                                 <0: default 30 */
    long refetch_min;         /* min seconds between JWKS refetches on unknown kid; <=0: 30 */
    long cache_ttl;           /* seconds a fetched JWKS is fresh; <=0: server's max-age (at
                                 least refetch_min, at most a day) or 300 */
    long timeout_ms;          /* JWKS fetch timeout; <=0: 5000 */
} wxauth_options;

/* Make a verifier; loads the JWKS once now (WXAUTH_ERR_JWKS and a reason in err if it can't). */
wxauth_status wxauth_verifier_new(const wxauth_options *opt, wxauth_verifier **out, char *err,
                                  size_t errlen);
void wxauth_verifier_free(wxauth_verifier *v);

/* Verify token; on WXAUTH_OK *claims holds the payload (free with wxauth_claims_free).
 * On failure, err gets a one-line reason fit for a log or a 401 body. */
wxauth_status wxauth_verify(wxauth_verifier *v, const char *token, wxauth_claims **claims,
                            char *err, size_t errlen);

/* A claim as a string (NULL when absent or not a string); as an integer (returns 0 and sets
 * *out, or returns -1 and sets *out to 0 when absent or not a number); or the whole payload as
 * compact JSON. Pointers live as long as the claims. */
const char *wxauth_claims_string(const wxauth_claims *c, const char *name);
int wxauth_claims_int(const wxauth_claims *c, const char *name, long long *out);
const char *wxauth_claims_json(const wxauth_claims *c);
void wxauth_claims_free(wxauth_claims *c);

/* A short English name for a status ("expired", "bad signature", ...). */
const char *wxauth_status_str(wxauth_status s);

#ifdef __cplusplus
}
#endif

#endif
