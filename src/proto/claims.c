/* Registered-claim checks for tokens we verify (see claims.h). */
#include "claims.h"

#include <math.h>
#include <string.h>

bool
claims_int(const json_t *payload, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(payload, name);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) { /* NumericDate may be non-integer; truncate, within range */
        double d = json_real_value(v);
        if (!isfinite(d) || d < -9.2e18 || d > 9.2e18)
            return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static bool
aud_matches(const json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    if (json_is_array(aud)) {
        size_t i;
        const json_t *v;
        json_array_foreach(aud, i, v)
        {
            if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
                return true;
        }
    }
    return false;
}

claims_result_t
claims_check(const json_t *payload, const claims_rules_t *rules, const char **why)
{
    int64_t exp, nbf, iat;
    const char *dummy;
    if (!why)
        why = &dummy;
    if (!json_is_object(payload)) {
        *why = "payload is not a JSON object";
        return CLAIMS_MALFORMED;
    }
    if (!claims_int(payload, "exp", &exp)) {
        *why = "no exp claim";
        return CLAIMS_MALFORMED;
    }
    if (rules->now - rules->leeway >= exp) {
        *why = "token expired";
        return CLAIMS_EXPIRED;
    }
    if (json_object_get(payload, "nbf")) {
        if (!claims_int(payload, "nbf", &nbf)) {
            *why = "nbf is not a number";
            return CLAIMS_MALFORMED;
        }
        if (nbf > rules->now + rules->leeway) {
            *why = "token not valid yet (nbf)";
            return CLAIMS_NOT_YET;
        }
    }
    if (json_object_get(payload, "iat")) {
        if (!claims_int(payload, "iat", &iat)) {
            *why = "iat is not a number";
            return CLAIMS_MALFORMED;
        }
        if (iat > rules->now + rules->leeway) {
            *why = "token issued in the future (iat)";
            return CLAIMS_NOT_YET;
        }
    }
    if (rules->issuer) {
        const json_t *iss = json_object_get(payload, "iss");
        if (!json_is_string(iss) || strcmp(json_string_value(iss), rules->issuer) != 0) {
            *why = "wrong issuer";
            return CLAIMS_ISSUER;
        }
    }
    if (rules->audience && rules->audience[0] &&
        !aud_matches(json_object_get(payload, "aud"), rules->audience)) {
        *why = "wrong audience";
        return CLAIMS_AUDIENCE;
    }
    if (rules->require_jti) {
        const json_t *jti = json_object_get(payload, "jti");
        if (!json_is_string(jti) || !json_string_length(jti) || json_string_length(jti) >= 64) {
            *why = "no usable jti claim";
            return CLAIMS_MALFORMED;
        }
    }
    *why = "ok";
    return CLAIMS_OK;
}
