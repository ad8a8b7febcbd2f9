/* Tests for src/util/log.c: every line is one JSON object ending in a newline, whatever it
 * holds (escapes, numbers, a value far over the line's maximum, cut at a UTF-8 boundary); a
 * thread's batch holds its lines until flushed, asks for a flush once, writes warnings and
 * errors at once after the lines before them, and never grows past WX_LOG_BATCH_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/log.h"

static FILE *out;  /* stderr goes here */
static long taken; /* bytes of out already read by the tests */

static int
setup(void **state)
{
    (void)state;
    out = tmpfile();
    assert_non_null(out);
    assert_true(dup2(fileno(out), STDERR_FILENO) >= 0);
    wx_log_set_service("test");
    wx_log_set_level(WX_LOG_DEBUG);
    return 0;
}

/* What was written since the last call (caller frees). */
static char *
written(void)
{
    long end = lseek(fileno(out), 0, SEEK_END);
    assert_true(end >= taken);
    char *s = calloc(1, (size_t)(end - taken) + 1);
    assert_non_null(s);
    assert_int_equal(pread(fileno(out), s, (size_t)(end - taken), taken), end - taken);
    taken = end;
    return s;
}

/* The one line in s, parsed; it must end in exactly one newline. */
static json_t *
one_line(const char *s)
{
    size_t n = strlen(s);
    assert_true(n > 1 && s[n - 1] == '\n');
    assert_ptr_equal(strchr(s, '\n'), s + n - 1);
    json_error_t e;
    json_t *j = json_loadb(s, n - 1, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %.200s", e.text, s);
    return j;
}

static void
test_fields(void **state)
{
    (void)state;
    wx_log(WX_LOG_INFO, "request", "rid", "00ff", "path", "/a\"b\\c\n\x01", "#status", "204", "#ms",
           "x7", "skipped", NULL, "outcome", "ok", NULL);
    char *s = written();
    json_t *j = one_line(s);
    assert_string_equal(json_string_value(json_object_get(j, "svc")), "test");
    assert_string_equal(json_string_value(json_object_get(j, "lvl")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "ev")), "request");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/a\"b\\c\n\x01");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 204); /* bare number */
    assert_string_equal(json_string_value(json_object_get(j, "ms")), "x7");  /* not a number */
    assert_null(json_object_get(j, "skipped"));
    assert_string_equal(json_string_value(json_object_get(j, "outcome")), "ok");
    const char *t = json_string_value(json_object_get(j, "t"));
    assert_non_null(t); /* 2026-12-07T10:34:20.123Z */
    assert_int_equal(strlen(t), 24);
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z');
    json_decref(j);
    free(s);
}

static void
test_long_value_cut(void **state)
{
    (void)state;
    /* 爱 is three bytes: a cut anywhere but between two of them would not be UTF-8. */
    for (size_t len = 20000; len < 20003; len++) {
        char *v = malloc(len * 3 + 1);
        assert_non_null(v);
        for (size_t i = 0; i < len; i++)
            memcpy(v + 3 * i, "爱", 3);
        v[len * 3] = '\0';
        wx_log(WX_LOG_INFO, "long", "first", "x", "path", v, "after", "dropped", NULL);
        char *s = written();
        assert_true(strlen(s) <= 8192);
        json_t *j = one_line(s); /* jansson refuses a cut UTF-8 character */
        const char *p = json_string_value(json_object_get(j, "path"));
        assert_non_null(p);
        assert_true(strlen(p) > 7000 && strncmp(p, v, strlen(p)) == 0);
        assert_null(json_object_get(j, "after"));
        json_decref(j);
        free(s);
        free(v);
    }
    /* A value of escapes, cut as well. */
    char *v = malloc(5001);
    assert_non_null(v);
    memset(v, '"', 5000);
    v[5000] = '\0';
    wx_log(WX_LOG_INFO, "quotes", "v", v, NULL);
    char *s = written();
    json_t *j = one_line(s);
    assert_true(strlen(json_string_value(json_object_get(j, "v"))) > 3000);
    json_decref(j);
    free(s);
    free(v);
}

static int pendings;

static void
on_pending(void *arg)
{
    (void)arg;
    pendings++;
}

static void
test_batch(void **state)
{
    (void)state;
    wx_log_batch_t *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->pending = on_pending;
    wx_log_batch_attach(b);
    wx_log(WX_LOG_INFO, "one", NULL);
    wx_log(WX_LOG_DEBUG, "two", NULL);
    char *s = written();
    assert_string_equal(s, ""); /* held */
    free(s);
    assert_int_equal(pendings, 1); /* asked once */
    wx_log_batch_flush(b);
    s = written();
    assert_non_null(strstr(s, "\"ev\":\"one\""));
    assert_true(strstr(s, "\"ev\":\"two\"") > strstr(s, "\"ev\":\"one\""));
    free(s);
    /* A warning is written at once, after what was batched before it. */
    wx_log(WX_LOG_INFO, "before", NULL);
    assert_int_equal(pendings, 2);
    wx_log(WX_LOG_WARN, "warned", NULL);
    s = written();
    assert_non_null(strstr(s, "\"ev\":\"before\""));
    assert_true(strstr(s, "\"ev\":\"warned\"") > strstr(s, "\"ev\":\"before\""));
    free(s);
    assert_int_equal(b->len, 0);
    /* Many lines: the batch writes whole lines when full, never more than its maximum. */
    for (int i = 0; i < 200; i++)
        wx_log(WX_LOG_INFO, "many", "path", "/auth/check", NULL);
    assert_true(b->len <= WX_LOG_BATCH_MAX);
    s = written();
    assert_true(strlen(s) > 0 && strlen(s) <= 200 * 120);
    assert_int_equal(s[strlen(s) - 1], '\n');
    free(s);
    wx_log_batch_flush(b);
    s = written();
    int lines = 0;
    for (char *p = s; *p; p++)
        lines += *p == '\n';
    assert_true(lines > 0);
    free(s);
    /* A line longer than the batch is written by itself, after the batch. */
    char *v = malloc(6001);
    assert_non_null(v);
    memset(v, 'x', 6000);
    v[6000] = '\0';
    wx_log(WX_LOG_INFO, "small", NULL);
    wx_log(WX_LOG_INFO, "big", "v", v, NULL);
    s = written();
    assert_true(strstr(s, "\"ev\":\"big\"") > strstr(s, "\"ev\":\"small\""));
    free(s);
    free(v);
    wx_log_batch_attach(NULL);
    wx_log(WX_LOG_INFO, "direct", NULL);
    s = written();
    assert_non_null(strstr(s, "\"ev\":\"direct\""));
    free(s);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_long_value_cut),
        cmocka_unit_test(test_batch),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
