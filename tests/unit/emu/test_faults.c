/* Tests for src/emu/faults.c: parsing the admin request, deciding per call with a scripted
 * random source, "*" fallback, and faults limited to N calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/faults.h"

/* Returns the scripted values in turn, then 0.5. */
typedef struct {
    const double *v;
    size_t n, i;
} script_t;

static double
scripted(void *arg)
{
    script_t *s = arg;
    return s->i < s->n ? s->v[s->i++] : 0.5;
}

static void
set(emu_faults_t *fs, const char *json)
{
    json_error_t jerr;
    json_t *j = json_loads(json, 0, &jerr);
    emu_fault_t f;
    int idx;
    wx_err_t err = {0};
    assert_non_null(j);
    if (emu_fault_parse(j, &idx, &f, &err) != WX_OK)
        fail_msg("%s: %s", json, err.msg);
    fs->f[idx] = f;
    json_decref(j);
}

static void
test_parse_defaults_and_errors(void **state)
{
    emu_fault_t f;
    int idx;
    wx_err_t err = {0};
    json_t *j = json_loads("{\"endpoint\":\"access_token\",\"errcode\":40029}", 0, NULL);
    assert_int_equal(emu_fault_parse(j, &idx, &f, &err), WX_OK);
    assert_int_equal(idx, EMU_EP_ACCESS_TOKEN);
    assert_int_equal(f.errcode, 40029);
    assert_true(f.errcode_rate == 1.0); /* a code without a rate always fires */
    json_decref(j);

    j = json_loads("{\"endpoint\":\"*\",\"http_status_rate\":0.5,\"count\":3}", 0, NULL);
    assert_int_equal(emu_fault_parse(j, &idx, &f, &err), WX_OK);
    assert_int_equal(idx, EMU_FAULT_STAR);
    assert_int_equal(f.http_status, 503);
    assert_int_equal(f.count, 3);
    json_decref(j);

    const char *bad[] = {
        "{}",
        "[]",
        "{\"endpoint\":\"nope\"}",
        "{\"endpoint\":\"unknown\"}",
        "{\"endpoint\":\"auth\",\"errcode_rate\":1.5}",
        "{\"endpoint\":\"auth\",\"reset_rate\":-0.1}",
        "{\"endpoint\":\"auth\",\"latency_ms\":-1}",
        "{\"endpoint\":\"auth\",\"latency_ms\":1.5}",
        "{\"endpoint\":\"auth\",\"http_status\":200}",
        "{\"endpoint\":\"auth\",\"errcode\":0}",
        "{\"endpoint\":\"auth\",\"count\":0}",
        "{\"endpoint\":\"auth\",\"typo_rate\":1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        if (emu_fault_parse(j, &idx, &f, &err) == WX_OK)
            fail_msg("accepted %s", bad[i]);
        json_decref(j);
    }
}

static void
test_decide(void **state)
{
    emu_faults_t fs;
    emu_fault_decision_t d;
    memset(&fs, 0, sizeof(fs));

    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){0}, &d);
    assert_int_equal(d.action, EMU_FAULT_NONE);
    assert_int_equal(d.delay_ms, 0);

    /* latency + jitter: 100 + floor(u * 51) */
    set(&fs, "{\"endpoint\":\"userinfo\",\"latency_ms\":100,\"jitter_ms\":50}");
    double u[] = {0.999};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){u, 1, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_NONE);
    assert_int_equal(d.delay_ms, 150);

    /* rates: reset, then hang, then http, then errcode, each with its own draw */
    set(&fs, "{\"endpoint\":\"userinfo\",\"reset_rate\":0.5,\"hang_rate\":0.5,"
             "\"http_status\":502,\"http_status_rate\":0.5,\"errcode\":-1,\"errcode_rate\":0.5}");
    double none[] = {0.9, 0.9, 0.9, 0.9};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){none, 4, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_NONE);
    double http[] = {0.9, 0.9, 0.1};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){http, 3, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_HTTP);
    assert_int_equal(d.http_status, 502);
    double ec[] = {0.9, 0.9, 0.9, 0.4};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){ec, 4, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_ERRCODE);
    assert_int_equal(d.errcode, -1);
    double reset[] = {0.1};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){reset, 1, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_RESET);
    double hang[] = {0.6, 0.2};
    emu_faults_decide(&fs, EMU_EP_USERINFO, scripted, &(script_t){hang, 2, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_HANG);

    /* other endpoints are untouched */
    emu_faults_decide(&fs, EMU_EP_ACCESS_TOKEN, scripted, &(script_t){0}, &d);
    assert_int_equal(d.action, EMU_FAULT_NONE);
}

static void
test_star_and_count(void **state)
{
    emu_faults_t fs;
    emu_fault_decision_t d;
    memset(&fs, 0, sizeof(fs));
    set(&fs, "{\"endpoint\":\"*\",\"errcode\":45011}");
    set(&fs, "{\"endpoint\":\"access_token\",\"errcode\":40029,\"count\":2}");
    emu_faults_decide(&fs, EMU_EP_AUTH, scripted, &(script_t){0}, &d);
    assert_int_equal(d.errcode, 45011); /* "*" covers endpoints without their own */
    emu_faults_decide(&fs, EMU_EP_ACCESS_TOKEN, scripted, &(script_t){0}, &d);
    assert_int_equal(d.errcode, 40029);
    emu_faults_decide(&fs, EMU_EP_ACCESS_TOKEN, scripted, &(script_t){0}, &d);
    assert_int_equal(d.errcode, 40029);
    assert_false(fs.f[EMU_EP_ACCESS_TOKEN].set); /* cleared after its 2 calls */
    emu_faults_decide(&fs, EMU_EP_ACCESS_TOKEN, scripted, &(script_t){0}, &d);
    assert_int_equal(d.errcode, 45011);

    /* a counted fault counts calls even when its rate did not fire */
    memset(&fs, 0, sizeof(fs));
    set(&fs, "{\"endpoint\":\"auth\",\"errcode\":-1,\"errcode_rate\":0.5,\"count\":1}");
    double miss[] = {0.9};
    emu_faults_decide(&fs, EMU_EP_AUTH, scripted, &(script_t){miss, 1, 0}, &d);
    assert_int_equal(d.action, EMU_FAULT_NONE);
    assert_false(fs.f[EMU_EP_AUTH].set);

    json_t *j = emu_faults_to_json(&fs);
    assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
    json_decref(j);
}

static void
test_rand01(void **state)
{
    for (int i = 0; i < 1000; i++) {
        double u = emu_rand01(NULL);
        assert_true(u >= 0.0 && u < 1.0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_defaults_and_errors),
        cmocka_unit_test(test_decide),
        cmocka_unit_test(test_star_and_count),
        cmocka_unit_test(test_rand01),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
