/* OpenID Connect rules (oidc.h). */
#include "oidc.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../jose/b64url.h"
#include "../util/html.h"
#include "../util/msg.h"
#include "../util/url.h"

#define REQUEST_PREFIX "oidc:1 "

bool
oidc_request_is(const char *s)
{
    return s && strncmp(s, REQUEST_PREFIX, sizeof(REQUEST_PREFIX) - 1) == 0;
}

bool
oidc_request_format(const oidc_request_t *q, char *out, size_t n)
{
    wx_buf_t b;
    bool ok;
    wx_buf_init(&b, n > 0 ? n - 1 : 0);
    ok = wx_buf_puts(&b, REQUEST_PREFIX "m=") == WX_OK &&
         wx_buf_puts(&b, q->form_post     ? "form_post"
                         : q->web_message ? "web_message"
                                          : "query") == WX_OK &&
         wx_buf_puts(&b, "&s=") == WX_OK && wx_url_encode(&b, q->state) == WX_OK &&
         wx_buf_puts(&b, "&n=") == WX_OK && wx_url_encode(&b, q->nonce) == WX_OK &&
         wx_buf_puts(&b, "&c=") == WX_OK && wx_url_encode(&b, q->code_challenge) == WX_OK &&
         wx_buf_puts(&b, "&p=") == WX_OK && wx_url_encode(&b, q->scope) == WX_OK;
    ok = ok && wx_strlcpy(out, wx_buf_str(&b), n);
    wx_buf_free(&b);
    return ok;
}

bool
oidc_request_parse(const char *s, oidc_request_t *out)
{
    wx_query_t q = {0};
    bool ok = false;
    memset(out, 0, sizeof(*out));
    if (!oidc_request_is(s) || wx_query_parse(s + sizeof(REQUEST_PREFIX) - 1, &q, NULL) != WX_OK)
        goto out;
    const char *m = wx_query_get(&q, "m"), *st = wx_query_get(&q, "s"),
               *nonce = wx_query_get(&q, "n"), *c = wx_query_get(&q, "c"),
               *p = wx_query_get(&q, "p");
    if (!m || !st || !nonce || !c || !p)
        goto out;
    out->form_post = strcmp(m, "form_post") == 0;
    out->web_message = strcmp(m, "web_message") == 0;
    ok = wx_strlcpy(out->state, st, sizeof(out->state)) &&
         wx_strlcpy(out->nonce, nonce, sizeof(out->nonce)) &&
         wx_strlcpy(out->code_challenge, c, sizeof(out->code_challenge)) &&
         wx_strlcpy(out->scope, p, sizeof(out->scope));
out:
    wx_query_free(&q);
    return ok;
}

static bool
b64url_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

bool
oidc_challenge_valid(const char *challenge)
{
    if (!challenge || strlen(challenge) != 43)
        return false;
    for (const char *p = challenge; *p; p++)
        if (!b64url_char(*p))
            return false;
    return true;
}

bool
oidc_pkce_s256_ok(const char *verifier, const char *challenge)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    wx_buf_t b;
    bool ok = false;
    size_t n = verifier ? strlen(verifier) : 0;
    if (n < 43 || n > 128 || !oidc_challenge_valid(challenge))
        return false;
    for (size_t i = 0; i < n; i++) /* RFC 7636 §4.1: unreserved characters only */
        if (!b64url_char(verifier[i]) && verifier[i] != '.' && verifier[i] != '~')
            return false;
    if (!EVP_Digest(verifier, n, md, &mdlen, EVP_sha256(), NULL))
        return false;
    wx_buf_init(&b, 64);
    if (b64url_encode(md, mdlen, &b) == WX_OK && b.len == 43)
        ok = CRYPTO_memcmp(wx_buf_str(&b), challenge, 43) == 0;
    wx_buf_free(&b);
    return ok;
}

bool
oidc_redirect_registered(const char *list, const char *uri)
{
    size_t ul = uri ? strlen(uri) : 0;
    if (ul == 0)
        return false;
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, "\n");
        size_t keep = len;
        while (keep > 0 && (p[keep - 1] == '\r' || p[keep - 1] == ' '))
            keep--;
        if (keep == ul && memcmp(p, uri, ul) == 0 && !memchr(p, '*', keep))
            return true;
        p += len;
        if (*p)
            p++;
    }
    return false;
}

wx_status_t
oidc_at_hash(const char *alg, const char *access_token, char *out, size_t n)
{
    unsigned char md[64];
    unsigned int mdlen = 0;
    wx_buf_t b;
    wx_status_t rc = WX_ECRYPTO;
    const EVP_MD *h = strcmp(alg, "EdDSA") == 0 ? EVP_sha512() : EVP_sha256();
    if (!EVP_Digest(access_token, strlen(access_token), md, &mdlen, h, NULL))
        return WX_ECRYPTO;
    wx_buf_init(&b, 128);
    if (b64url_encode(md, mdlen / 2, &b) == WX_OK)
        rc = wx_strlcpy(out, wx_buf_str(&b), n) ? WX_OK : WX_ETOOBIG;
    wx_buf_free(&b);
    return rc;
}

bool
oidc_scope_has(const char *scope, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = scope; p && *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (len == wl && memcmp(p, word, wl) == 0)
            return true;
        p += len;
    }
    return false;
}

wx_status_t
oidc_response_url(wx_buf_t *out, const char *redirect_uri, const char *code, const char *error,
                  const char *description, const char *state, const char *iss)
{
    wx_status_t rc = wx_buf_puts(out, redirect_uri);
    if (rc == WX_OK && code)
        rc = wx_url_add_param(out, "code", code);
    if (rc == WX_OK && error)
        rc = wx_url_add_param(out, "error", error);
    if (rc == WX_OK && error && description)
        rc = wx_url_add_param(out, "error_description", description);
    if (rc == WX_OK && state && *state)
        rc = wx_url_add_param(out, "state", state);
    if (rc == WX_OK && iss)
        rc = wx_url_add_param(out, "iss", iss);
    return rc;
}

static wx_status_t
form_field(wx_buf_t *b, const char *name, const char *value)
{
    if (!value || !*value)
        return WX_OK;
    wx_status_t rc = wx_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    if (rc == WX_OK)
        rc = wx_html_escape(b, value);
    return rc == WX_OK ? wx_buf_puts(b, "\">") : rc;
}

wx_status_t
oidc_response_form(wx_buf_t *out, const char *redirect_uri, const char *code, const char *error,
                   const char *description, const char *state, const char *iss)
{
    /* OAuth 2.0 Form Post Response Mode §2: the browser POSTs the parameters itself. The
     * inline script is allowed by a hash-free CSP nonce-less rule set by the caller. */
    const wx_msg_t *m = wx_msg(WX_MSG_PAGE_RETURNING);
    wx_status_t rc = wx_buf_printf(out,
                                   "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta "
                                   "charset=\"utf-8\"><title>%s · %s</title></head><body "
                                   "onload=\"document.forms[0].submit()\"><form method=\"post\" "
                                   "action=\"",
                                   m->title_zh, m->title_en);
    if (rc == WX_OK)
        rc = wx_html_escape(out, redirect_uri);
    if (rc == WX_OK)
        rc = wx_buf_puts(out, "\">");
    if (rc == WX_OK)
        rc = form_field(out, "code", code);
    if (rc == WX_OK)
        rc = form_field(out, "error", error);
    if (rc == WX_OK && error)
        rc = form_field(out, "error_description", description);
    if (rc == WX_OK)
        rc = form_field(out, "state", state);
    if (rc == WX_OK)
        rc = form_field(out, "iss", iss);
    if (rc == WX_OK)
        rc = wx_buf_printf(out,
                           "<noscript><p>%s %s</p></noscript><button type=\"submit\">继续 · "
                           "Continue</button></form></body></html>",
                           m->zh, m->en);
    return rc;
}

/* ES3/ES5 only (old WebViews): read the data island, post it, close a popup. */
const char OIDC_WEB_MESSAGE_SCRIPT[] =
    "(function(){var e=document.getElementById('wx-r'),d=JSON.parse(e.textContent||e.innerText),"
    "w=window.opener||(window.parent!==window?window.parent:null);if(w){w.postMessage({type:"
    "'authorization_response',response:d.response},d.origin);if(window.opener){window.close();}}"
    "else{document.getElementById('wx-none').style.display='block';}})();";

bool
oidc_origin_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    if (!p || !(strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0))
        return false;
    p += 3;
    size_t host = strcspn(p, "/?#");
    size_t len = (size_t)(p - url) + host;
    if (host == 0 || len >= n || memchr(url, '@', len)) /* no userinfo in an origin */
        return false;
    memcpy(out, url, len);
    out[len] = '\0';
    return true;
}

/* A JSON text safe inside <script>: no "<", ">" or "&" as such. */
static wx_status_t
script_json(wx_buf_t *b, const char *json)
{
    wx_status_t rc = WX_OK;
    for (const char *c = json; *c && rc == WX_OK; c++)
        rc = *c == '<'   ? wx_buf_puts(b, "\\u003c")
             : *c == '>' ? wx_buf_puts(b, "\\u003e")
             : *c == '&' ? wx_buf_puts(b, "\\u0026")
                         : wx_buf_append(b, c, 1);
    return rc;
}

wx_status_t
oidc_response_message(wx_buf_t *out, const char *redirect_uri, const char *code, const char *error,
                      const char *description, const char *state, const char *iss)
{
    char origin[STORE_URL_MAX];
    const wx_msg_t *m = wx_msg(WX_MSG_PAGE_RETURNING);
    if (!oidc_origin_of(redirect_uri, origin, sizeof(origin)))
        return WX_EINVAL;
    json_t *resp = json_object();
    if (!resp)
        return WX_ENOMEM;
    if (code)
        json_object_set_new(resp, "code", json_string(code));
    if (error)
        json_object_set_new(resp, "error", json_string(error));
    if (error && description)
        json_object_set_new(resp, "error_description", json_string(description));
    if (state && *state)
        json_object_set_new(resp, "state", json_string(state));
    if (iss)
        json_object_set_new(resp, "iss", json_string(iss));
    json_t *data = json_pack("{s:s,s:o}", "origin", origin, "response", resp);
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (!text)
        return WX_ENOMEM;
    wx_status_t rc = wx_buf_printf(out,
                                   "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta "
                                   "charset=\"utf-8\"><title>%s · %s</title></head><body><p>%s "
                                   "%s</p><p id=\"wx-none\" style=\"display:none\">%s %s</p>"
                                   "<script type=\"application/json\" id=\"wx-r\">",
                                   m->title_zh, m->title_en, m->title_zh, m->title_en,
                                   wx_msg(WX_MSG_PAGE_POPUP_NO_OPENER)->zh,
                                   wx_msg(WX_MSG_PAGE_POPUP_NO_OPENER)->title_en);
    if (rc == WX_OK)
        rc = script_json(out, text);
    if (rc == WX_OK)
        rc = wx_buf_printf(out, "</script><script>%s</script></body></html>",
                           OIDC_WEB_MESSAGE_SCRIPT);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return rc;
}
