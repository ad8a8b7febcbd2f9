/* OIDC discovery (OpenID Connect Discovery 1.0 §4) at /oidc/.well-known/openid-configuration
 * and /.well-known/openid-configuration: where verifiers find our JWKS and online endpoints. */
#include "ctx.h"

#include "../http/reply.h"

void
handle_discovery(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *host = ctx->app->cfg->public_url;
    char jwks[700], introspect[700], revoke[700], me[700], authz[700];
    wx_snprintf(jwks, sizeof(jwks), "%s/oidc/.well-known/jwks.json", host);
    wx_snprintf(introspect, sizeof(introspect), "%s/oidc/token/introspection", host);
    wx_snprintf(revoke, sizeof(revoke), "%s/oidc/token/revocation", host);
    wx_snprintf(me, sizeof(me), "%s/oidc/me", host);
    /* Logins start at the social-connection URL (Authing's layout), not an OAuth authorize
     * endpoint; it is listed because discovery documents must name one. */
    wx_snprintf(authz, sizeof(authz), "%s/connections/social/wechat:webpage-authorization", host);
    json_t *doc = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:[s],s:[s,s,s,s],s:[s,s],s:[s,s],s:[s,s],"
        "s:[s,s,s,s,s,s,s,s,s,s,s,s]}",
        "issuer", ctx->app->issuer, "authorization_endpoint", authz, "jwks_uri", jwks,
        "introspection_endpoint", introspect, "revocation_endpoint", revoke, "userinfo_endpoint",
        me, "response_types_supported", "id_token", "subject_types_supported", "public",
        "scopes_supported", "openid", "id_token_signing_alg_values_supported", "RS256", "ES256",
        "EdDSA", "HS256", "introspection_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "revocation_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "claims_supported", "iss", "sub", "aud", "exp", "iat", "jti",
        "nickname", "picture", "gender", "openid", "unionid", "userPoolId");
    if (doc) /* scopes: OIDC lists openid and profile */
        json_array_append_new(json_object_get(doc, "scopes_supported"), json_string("profile"));
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    http_add_header(r, "Cache-Control", "public, max-age=3600");
    r->outcome = "ok";
    http_reply_json(r, 200, doc);
}
