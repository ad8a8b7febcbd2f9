/* The end of a login started by authing-js-sdk's social.authorize in popup mode (desktop:
 * from_guard=1, no redirect_url; start.c sets the state's "popup=1"). The SDK's opener page
 * listens for a message {code, message, data, event:{source:'authing', eventType:'socialLogin'}}
 * and stores data (the user, with its token). This page posts exactly that to its opener,
 * addressed to each web origin registered for the application — postMessage delivers only to
 * the one the opener really has, so no other page can read the token — then closes itself.
 * The application is read again here (off the loop), so an origin removed meanwhile gets
 * nothing. */
#include "ctx.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "reads.h"

/* One fixed script, allowed by its hash in the page's CSP; what it posts comes from the JSON
 * blocks beside it (never executed). */
static const char popup_script[] =
    "(function(){var d=document,m=JSON.parse(d.getElementById('wx-result').textContent),"
    "o=JSON.parse(d.getElementById('wx-origins').textContent),w=window.opener;"
    "if(!w||!o.length){d.getElementById('wx-note').hidden=false;return;}"
    "for(var i=0;i<o.length;i++){try{w.postMessage(m,o[i]);}catch(e){}}"
    "setTimeout(function(){window.close();},50);})();";

typedef struct {
    http_req_t *r;
    char app_id[STORE_ID_MAX];
    int code;
    char *message_json; /* the message to post, JSON */
    store_app_t app;
} popup_t;

static void
popup_free(popup_t *p)
{
    if (p->message_json) {
        OPENSSL_cleanse(p->message_json, strlen(p->message_json)); /* holds the token */
        free(p->message_json);
    }
    OPENSSL_cleanse(p->app.secret, sizeof(p->app.secret));
    free(p);
}

static wx_status_t
popup_run(store_t *st, void *arg, wx_err_t *err)
{
    popup_t *p = arg;
    return store_app_get(st, p->app_id, &p->app, err);
}

/* JSON inside <script type="application/json">: nothing that could end the element. */
static wx_status_t
put_script_json(wx_buf_t *b, const char *json)
{
    for (const char *c = json; *c; c++) {
        wx_status_t rc;
        if (*c == '<')
            rc = wx_buf_puts(b, "\\u003c");
        else if (*c == '>')
            rc = wx_buf_puts(b, "\\u003e");
        else if (*c == '&')
            rc = wx_buf_puts(b, "\\u0026");
        else
            rc = wx_buf_append(b, c, 1);
        if (rc != WX_OK)
            return rc;
    }
    return WX_OK;
}

static bool
script_hash(char *out, size_t n)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    char b64[48];
    if (!EVP_Digest(popup_script, sizeof(popup_script) - 1, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen != sizeof(md) || EVP_EncodeBlock((unsigned char *)b64, md, 32) != 44)
        return false;
    return wx_snprintf(out, n,
                       "default-src 'none'; script-src 'sha256-%s'; style-src 'unsafe-inline'; "
                       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                       b64);
}

static void
popup_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    popup_t *p = arg;
    http_req_t *r = p->r;
    wx_buf_t b;
    char csp[256];
    json_t *origins = json_array();
    char *olist = NULL;
    bool ok = p->code == 200;
    wx_buf_init(&b, 65536);
    if (rc != WX_OK)
        wx_log(rc == WX_ENOENT ? WX_LOG_WARN : WX_LOG_ERROR, "popup_app_unreadable", "rid", r->id,
               "app", p->app_id, "error", err->msg, NULL);
    /* Only the registered origins; none (application gone or changed): the page says so. */
    for (const char *s = rc == WX_OK ? p->app.web_origins : ""; origins && *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len)
            json_array_append_new(origins, json_stringn(s, len));
        s = e ? e + 1 : s + len;
    }
    if (!origins || !(olist = json_dumps(origins, JSON_COMPACT)) || !script_hash(csp, sizeof(csp)))
        goto fail;
    wx_buf_puts(&b,
                "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>");
    /* The texts are the catalogue's (util/msg.h), Chinese first. */
    const wx_msg_t *m = wx_msg(ok ? WX_MSG_PAGE_POPUP_OK : WX_MSG_PAGE_POPUP_ERROR);
    const wx_msg_t *none = wx_msg(WX_MSG_PAGE_POPUP_NO_OPENER);
    wx_buf_printf(&b, "%s · %s", m->title_zh, m->title_en);
    wx_buf_puts(&b, "</title><style>body{font-family:sans-serif;max-width:36em;margin:3em auto;"
                    "padding:0 1em;line-height:1.5}small{color:#777}</style></head><body><h1>");
    wx_buf_puts(&b, m->title_zh);
    wx_buf_printf(&b, "</h1><p>%s<br><small>%s</small></p>", m->zh, m->en);
    wx_buf_printf(&b, "<p id=\"wx-note\" hidden>%s：%s<br><small>%s</small></p>", none->title_zh,
                  none->zh, none->en);
    wx_buf_puts(&b, "<script type=\"application/json\" id=\"wx-result\">");
    put_script_json(&b, p->message_json);
    wx_buf_puts(&b, "</script><script type=\"application/json\" id=\"wx-origins\">");
    put_script_json(&b, olist);
    wx_buf_puts(&b, "</script><script>");
    wx_buf_puts(&b, popup_script);
    if (wx_buf_puts(&b, "</script></body></html>") != WX_OK)
        goto fail;
    http_add_header(r, "Content-Security-Policy", csp);
    r->outcome = ok ? (r->outcome ? r->outcome : "ok") : r->outcome;
    http_reply_raw(r, 200, "text/html; charset=utf-8", b.data, b.len);
    goto out;
fail:
    http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED, NULL);
out:
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    wx_buf_free(&b);
    free(olist);
    json_decref(origins);
    popup_free(p);
}

void
handle_popup_reply(http_req_t *r, const char *app_id, int code, const char *message,
                   const json_t *data)
{
    popup_t *p = calloc(1, sizeof(*p));
    json_t *m = json_pack("{s:i,s:s,s:O?,s:{s:s,s:s}}", "code", code, "message", message, "data",
                          (json_t *)data, "event", "source", "authing", "eventType", "socialLogin");
    if (!p || !m || !(p->message_json = json_dumps(m, JSON_COMPACT)) ||
        !wx_strlcpy(p->app_id, app_id, sizeof(p->app_id))) {
        json_decref(m);
        if (p)
            popup_free(p);
        http_reply_page(r, 500, WX_MSG_PAGE_LOGIN_FAILED, NULL);
        return;
    }
    json_decref(m);
    p->r = r;
    p->code = code;
    handle_read(r->worker, popup_run, popup_done, p);
}
