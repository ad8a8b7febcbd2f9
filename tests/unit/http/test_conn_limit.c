/* Tests for src/http/conn_limit.c that need no server: libevent's own log lines come out as
 * JSON lines of ours, at most HTTP_CONNS_EVLOG_PER_SEC a second, with what was dropped counted
 * on the next line let through; the soft fd limit is raised to the hard one; the per-address
 * cap's default, key (IPv6 per /64) and keyed hash table. (The caps, the
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/conn_limit.h"
#include "util/log.h"

/* Exported by libevent_core; its own modules log through it. */
void event_warnx(const char *fmt, ...);
void event_errx(int eval, const char *fmt, ...);

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

/* An error line is never rate-limited: libevent exits after it, and it is the only word of
 * why. A child process spends the second's budget on warnings, then dies in event_errx. */
static void
test_libevent_error_never_dropped(void **state)
{
    char path[512];
    const char *dir = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    snprintf(path, sizeof(path), "%s/everr-XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, STDERR_FILENO);
        wx_log_set_service("test");
        http_conns_libevent_log_init();
        for (int i = 0; i < 5 * HTTP_CONNS_EVLOG_PER_SEC; i++)
            event_warnx("warning %d", i);
        event_errx(3, "fatal: the loop is broken");
        _exit(0); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    FILE *f = fdopen(fd, "r");
    assert_non_null(f);
    rewind(f);
    char line[4096];
    bool seen = false;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, "fatal: the loop is broken") && strstr(line, "\"error\""))
            seen = true;
    fclose(f);
    remove(path);
    assert_true(seen);
}

/* With no per-address cap set, a fixed one (not a fraction of the total: a few addresses must
 * not fill the server). */
static void
test_default_per_addr_cap_fixed(void **state)
{
    http_conns_config_t cfg = {.max_total = 100000, .workers = 1};
    http_conns_t *c = NULL;
    http_conns_stats_t st;
    wx_err_t err = {0};
    assert_int_equal(http_conns_new(&cfg, &c, &err), WX_OK);
    http_conns_stats(c, &st);
    assert_int_equal(st.max_total, 100000);
    assert_int_equal(st.max_per_addr, 256);
    http_conns_free(c);
    cfg.max_total = 40; /* never above the total */
    assert_int_equal(http_conns_new(&cfg, &c, &err), WX_OK);
    http_conns_stats(c, &st);
    assert_int_equal(st.max_per_addr, 40);
    http_conns_free(c);
}

static void
key_of(const char *ip, unsigned char key[16])
{
    char txt[64];
    if (strchr(ip, ':')) {
        struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
        assert_int_equal(inet_pton(AF_INET6, ip, &s6.sin6_addr), 1);
        assert_true(http_conns_peer_key((struct sockaddr *)&s6, key, txt, sizeof(txt)));
    } else {
        struct sockaddr_in s4 = {.sin_family = AF_INET};
        assert_int_equal(inet_pton(AF_INET, ip, &s4.sin_addr), 1);
        assert_true(http_conns_peer_key((struct sockaddr *)&s4, key, txt, sizeof(txt)));
    }
}

/* IPv6 peers are counted per /64 (one host's usual allocation); IPv4 and IPv4-mapped whole. */
static void
test_peer_key_ipv6_per_64(void **state)
{
    unsigned char a[16], b[16];
    key_of("2001:db8:1:2::1", a);
    key_of("2001:db8:1:2:ffff:1234:5678:9abc", b);
    assert_memory_equal(a, b, 16);
    key_of("2001:db8:1:3::1", b);
    assert_memory_not_equal(a, b, 16);
    key_of("192.0.2.1", a);
    key_of("::ffff:192.0.2.1", b);
    assert_memory_equal(a, b, 16);
    key_of("192.0.2.2", b);
    assert_memory_not_equal(a, b, 16);
}

/* The table grows with the total cap, and its hash is keyed per table: the same addresses fall
 * into different buckets in two tables, so nobody can choose addresses that share one. */
static void
test_table_sized_and_hash_keyed(void **state)
{
    http_conns_config_t cfg = {.max_total = 100000, .workers = 1};
    http_conns_t *c1 = NULL, *c2 = NULL;
    wx_err_t err = {0};
    size_t n1 = 0, n2 = 0;
    unsigned char key[16];
    int same = 0;
    assert_int_equal(http_conns_new(&cfg, &c1, &err), WX_OK);
    assert_int_equal(http_conns_new(&cfg, &c2, &err), WX_OK);
    for (int i = 0; i < 64; i++) {
        char ip[64];
        snprintf(ip, sizeof(ip), "2001:db8:%x::1", i);
        key_of(ip, key);
        if (http_conns_bucket(c1, key, &n1) == http_conns_bucket(c2, key, &n2))
            same++;
    }
    assert_true(n1 >= 100000);
    assert_int_equal(n1, n2);
    assert_true(same < 8);
    http_conns_free(c1);
    http_conns_free(c2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libevent_log_json_rate_limited),
        cmocka_unit_test(test_fd_limit_raised_to_hard),
        cmocka_unit_test(test_libevent_error_never_dropped),
        cmocka_unit_test(test_default_per_addr_cap_fixed),
        cmocka_unit_test(test_peer_key_ipv6_per_64),
        cmocka_unit_test(test_table_sized_and_hash_keyed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
