/* GET /api/profile: the business API a page calls with "Authorization: Bearer <token>" after
 * the login. The token is verified with libwxauth, offline, against wxauthd's JWKS (signature,
 * alg allow-list, iss, aud, exp); only then is the profile in its claims trusted. 401 with
 * libwxauth's reason otherwise, 503 while the JWKS cannot be had.
 *
 * wxauth_verify() may fetch the JWKS (an unknown kid after a key rotation), which blocks this
 * one-thread server for at most the fetch timeout: fine for a sample, while a busy service
 * would verify on a worker thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "sample.h"

#define JWKS_TIMEOUT_MS 3000

bool
sample_verifier_ensure(sample_app_t *app, char *err, size_t errlen)
{
    if (app->verifier)
        return true;
    time_t now = time(NULL);
    if (now < app->verifier_retry_at) {
        snprintf(err, errlen, "the JWKS at %s could not be loaded a moment ago", app->jwks_url);
        return false;
    }
    wxauth_options o = {.jwks_url = app->jwks_url,
                        .issuer = app->issuer,
                        .audience = app->cfg.audience,
                        .leeway = -1,
                        .timeout_ms = JWKS_TIMEOUT_MS};
    wxauth_verifier *v = NULL;
    if (wxauth_verifier_new(&o, &v, err, errlen) != WXAUTH_OK) {
        /* At most one attempt a second while wxauthd is unreachable. */
        app->verifier_retry_at = now + 1;
        return false;
    }
    app->verifier = v;
    return true;
}

/* The token of "Authorization: Bearer <token>", or NULL. The scheme is case-insensitive
 * (RFC 7235); the token may not contain spaces. */
static const char *
bearer_token(struct evhttp_request *req, char *buf, size_t buflen)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    size_t n = strlen(h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= buflen || memchr(h, ' ', n))
        return NULL;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return buf;
}

static void
reply_json(struct evhttp_request *req, int status, json_t *body, const char *note)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (!text) {
        static const char oom[] = "{\"code\":500,\"message\":\"out of memory\"}";
        sample_reply(req, 500, "application/json", oom, sizeof(oom) - 1);
        sample_log(req, 500, "out of memory");
    } else {
        sample_reply(req, status, "application/json; charset=utf-8", text, strlen(text));
        sample_log(req, status, note);
    }
    free(text);
    json_decref(body);
}

/* {"code": code, "message": message[, "reason": reason]} */
static json_t *
error_body(int code, const char *message, const char *reason)
{
    json_t *o = json_object();
    json_t *m = json_string(message); /* NULL if the text is not UTF-8 */
    if (!o)
        return NULL;
    json_object_set_new(o, "code", json_integer(code));
    json_object_set_new(o, "message", m ? m : json_string(reason ? reason : "error"));
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    return o;
}

static void
copy_claim(json_t *to, const char *to_key, json_t *claims, const char *key)
{
    json_t *v = json_object_get(claims, key);
    json_object_set_new(to, to_key, v ? json_incref(v) : json_null());
}

/* The 200 answer: what the page shows (user), the verified claims, and how they were checked. */
static json_t *
profile_body(const sample_app_t *app, const wxauth_claims *c)
{
    json_t *claims = json_loads(wxauth_claims_json(c), 0, NULL);
    json_t *user = json_object();
    json_t *body = json_object();
    long long exp = 0;
    if (!claims || !user || !body) {
        json_decref(claims);
        json_decref(user);
        json_decref(body);
        return NULL;
    }
    copy_claim(user, "id", claims, "sub");
    copy_claim(user, "nickname", claims, "nickname");
    copy_claim(user, "picture", claims, "picture");
    copy_claim(user, "openid", claims, "openid");
    copy_claim(user, "unionid", claims, "unionid");
    copy_claim(user, "gender", claims, "gender");
    copy_claim(user, "userPoolId", claims, "userPoolId");
    json_object_set_new(body, "code", json_integer(200));
    json_object_set_new(body, "message", json_string("token verified by libwxauth"));
    json_object_set_new(body, "user", user);
    json_object_set_new(body, "claims", claims);
    if (wxauth_claims_int(c, "exp", &exp) == 0)
        json_object_set_new(body, "expires_in", json_integer(exp - (long long)time(NULL)));
    json_object_set_new(body, "verified",
                        json_pack("{s:s,s:s,s:s}", "jwks", app->jwks_url, "issuer", app->issuer,
                                  "audience", app->cfg.audience));
    return body;
}

void
sample_profile_serve(sample_app_t *app, struct evhttp_request *req)
{
    char buf[WXAUTH_TOKEN_MAX + 2], err[256] = "";
    wxauth_claims *claims = NULL;
    const char *token = bearer_token(req, buf, sizeof(buf));
    if (!token) {
        /* RFC 6750 §3.1: no error code when the request carried no credentials. */
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"wxsample\"");
        reply_json(
            req, 401,
            error_body(401, "send the login's token as Authorization: Bearer <token>", "no token"),
            "no token");
        return;
    }
    if (!sample_verifier_ensure(app, err, sizeof(err))) {
        reply_json(req, 503, error_body(503, err, "jwks unavailable"), "jwks unavailable");
        return;
    }
    wxauth_status s = wxauth_verify(app->verifier, token, &claims, err, sizeof(err));
    if (s == WXAUTH_OK) {
        reply_json(req, 200, profile_body(app, claims), NULL);
        wxauth_claims_free(claims);
        return;
    }
    if (!err[0])
        snprintf(err, sizeof(err), "%s", wxauth_status_str(s));
    if (s == WXAUTH_ERR_JWKS || s == WXAUTH_ERR_NOMEM) {
        /* Not the token's fault: the page may try again. */
        reply_json(req, 503, error_body(503, err, wxauth_status_str(s)), wxauth_status_str(s));
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                      "Bearer realm=\"wxsample\", error=\"invalid_token\"");
    reply_json(req, 401, error_body(401, err, wxauth_status_str(s)), wxauth_status_str(s));
}
