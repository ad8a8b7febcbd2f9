/* OpenID Connect rules that need no server (docs/oidc.md): PKCE (RFC 7636), exact redirect_uri
 * matching (RFC 9700 §2.1), at_hash (OIDC Core §3.1.3.6), the authorization response and its
 * errors (RFC 6749 §4.1.2, RFC 9207 iss), and the OIDC request a login state carries through
 * WeChat. */
#ifndef WX_PROTO_OIDC_H
#define WX_PROTO_OIDC_H

#include "../store/store.h"
#include "../util/buf.h"

#define OIDC_STATE_MAX 512 /* the client's state, as sent */
#define OIDC_REQUEST_MAX STORE_OIDC_REQ_MAX

/* What a login started at /oidc/auth must remember until WeChat comes back (the client id and
 * redirect_uri are the login state's app_id and redirect). */
typedef struct {
    char state[OIDC_STATE_MAX + 1];
    char nonce[STORE_NONCE_MAX];
    char code_challenge[64];
    char scope[STORE_SCOPE_MAX];
    bool form_post;   /* response_mode=form_post */
    bool web_message; /* response_mode=web_message; neither: query */
} oidc_request_t;

/* "oidc:1 " + a query string of the fields; false when it would not fit n. */
bool oidc_request_format(const oidc_request_t *q, char *out, size_t n);
bool oidc_request_parse(const char *s, oidc_request_t *out);
bool oidc_request_is(const char *s);

/* A PKCE S256 code_challenge: 43 base64url characters (a SHA-256). */
bool oidc_challenge_valid(const char *challenge);
/* Does the code_verifier (43–128 of [A-Za-z0-9-._~]) hash to the challenge? Constant time. */
bool oidc_pkce_s256_ok(const char *verifier, const char *challenge);
/* Is uri one of the newline-separated registered URLs, byte for byte? Entries with '*' are
 * Authing-style patterns and never match here. */
bool oidc_redirect_registered(const char *list, const char *uri);
/* at_hash of an access token for a JWS alg: base64url of the left half of its hash (SHA-256
 * for RS256/ES256/HS256, SHA-512 for EdDSA with Ed25519). out: at least 44 bytes. */
wx_status_t oidc_at_hash(const char *alg, const char *access_token, char *out, size_t n);
/* Is this a scope list (space-separated) that holds "openid"? */
bool oidc_scope_has(const char *scope, const char *word);

/* The authorization response to redirect_uri with query parameters (query mode): code (or
 * error and error_description), state when the client sent one, iss (RFC 9207). */
wx_status_t oidc_response_url(wx_buf_t *out, const char *redirect_uri, const char *code,
                              const char *error, const char *description, const char *state,
                              const char *iss);
/* The same as an auto-submitting HTML form (response_mode=form_post). */
wx_status_t oidc_response_form(wx_buf_t *out, const char *redirect_uri, const char *code,
                               const char *error, const char *description, const char *state,
                               const char *iss);
/* The same posted by the page's script to the window that opened it (popup) or framed it
 * (silent prompt=none), addressed to redirect_uri's origin only (response_mode=web_message,
 * draft-sakimura-oauth-wmrm): {type: "authorization_response", response: {code|error…, state,
 * iss}}. The script is OIDC_WEB_MESSAGE_SCRIPT, allowed by its hash (the caller's CSP); the
 * page may be framed by that origin alone. */
wx_status_t oidc_response_message(wx_buf_t *out, const char *redirect_uri, const char *code,
                                  const char *error, const char *description, const char *state,
                                  const char *iss);
extern const char OIDC_WEB_MESSAGE_SCRIPT[];
/* scheme://host[:port] of an absolute http(s) URL; false when it has none. */
bool oidc_origin_of(const char *url, char *out, size_t n);

#endif
