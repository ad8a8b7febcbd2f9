/* The claim rules a token must meet after its signature checks out (RFC 7519 §4.1, OIDC Core
 * §3.1.3.7): exp required, nbf and iat not in the future, iss exact, aud a string or an array
 * holding ours, jti present. Pure functions: the caller supplies the clock. */
#ifndef WX_PROTO_CLAIMS_H
#define WX_PROTO_CLAIMS_H

#include <jansson.h>

#include "../util/wx.h"

typedef enum {
    CLAIMS_OK = 0,
    CLAIMS_EXPIRED,
    CLAIMS_NOT_YET, /* nbf or iat in the future */
    CLAIMS_ISSUER,
    CLAIMS_AUDIENCE,
    CLAIMS_MALFORMED, /* a required claim missing or of the wrong type */
} claims_result_t;

typedef struct {
    const char *issuer;   /* required match; NULL skips */
    const char *audience; /* NULL or "" accepts any aud */
    int64_t now;
    int64_t leeway;
    bool require_jti;
} claims_rules_t;

/* Check payload; on failure *why says which rule, for logs and error_description. */
claims_result_t claims_check(const json_t *payload, const claims_rules_t *rules, const char **why);
/* A number claim as int64 (integral JSON number or a real without fraction); false if absent. */
bool claims_int(const json_t *payload, const char *name, int64_t *out);

#endif
