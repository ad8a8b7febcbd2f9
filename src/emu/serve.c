/* Around every emulated-WeChat handler: injected faults and latency, the call ring, the log
 * line, and the reply (now, or held on the loop). Also the JSON reply helpers. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"
#include "ids.h"

#define CT_WECHAT "text/plain" /* what api.weixin.qq.com sends, not application/json */

void
emu_resp_json(emu_resp_t *out, json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
    wx_buf_reset(&out->body);
    out->ctype = CT_WECHAT;
    if (!s || wx_buf_puts(&out->body, s) != WX_OK) {
        out->status = 500;
        out->errcode = -1;
        out->outcome = "internal_error";
        wx_buf_reset(&out->body);
        wx_buf_puts(&out->body, "{\"errcode\":-1,\"errmsg\":\"system error\"}");
    }
    free(s);
    json_decref(obj);
}

void
emu_resp_wxerr(const emu_t *e, emu_resp_t *out, int errcode)
{
    char rid[EMU_RID_LEN + 1], msg[256];
    emu_rid_new(emu_now(e), rid);
    wx_snprintf(msg, sizeof(msg), "%s, rid: %s", emu_errmsg(errcode), rid);
    out->errcode = errcode;
    if (!out->outcome)
        out->outcome = "wechat_error";
    emu_resp_json(out, json_pack("{s:i,s:s}", "errcode", errcode, "errmsg", msg));
}

void
emu_resp_set_appid(emu_resp_t *out, const char *appid)
{
    if (appid && emu_appid_valid(appid))
        wx_strlcpy(out->appid, appid, sizeof(out->appid));
}

static long
jittered(long latency, long jitter, emu_rand01_fn rnd)
{
    if (jitter > 0)
        latency += (long)(rnd(NULL) * (double)(jitter + 1));
    return latency;
}

static void
log_call(http_req_t *r, const emu_call_t *c)
{
    char ec[16], st[16];
    wx_snprintf(ec, sizeof(ec), "%d", c->errcode);
    wx_snprintf(st, sizeof(st), "%d", c->status);
    wx_log(WX_LOG_INFO, "wechat_call", "rid", r->id, "endpoint", emu_endpoint_name(c->ep), "appid",
           c->appid[0] ? c->appid : NULL, "#errcode", ec, "#status", st, "fault", c->fault, NULL);
}

void
emu_serve(http_req_t *r, emu_endpoint_t ep, emu_handler_fn fn)
{
    emu_t *e = r->worker->ctx;
    emu_fault_decision_t d;
    emu_resp_t out = {.status = 200};
    emu_call_t call = {.ep = ep, .at = emu_now(e)};
    wx_err_t err = {0};
    long delay;

    wx_buf_init(&out.body, EMU_BODY_MAX);
    emu_resp_set_appid(&out, wx_query_get(&r->query, "appid"));
    emu_faults_decide(&e->faults, ep, emu_rand01, NULL, &d);
    delay = d.delay_ms;
    if (ep != EMU_EP_AUTHORIZE && ep != EMU_EP_QRCONNECT) /* the configured latency is the API's */
        delay += jittered(e->cfg.latency_ms, e->cfg.jitter_ms, emu_rand01);
    if (d.action != EMU_FAULT_NONE)
        call.fault = emu_fault_action_name(d.action);
    else if (d.delay_ms > 0)
        call.fault = "latency";

    switch (d.action) {
    case EMU_FAULT_RESET:
    case EMU_FAULT_HANG:
        wx_strlcpy(call.appid, out.appid, sizeof(call.appid));
        call.status = 0;
        emu_calls_add(&e->calls, &call);
        log_call(r, &call);
        wx_buf_free(&out.body);
        r->outcome = d.action == EMU_FAULT_HANG ? "fault_hang" : "fault_reset";
        if (d.action == EMU_FAULT_HANG)
            delay = EMU_HANG_MAX_MS;
        if (delay <= 0 ||
            emu_held_add(&e->held, r, EMU_HELD_RESET, delay, 0, NULL, NULL, 0, &err) != WX_OK)
            http_reply_abort(r);
        return;
    case EMU_FAULT_HTTP:
        emu_page_http_status(&out, d.http_status);
        out.outcome = "fault_http";
        break;
    case EMU_FAULT_ERRCODE:
        out.outcome = "fault_errcode";
        if (ep == EMU_EP_AUTHORIZE || ep == EMU_EP_QRCONNECT)
            emu_page_error(e, r, &out, d.errcode, NULL);
        else
            emu_resp_wxerr(e, &out, d.errcode);
        break;
    case EMU_FAULT_NONE:
        fn(e, r, &out);
        break;
    }

    wx_strlcpy(call.appid, out.appid, sizeof(call.appid));
    call.errcode = out.errcode;
    call.status = out.status;
    emu_calls_add(&e->calls, &call);
    log_call(r, &call);
    r->outcome = out.outcome ? out.outcome : "ok";
    if (!out.ctype)
        out.ctype = CT_WECHAT;

    if (delay > 0) {
        size_t len = out.body.len;
        char *body = wx_buf_steal(&out.body);
        if (emu_held_add(&e->held, r, EMU_HELD_REPLY, delay, out.status, out.ctype, body, len,
                         &err) == WX_OK)
            return;
        wx_log(WX_LOG_WARN, "hold_failed", "error", err.msg, NULL);
        http_reply_error(r, 503, 503, "emulator busy");
        return;
    }
    http_reply_raw(r, out.status, out.ctype, wx_buf_str(&out.body), out.body.len);
    wx_buf_free(&out.body);
}

void
emu_route_authorize(http_req_t *r)
{
    emu_serve(r, EMU_EP_AUTHORIZE, emu_authorize);
}

void
emu_route_qrconnect(http_req_t *r)
{
    emu_serve(r, EMU_EP_QRCONNECT, emu_qrconnect);
}

void
emu_route_access_token(http_req_t *r)
{
    emu_serve(r, EMU_EP_ACCESS_TOKEN, emu_sns_access_token);
}

void
emu_route_refresh_token(http_req_t *r)
{
    emu_serve(r, EMU_EP_REFRESH_TOKEN, emu_sns_refresh_token);
}

void
emu_route_userinfo(http_req_t *r)
{
    emu_serve(r, EMU_EP_USERINFO, emu_sns_userinfo);
}

void
emu_route_auth(http_req_t *r)
{
    emu_serve(r, EMU_EP_AUTH, emu_sns_auth);
}

void
emu_route_sns_unknown(http_req_t *r)
{
    emu_serve(r, EMU_EP_UNKNOWN, emu_sns_unknown);
}

void
emu_route_cgi_token(http_req_t *r)
{
    emu_serve(r, EMU_EP_TOKEN, emu_cgi_token);
}

void
emu_route_cgi_stable_token(http_req_t *r)
{
    emu_serve(r, EMU_EP_STABLE_TOKEN, emu_cgi_stable_token);
}

void
emu_route_healthz(http_req_t *r)
{
    http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}
