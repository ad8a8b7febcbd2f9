/* Tests for src/http/conn_limit.c that need no server: libevent's own log lines come out as
 * JSON lines of ours, at most HTTP_CONNS_EVLOG_PER_SEC a second, with what was dropped counted
 * on the next line let through; the soft fd limit is raised to the hard one. (The caps, the
 * accept pause and the request deadline are tested against a real wxauthd:
 * tests/limits/test_conn_limits.py, test_slow_clients.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/conn_limit.h"
#include "util/log.h"

/* Exported by libevent_core; its own modules log through it. */
void event_warnx(const char *fmt, ...);

static void
test_libevent_log_json_rate_limited(void **state)
{
    char path[512];
    const char *dir = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    snprintf(path, sizeof(path), "%s/evlog-XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    wx_log_set_service("test");
    http_conns_libevent_log_init();
    const int burst = 2000;
    for (int i = 0; i < burst; i++)
        event_warnx("Error from accept() call: Too many open files \"%d\"\n\x01", i);
    sleep(1); /* a new second: the next line is let through and counts what was dropped */
    event_warnx("after the burst");
    fflush(stderr);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);

    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[4096];
    int lines = 0;
    long long shown = 0, suppressed = 0;
    while (fgets(line, sizeof(line), f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (!j)
            fail_msg("not a JSON line: %s", line);
        assert_string_equal(json_string_value(json_object_get(j, "ev")), "libevent");
        assert_string_equal(json_string_value(json_object_get(j, "lvl")), "warn");
        const char *msg = json_string_value(json_object_get(j, "msg"));
        assert_non_null(msg);
        if (strstr(msg, "Too many open files"))
            shown++;
        json_t *s = json_object_get(j, "suppressed");
        if (s)
            suppressed += json_integer_value(s);
        lines++;
        json_decref(j);
    }
    fclose(f);
    remove(path);
    /* The burst spans one second, maybe two: at most two windows' worth reach the log. */
    assert_true(shown >= 1 && shown <= 2 * HTTP_CONNS_EVLOG_PER_SEC);
    assert_int_equal(lines, shown + 1);
    assert_int_equal(shown + suppressed, burst); /* nothing dropped without being counted */
}

static void
test_fd_limit_raised_to_hard(void **state)
{
    struct rlimit rl;
    long before = 0, after = 0;
    wx_err_t err = {0};
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= 64)
        skip(); /* nothing to raise */
    rl.rlim_cur = 64;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal(http_conns_raise_fd_limit(&before, &after, &err), WX_OK);
    assert_int_equal(before, 64);
    assert_true(after > 64);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_int_equal((long)rl.rlim_cur, after);
    if (rl.rlim_max != RLIM_INFINITY)
        assert_int_equal((long)rl.rlim_cur, (long)rl.rlim_max);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libevent_log_json_rate_limited),
        cmocka_unit_test(test_fd_limit_raised_to_hard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
