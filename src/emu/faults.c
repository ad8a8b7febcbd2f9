/* Fault table: parse, list, decide. */
#include "faults.h"

#include <string.h>

#include "../util/rand.h"

double
emu_rand01(void *arg)
{
    uint32_t v = 0;
    (void)arg;
    (void)wx_rand_bytes(&v, sizeof(v));
    return (double)v / 4294967296.0;
}

const char *
emu_fault_action_name(emu_fault_action_t a)
{
    static const char *const names[] = {"none", "reset", "hang", "http_status", "errcode"};
    return (unsigned)a < WX_ARRAY_LEN(names) ? names[a] : "?";
}

static bool
roll(double rate, emu_rand01_fn rnd, void *arg)
{
    if (rate <= 0)
        return false;
    if (rate >= 1)
        return true;
    return rnd(arg) < rate;
}

void
emu_faults_decide(emu_faults_t *fs, emu_endpoint_t ep, emu_rand01_fn rnd, void *arg,
                  emu_fault_decision_t *out)
{
    memset(out, 0, sizeof(*out));
    emu_fault_t *f = NULL;
    if ((unsigned)ep < EMU_EP_COUNT && fs->f[ep].set)
        f = &fs->f[ep];
    else if (fs->f[EMU_FAULT_STAR].set)
        f = &fs->f[EMU_FAULT_STAR];
    if (!f)
        return;
    out->delay_ms = f->latency_ms;
    if (f->jitter_ms > 0)
        out->delay_ms += (long)(rnd(arg) * (double)(f->jitter_ms + 1));
    if (roll(f->reset_rate, rnd, arg)) {
        out->action = EMU_FAULT_RESET;
    } else if (roll(f->hang_rate, rnd, arg)) {
        out->action = EMU_FAULT_HANG;
    } else if (roll(f->http_status_rate, rnd, arg)) {
        out->action = EMU_FAULT_HTTP;
        out->http_status = f->http_status;
    } else if (roll(f->errcode_rate, rnd, arg)) {
        out->action = EMU_FAULT_ERRCODE;
        out->errcode = f->errcode;
    }
    if (f->count > 0 && --f->count == 0)
        memset(f, 0, sizeof(*f));
}

static wx_status_t
get_long(const json_t *v, const char *key, long min, long max, long *out, wx_err_t *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return wx_err_set(err, WX_EINVAL, "%s must be an integer in [%ld, %ld]", key, min, max);
    *out = (long)json_integer_value(v);
    return WX_OK;
}

static wx_status_t
get_rate(const json_t *v, const char *key, double *out, wx_err_t *err)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || !(d >= 0.0 && d <= 1.0))
        return wx_err_set(err, WX_EINVAL, "%s must be a number in [0, 1]", key);
    *out = d;
    return WX_OK;
}

wx_status_t
emu_fault_parse(const json_t *j, int *idx, emu_fault_t *out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    const char *key;
    json_t *v;
    bool has_errcode = false, has_errrate = false, has_status = false, has_statusrate = false;
    long l;
    memset(out, 0, sizeof(*out));
    *idx = -1;
    if (!json_is_object(j))
        return wx_err_set(err, WX_EINVAL, "body must be a JSON object");
    json_object_foreach((json_t *)j, key, v)
    {
        if (strcmp(key, "endpoint") == 0) {
            const char *s = json_string_value(v);
            emu_endpoint_t ep;
            if (s && strcmp(s, "*") == 0)
                *idx = EMU_FAULT_STAR;
            else if (s && emu_endpoint_parse(s, &ep) && ep != EMU_EP_UNKNOWN)
                *idx = (int)ep;
            else
                return wx_err_set(err, WX_EINVAL,
                                  "endpoint must be one of access_token, refresh_token, "
                                  "userinfo, auth, authorize, qrconnect, token, stable_token, *");
        } else if (strcmp(key, "latency_ms") == 0) {
            rc = get_long(v, key, 0, EMU_LATENCY_MAX_MS, &out->latency_ms, err);
        } else if (strcmp(key, "jitter_ms") == 0) {
            rc = get_long(v, key, 0, EMU_LATENCY_MAX_MS, &out->jitter_ms, err);
        } else if (strcmp(key, "errcode") == 0) {
            rc = get_long(v, key, -2147483647L, 2147483647L, &l, err);
            if (rc == WX_OK && l == 0)
                rc = wx_err_set(err, WX_EINVAL, "errcode 0 is not an error");
            out->errcode = (int)l;
            has_errcode = true;
        } else if (strcmp(key, "errcode_rate") == 0) {
            rc = get_rate(v, key, &out->errcode_rate, err);
            has_errrate = true;
        } else if (strcmp(key, "http_status") == 0) {
            rc = get_long(v, key, 400, 599, &l, err);
            out->http_status = (int)l;
            has_status = true;
        } else if (strcmp(key, "http_status_rate") == 0) {
            rc = get_rate(v, key, &out->http_status_rate, err);
            has_statusrate = true;
        } else if (strcmp(key, "reset_rate") == 0) {
            rc = get_rate(v, key, &out->reset_rate, err);
        } else if (strcmp(key, "hang_rate") == 0) {
            rc = get_rate(v, key, &out->hang_rate, err);
        } else if (strcmp(key, "count") == 0) {
            rc = get_long(v, key, 1, 1000000000L, &out->count, err);
        } else {
            return wx_err_set(err, WX_EINVAL, "unknown fault key '%.40s'", key);
        }
        if (rc != WX_OK)
            return rc;
    }
    if (*idx < 0)
        return wx_err_set(err, WX_EINVAL, "endpoint is required");
    if (has_errcode && !has_errrate)
        out->errcode_rate = 1.0;
    if (!has_errcode && out->errcode_rate > 0)
        out->errcode = -1;
    if (has_status && !has_statusrate)
        out->http_status_rate = 1.0;
    if (!has_status && out->http_status_rate > 0)
        out->http_status = 503;
    out->set = true;
    return WX_OK;
}

json_t *
emu_fault_to_json(int idx, const emu_fault_t *f)
{
    json_t *o = json_pack(
        "{s:s,s:I,s:I,s:i,s:f,s:i,s:f,s:f,s:f}", "endpoint",
        idx == EMU_FAULT_STAR ? "*" : emu_endpoint_name((emu_endpoint_t)idx), "latency_ms",
        (json_int_t)f->latency_ms, "jitter_ms", (json_int_t)f->jitter_ms, "errcode", f->errcode,
        "errcode_rate", f->errcode_rate, "http_status", f->http_status, "http_status_rate",
        f->http_status_rate, "reset_rate", f->reset_rate, "hang_rate", f->hang_rate);
    if (o && f->count > 0)
        json_object_set_new(o, "count", json_integer(f->count));
    return o;
}

json_t *
emu_faults_to_json(const emu_faults_t *fs)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i <= EMU_FAULT_STAR; i++)
        if (fs->f[i].set)
            json_array_append_new(arr, emu_fault_to_json(i, &fs->f[i]));
    return json_pack("{s:o*}", "faults", arr);
}
