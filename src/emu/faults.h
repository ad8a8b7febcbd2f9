/* Fault injection, per endpoint, set at run time through the admin API: fixed latency plus
 * jitter, a WeChat errcode at a rate, an HTTP error status at a rate, connection reset, hang.
 * A fault may be limited to the next N calls. "*" applies to every endpoint that has no
 * fault of its own. Deciding is pure given the random source, so unit tests drive it. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <jansson.h>

#include "../util/wx.h"
#include "endpoints.h"

#define EMU_FAULT_STAR EMU_EP_COUNT /* index of the "*" fault */
#define EMU_LATENCY_MAX_MS 600000

typedef struct {
    bool set;
    long latency_ms, jitter_ms;
    int errcode;
    double errcode_rate;
    int http_status;
    double http_status_rate;
    double reset_rate, hang_rate;
    long count; /* calls left before the fault clears itself; 0 = no limit */
} emu_fault_t;

typedef struct {
    emu_fault_t f[EMU_EP_COUNT + 1];
} emu_faults_t;

typedef enum {
    EMU_FAULT_NONE = 0, /* serve normally (maybe after a delay) */
    EMU_FAULT_RESET,    /* reset the connection */
    EMU_FAULT_HANG,     /* never answer */
    EMU_FAULT_HTTP,     /* answer http_status */
    EMU_FAULT_ERRCODE,  /* answer a WeChat error */
} emu_fault_action_t;

typedef struct {
    emu_fault_action_t action;
    long delay_ms;
    int errcode;
    int http_status;
} emu_fault_decision_t;

/* Uniform in [0,1). */
typedef double (*emu_rand01_fn)(void *arg);
double emu_rand01(void *arg); /* from the CSPRNG */

/* What to do with one call of ep; counts the call against a limited fault. */
void emu_faults_decide(emu_faults_t *fs, emu_endpoint_t ep, emu_rand01_fn rnd, void *arg,
                       emu_fault_decision_t *out);

/* Parse an admin request {"endpoint":..., ...} into *idx (endpoint or EMU_FAULT_STAR) and
 * *out. errcode / http_status without their rate mean rate 1; a rate without its value means
 * errcode -1 / status 503. */
wx_status_t emu_fault_parse(const json_t *j, int *idx, emu_fault_t *out, wx_err_t *err);
json_t *emu_fault_to_json(int idx, const emu_fault_t *f);
json_t *emu_faults_to_json(const emu_faults_t *fs);
const char *emu_fault_action_name(emu_fault_action_t a);

#endif
