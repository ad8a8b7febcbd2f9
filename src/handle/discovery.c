/* OIDC discovery (OpenID Connect Discovery 1.0 §3, §4) at /oidc/.well-known/openid-configuration,
 * its RFC 8414 §3.1 twins (/.well-known/openid-configuration/oidc, /.well-known/
 * oauth-authorization-server/oidc) and, for clients that only know the host (Authing's layout),
 * /.well-known/openid-configuration. Every copy names the one issuer, {public_url}/oidc: tokens
 * carry that iss, so a document claiming the bare host would fail every token it describes. */
#include "ctx.h"

#include <stdarg.h>

#include "../http/reply.h"

/* doc[key] = [the NULL-terminated strings]; built key by key rather than with one json_pack
 * format, where a missing "s:[s]," once shifted every later key (issue #13). */
static void
disc_list(json_t *doc, const char *key, ...)
{
    json_t *arr = json_array();
    va_list ap;
    va_start(ap, key);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        json_array_append_new(arr, json_string(s));
    va_end(ap);
    json_object_set_new(doc, key, arr);
}

static void
disc_url(json_t *doc, const char *key, const char *host, const char *path)
{
    char url[700];
    wx_snprintf(url, sizeof(url), "%s%s", host, path);
    json_object_set_new(doc, key, json_string(url));
}

void
handle_discovery(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    const char *host = ctx->app->cfg->public_url;
    json_t *doc = json_object();
    json_object_set_new(doc, "issuer", json_string(ctx->app->issuer));
    disc_url(doc, "authorization_endpoint", host, "/oidc/auth");
    disc_url(doc, "token_endpoint", host, "/oidc/token");
    disc_url(doc, "jwks_uri", host, "/oidc/.well-known/jwks.json");
    disc_url(doc, "userinfo_endpoint", host, "/oidc/me");
    disc_url(doc, "end_session_endpoint", host, "/oidc/session/end");
    disc_url(doc, "introspection_endpoint", host, "/oidc/token/introspection");
    disc_url(doc, "revocation_endpoint", host, "/oidc/token/revocation");
    disc_list(doc, "response_types_supported", "code", NULL);
    disc_list(doc, "response_modes_supported", "query", "form_post", "web_message", NULL);
    disc_list(doc, "grant_types_supported", "authorization_code", "refresh_token", NULL);
    disc_list(doc, "subject_types_supported", "public", NULL);
    disc_list(doc, "scopes_supported", "openid", "profile", NULL);
    disc_list(doc, "id_token_signing_alg_values_supported", "RS256", "ES256", "EdDSA", "HS256",
              NULL);
    disc_list(doc, "code_challenge_methods_supported", "S256", NULL);
    disc_list(doc, "token_endpoint_auth_methods_supported", "client_secret_basic",
              "client_secret_post", "none", NULL);
    disc_list(doc, "introspection_endpoint_auth_methods_supported", "client_secret_basic",
              "client_secret_post", NULL);
    disc_list(doc, "revocation_endpoint_auth_methods_supported", "client_secret_basic",
              "client_secret_post", NULL);
    disc_list(doc, "prompt_values_supported", "none", "login", NULL);
    disc_list(doc, "claims_supported", "iss", "sub", "aud", "exp", "iat", "jti", "auth_time",
              "nonce", "sid", "at_hash", "azp", "nickname", "picture", "gender", "openid",
              "unionid", "userPoolId", NULL);
    /* RFC 9207: the answer names its issuer (mix-up defence); no request objects. */
    json_object_set_new(doc, "authorization_response_iss_parameter_supported", json_true());
    json_object_set_new(doc, "request_parameter_supported", json_false());
    json_object_set_new(doc, "request_uri_parameter_supported", json_false());
    http_add_header(r, "Access-Control-Allow-Origin", "*");
    http_add_header(r, "Cache-Control", "public, max-age=3600");
    r->outcome = "ok";
    http_reply_json(r, 200, doc);
}
