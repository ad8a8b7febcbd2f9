/* What the emulator was asked: the last EMU_CALLS_MAX calls in a ring, plus a counter per
 * endpoint since the last clear. Tests read it through the admin API (e.g. to check that a
 * code was exchanged exactly once). */
#ifndef EMU_CALLS_H
#define EMU_CALLS_H

#include <stdint.h>

#include <jansson.h>

#include "endpoints.h"
#include "model.h"

#define EMU_CALLS_MAX 1000

typedef struct {
    emu_endpoint_t ep;
    char appid[EMU_APPID_MAX + 1]; /* "" when unknown */
    int errcode;                   /* WeChat errcode (or page error code); 0 = success */
    int status;                    /* HTTP status sent; 0 = reset or hang */
    int64_t at;                    /* emulated Unix seconds */
    const char *fault;             /* injected fault, or NULL */
} emu_call_t;

typedef struct {
    emu_call_t ring[EMU_CALLS_MAX];
    size_t next, count;
    uint64_t total[EMU_EP_COUNT];
} emu_calls_t;

void emu_calls_add(emu_calls_t *c, const emu_call_t *call);
void emu_calls_clear(emu_calls_t *c);
/* {"calls":[oldest first...],"counters":{"authorize":N,...}} */
json_t *emu_calls_to_json(const emu_calls_t *c);

#endif
