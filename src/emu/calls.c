/* Ring of recent calls and per-endpoint counters. */
#include "calls.h"

void
emu_calls_add(emu_calls_t *c, const emu_call_t *call)
{
    c->ring[c->next] = *call;
    c->next = (c->next + 1) % EMU_CALLS_MAX;
    if (c->count < EMU_CALLS_MAX)
        c->count++;
    if ((unsigned)call->ep < EMU_EP_COUNT)
        c->total[call->ep]++;
}

void
emu_calls_clear(emu_calls_t *c)
{
    memset(c, 0, sizeof(*c));
}

json_t *
emu_calls_to_json(const emu_calls_t *c)
{
    json_t *arr = json_array(), *counters = json_object();
    size_t start = (c->next + EMU_CALLS_MAX - c->count) % EMU_CALLS_MAX;
    for (size_t i = 0; arr && i < c->count; i++) {
        const emu_call_t *k = &c->ring[(start + i) % EMU_CALLS_MAX];
        json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:I}", "endpoint", emu_endpoint_name(k->ep),
                              "appid", k->appid, "errcode", k->errcode, "status", k->status, "at",
                              (json_int_t)k->at);
        if (o && k->fault)
            json_object_set_new(o, "fault", json_string(k->fault));
        json_array_append_new(arr, o);
    }
    for (int i = 0; counters && i < EMU_EP_COUNT; i++)
        json_object_set_new(counters, emu_endpoint_name((emu_endpoint_t)i),
                            json_integer((json_int_t)c->total[i]));
    return json_pack("{s:o*,s:o*}", "calls", arr, "counters", counters);
}
