/* Tests for src/util/log.c: every line is one JSON object of valid UTF-8 ending in a newline,
 * whatever it holds (escapes, numbers, bytes that are not UTF-8, a value far over the line's
 * maximum cut at a character boundary with a marker, random bytes), each line parsed strictly
 * by jansson (which refuses invalid UTF-8 and duplicate keys); a
 * thread's batch holds its lines until flushed, asks for a flush once, writes warnings and
 * errors at once after the lines before them, and never grows past WX_LOG_BATCH_MAX. */
#include <pthread.h>
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
    json_t *j = json_loadb(s, n - 1, JSON_REJECT_DUPLICATES, &e);
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

#define MARK "\xe2\x80\xa6" /* U+2026, what a cut value ends with */

/* The line's "log_cut" member: true when something was cut, absent otherwise. */
static bool
was_cut(const json_t *j)
{
    json_t *c = json_object_get(j, "log_cut");
    if (c)
        assert_true(json_is_true(c));
    return c != NULL;
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
        assert_true(strlen(s) <= WX_LOG_LINE_MAX);
        json_t *j = one_line(s); /* jansson refuses a cut UTF-8 character */
        const char *p = json_string_value(json_object_get(j, "path"));
        assert_non_null(p);
        size_t pl = strlen(p);
        assert_true(pl > 7000);
        assert_string_equal(p + pl - 3, MARK); /* the marker says it was cut */
        assert_true(strncmp(p, v, pl - 3) == 0);
        assert_null(json_object_get(j, "after"));
        assert_true(was_cut(j));
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
    assert_true(was_cut(j));
    json_decref(j);
    free(s);
    free(v);
    /* A line that fits is not marked. */
    wx_log(WX_LOG_INFO, "short", "v", "x", NULL);
    s = written();
    j = one_line(s);
    assert_false(was_cut(j));
    json_decref(j);
    free(s);
}

/* Bytes that are not UTF-8 become U+FFFD, one per byte; well-formed characters stay as they
 * are. Each case is a value and what the log must show for it. */
static void
test_invalid_utf8(void **state)
{
    (void)state;
#define R "\xef\xbf\xbd" /* U+FFFD */
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"caf\xc3\xa9 \xe7\x88\xb1 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe7\x88\xb1 \xf0\x9f\x98\x80"},
        {"a\x80z", "a" R "z"},                    /* lone continuation byte */
        {"\xbf\xbf", R R},                        /* two of them */
        {"a\xc0\xafz", "a" R R "z"},              /* overlong '/' */
        {"\xc1\xbf", R R},                        /* overlong, two bytes */
        {"\xe0\x80\xaf", R R R},                  /* overlong, three bytes */
        {"\xf0\x80\x80\xaf", R R R R},            /* overlong, four bytes */
        {"\xed\xa0\x80", R R R},                  /* UTF-16 surrogate */
        {"\xed\xbf\xbf", R R R},                  /* low surrogate */
        {"\xf4\x90\x80\x80", R R R R},            /* past U+10FFFF */
        {"\xf5\x80\x80\x80", R R R R},            /* F5.. never start one */
        {"\xf8\x88\x80\x80\x80", R R R R R},      /* old 5-byte form */
        {"\xfe\xff", R R},                        /* never in UTF-8 */
        {"x\xe7\x88", "x" R R},                   /* cut short at the end */
        {"\xe7\x88\"", R R "\""},                 /* cut short by a quote */
        {"\xe7\x88\x01", R R "\x01"},             /* by a control character */
        {"\xc3\xa9\xc3", "\xc3\xa9" R},           /* valid, then half */
        {"\xf0\x9f\x98", R R R},                  /* three of four */
        {"\xef\xbf\xbd", R},                      /* U+FFFD itself */
        {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"}, /* U+10FFFF, the last */
        {"\xed\x9f\xbf", "\xed\x9f\xbf"},         /* U+D7FF, before them */
        {"\x7f\x1b[31m", "\x7f\x1b[31m"},         /* DEL kept, ESC escaped */
    };
#undef R
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wx_log(WX_LOG_INFO, "utf8", "v", cases[i].in, "#n", cases[i].in, cases[i].in, "key", NULL);
        char *s = written();
        json_t *j = one_line(s); /* strict: fails on any byte that is not UTF-8 */
        const char *got = json_string_value(json_object_get(j, "v"));
        if (!got || strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got %s", i, got ? got : "(none)");
        assert_string_equal(json_string_value(json_object_get(j, "n")), cases[i].want);
        assert_false(was_cut(j));
        json_decref(j);
        free(s);
    }
}

/* A line cut at every offset within a multi-byte character, next to escapes and bad bytes. */
static void
test_cut_boundaries(void **state)
{
    (void)state;
    static const char *const tails[] = {
        "\xf0\x9f\x98\x80", "\xe7\x88\xb1", "\xc3\xa9", "\"", "\x01", "\xff", "\xe7\x88"};
    char *v = malloc(WX_LOG_LINE_MAX * 8);
    assert_non_null(v);
    for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
        for (size_t pre = 8000; pre < 8140; pre++) {
            memset(v, 'a', pre);
            size_t n = pre, tl = strlen(tails[t]);
            while (n + tl < WX_LOG_LINE_MAX * 2) {
                memcpy(v + n, tails[t], tl);
                n += tl;
            }
            v[n] = '\0';
            char line[WX_LOG_LINE_MAX];
            size_t len = wx_log_format(line, WX_LOG_INFO, "cut", "v", v, "w", "x", NULL);
            assert_true(len <= WX_LOG_LINE_MAX);
            char *s = strndup(line, len);
            assert_non_null(s);
            json_t *j = one_line(s);
            const char *got = json_string_value(json_object_get(j, "v"));
            assert_non_null(got);
            size_t keep = strlen(got) - 3; /* without the marker */
            assert_true(strncmp(got, v, pre < keep ? pre : keep) == 0);
            assert_string_equal(got + keep, MARK);
            assert_true(was_cut(j));
            json_decref(j);
            free(s);
        }
    }
    free(v);
}

/* Deterministic pseudo-random bytes (xorshift; the tests must repeat exactly). */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 32);
}

/* Random values of random lengths over bytes chosen to hurt (quotes, backslashes, controls,
 * lead and continuation bytes, 0xFE/0xFF), in several fields: every line strict JSON and UTF-8,
 * within the maximum, marked exactly when something did not fit. */
static void
test_random_values(void **state)
{
    (void)state;
    static const unsigned char pick[] = {'"',  '\\', '\n', '\r', 0x01, 0x1f, 0x7f, 'a',  '/',
                                         0x80, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0,
                                         0xf4, 0xf5, 0xfe, 0xff, 0xe7, 0x88, 0xb1, '%',  'u'};
    size_t maxlen[] = {8, 64, 3000, 9000};
    char *v[3];
    for (size_t i = 0; i < 3; i++) {
        v[i] = malloc(9001);
        assert_non_null(v[i]);
    }
    for (int round = 0; round < 3000; round++) {
        size_t total = 0;
        for (size_t i = 0; i < 3; i++) {
            size_t n = next_rand() % maxlen[next_rand() % 4];
            for (size_t k = 0; k < n; k++)
                v[i][k] = (char)pick[next_rand() % sizeof(pick)];
            v[i][n] = '\0';
            total += n;
        }
        char line[WX_LOG_LINE_MAX];
        size_t len =
            wx_log_format(line, WX_LOG_WARN, "random", "a", v[0], "#b", v[1], "c", v[2], NULL);
        assert_true(len <= WX_LOG_LINE_MAX);
        char *s = strndup(line, len);
        assert_non_null(s);
        json_t *j = one_line(s);
        assert_true(json_is_string(json_object_get(j, "a")));
        if (total < 1000) /* at most 6 bytes each: always fits */
            assert_false(was_cut(j));
        json_decref(j);
        free(s);
    }
    for (size_t i = 0; i < 3; i++)
        free(v[i]);
}

/* Hundreds of fields: the ones that do not fit are dropped, and the line says so. */
static void
test_many_fields(void **state)
{
    (void)state;
    char v[101];
    memset(v, 'z', 100);
    v[100] = '\0';
    char line[WX_LOG_LINE_MAX];
    /* 120 fields of about 110 bytes: about 13 KB, past the maximum */
#define F10 "k", v, "k", v, "k", v, "k", v, "k", v, "k", v, "k", v, "k", v, "k", v, "k", v
    size_t len = wx_log_format(line, WX_LOG_INFO, "many", F10, F10, F10, F10, F10, F10, F10, F10,
                               F10, F10, F10, F10, NULL);
#undef F10
    assert_true(len <= WX_LOG_LINE_MAX);
    char *s = strndup(line, len);
    assert_non_null(s);
    json_error_t e;
    /* the same key many times: parsed without the duplicate check here */
    json_t *j = json_loadb(s, len - 1, 0, &e);
    if (!j)
        fail_msg("not JSON (%s)", e.text);
    assert_true(was_cut(j));
    json_decref(j);
    free(s);
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

/* Threads logging long lines (twice PIPE_BUF) into a pipe read slowly, as journald or a log
 * shipper would: every line arrives whole, never interleaved with another thread's. */
#define PIPE_THREADS 4
#define PIPE_LINES 60

static void *
pipe_writer(void *arg)
{
    char v[7001];
    memset(v, (int)(intptr_t)arg, 7000); /* each thread its own letter */
    v[7000] = '\0';
    for (int i = 0; i < PIPE_LINES; i++)
        wx_log(i % 2 ? WX_LOG_WARN : WX_LOG_INFO, "long", "v", v, NULL);
    return NULL;
}

typedef struct {
    pthread_t t[PIPE_THREADS];
    int saved; /* stderr before the pipe */
} pipe_run_t;

/* Waits for the writers, then puts stderr back: the pipe's last write end closes, the reader
 * sees EOF. */
static void *
pipe_closer(void *arg)
{
    pipe_run_t *run = arg;
    for (int i = 0; i < PIPE_THREADS; i++)
        pthread_join(run->t[i], NULL);
    dup2(run->saved, STDERR_FILENO);
    return NULL;
}

static void
test_threads_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pipe_run_t run;
    run.saved = dup(STDERR_FILENO);
    assert_true(run.saved >= 0);
    assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
    close(fds[1]);
    for (int i = 0; i < PIPE_THREADS; i++)
        assert_int_equal(pthread_create(&run.t[i], NULL, pipe_writer, (void *)(intptr_t)('a' + i)),
                         0);
    pthread_t closer;
    assert_int_equal(pthread_create(&closer, NULL, pipe_closer, &run), 0);
    size_t cap = (size_t)PIPE_THREADS * PIPE_LINES * 7200, len = 0;
    char *all = malloc(cap + 1);
    assert_non_null(all);
    for (;;) { /* small reads keep the pipe full, so writers block mid-line */
        ssize_t r = read(fds[0], all + len, cap - len < 1500 ? cap - len : 1500);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    all[len] = '\0';
    pthread_join(closer, NULL);
    close(fds[0]);
    close(run.saved);
    int lines = 0;
    for (char *p = all, *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1, lines++) {
        json_error_t e;
        json_t *j = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &e);
        if (!j)
            fail_msg("line %d is not JSON (%s): %.80s", lines, e.text, p);
        const char *v = json_string_value(json_object_get(j, "v"));
        assert_non_null(v);
        assert_int_equal(strlen(v), 7000);
        assert_int_equal(strspn(v, (char[]){v[0], '\0'}), 7000); /* one thread's letter only */
        json_decref(j);
    }
    assert_int_equal(lines, PIPE_THREADS * PIPE_LINES);
    free(all);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),        cmocka_unit_test(test_long_value_cut),
        cmocka_unit_test(test_invalid_utf8),  cmocka_unit_test(test_cut_boundaries),
        cmocka_unit_test(test_random_values), cmocka_unit_test(test_many_fields),
        cmocka_unit_test(test_batch),         cmocka_unit_test(test_threads_pipe),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
