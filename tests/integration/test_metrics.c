/* GET /metrics: who may read it ([metrics] access, the admin or a scrape-only token; with an
 * admin listener of its own, the admin token only there), that the
 * counters and histograms move as logins succeed and fail, and that every scrape parses as
 * Prometheus text 0.0.4 (checked here by a small parser: Debian has no promtool). */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "keys/admin_hash.h"

static wxt_env_t env;
static char metrics_token[] = "scrape-only-token-5d1e4a0b9c3f7e21";
static char metrics_extra[400];

/* The public listener's /metrics wants the scrape-only token when the admin API has a listener
 * of its own (the harness's default): scrapes here use it. */
static int
group_setup(void **state)
{
    char hash[256];
    wx_err_t err = {0};
    if (admin_hash_make(metrics_token, hash, sizeof(hash), &err) != WX_OK)
        return -1;
    snprintf(metrics_extra, sizeof(metrics_extra), "[metrics]\ntoken_hash = %s\n", hash);
    wxt_opts_t o = {.extra_config = metrics_extra};
    return wxt_setup(&env, &o);
}

static int
group_teardown(void **state)
{
    wxt_teardown(&env);
    return 0;
}

/* ---- a small parser of the text format ---- */

#define MAX_FAMILIES 64
#define MAX_SERIES 4096

typedef struct {
    char name[128];
    char type[16];
} family_t;

static bool
name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

/* The family a sample belongs to: its name, or for a histogram's _bucket/_sum/_count lines the
 * name without the suffix. */
static const family_t *
family_of(const family_t *f, int nf, const char *name, size_t n)
{
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    for (int i = 0; i < nf; i++) {
        size_t fl = strlen(f[i].name);
        if (fl == n && strncmp(f[i].name, name, n) == 0)
            return &f[i];
        if (strcmp(f[i].type, "histogram") != 0 || n <= fl || strncmp(f[i].name, name, fl) != 0)
            continue;
        for (size_t k = 0; k < 3; k++)
            if (n - fl == strlen(suffixes[k]) && strncmp(name + fl, suffixes[k], n - fl) == 0)
                return &f[i];
    }
    return NULL;
}

/* Parse body; fail the test on any line that is not valid exposition text: HELP/TYPE once per
 * family and before its samples, names and labels well formed, label values properly escaped,
 * values numbers, no series twice, histogram buckets cumulative and ending in +Inf = _count. */
static void
parse_prometheus(const char *body)
{
    family_t fam[MAX_FAMILIES];
    int nf = 0;
    char **seen = calloc(MAX_SERIES, sizeof(*seen));
    int nseen = 0;
    double last_bucket = -1, last_le = -1;
    char bucket_series[512] = "";
    assert_non_null(seen);
    assert_true(strlen(body) > 0 && body[strlen(body) - 1] == '\n');
    for (const char *line = body; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = (size_t)(eol - line);
        char l[2048];
        assert_true(len < sizeof(l));
        memcpy(l, line, len);
        l[len] = '\0';
        line = eol + 1;
        if (l[0] == '#') {
            char kw[8], name[128], rest[1024] = "";
            int got = sscanf(l, "# %7s %127s %1023[^\n]", kw, name, rest);
            if (got < 2 || !name_ok(name, strlen(name)))
                fail_msg("bad comment line: %s", l);
            if (strcmp(kw, "TYPE") == 0) {
                if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram"))
                    fail_msg("bad type: %s", l);
                for (int i = 0; i < nf; i++)
                    if (strcmp(fam[i].name, name) == 0)
                        fail_msg("TYPE given twice: %s", l);
                assert_true(nf < MAX_FAMILIES);
                /* checked: GCC's -Wformat-truncation sees rest[1024] into type[16] */
                if (snprintf(fam[nf].name, sizeof(fam[nf].name), "%s", name) >=
                        (int)sizeof(fam[nf].name) ||
                    snprintf(fam[nf].type, sizeof(fam[nf].type), "%s", rest) >=
                        (int)sizeof(fam[nf].type))
                    fail_msg("name or type too long: %s", l);
                nf++;
            } else if (strcmp(kw, "HELP") != 0) {
                fail_msg("comment neither HELP nor TYPE: %s", l);
            }
            continue;
        }
        /* name{label="value",...} value */
        const char *p = l;
        while (*p && *p != '{' && *p != ' ')
            p++;
        size_t nl = (size_t)(p - l);
        if (!name_ok(l, nl))
            fail_msg("bad metric name: %s", l);
        const family_t *f = family_of(fam, nf, l, nl);
        if (!f)
            fail_msg("sample before its TYPE: %s", l);
        char le[32] = "";
        if (*p == '{') {
            p++;
            while (*p != '}') {
                const char *ln = p;
                while (*p && *p != '=')
                    p++;
                if (!name_ok(ln, (size_t)(p - ln)) || p[1] != '"')
                    fail_msg("bad label: %s", l);
                bool is_le = p - ln == 2 && strncmp(ln, "le", 2) == 0;
                p += 2;
                char v[32];
                size_t vn = 0;
                while (*p && *p != '"') {
                    if (*p == '\\') {
                        if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
                            fail_msg("bad escape in label value: %s", l);
                        p++;
                    }
                    if (vn < sizeof(v) - 1)
                        v[vn++] = *p;
                    p++;
                }
                v[vn] = '\0';
                if (*p != '"')
                    fail_msg("unterminated label value: %s", l);
                if (is_le)
                    memcpy(le, v, vn + 1);
                p++;
                if (*p == ',')
                    p++;
                else if (*p != '}')
                    fail_msg("bad label list: %s", l);
            }
            p++;
        }
        if (*p != ' ')
            fail_msg("no value: %s", l);
        char *end;
        double val = strtod(p + 1, &end);
        if (end == p + 1 || *end != '\0')
            fail_msg("bad value: %s", l);
        char series[512];
        snprintf(series, sizeof(series), "%.*s", (int)(p - l), l);
        for (int i = 0; i < nseen; i++)
            if (strcmp(seen[i], series) == 0)
                fail_msg("series twice: %s", series);
        assert_true(nseen < MAX_SERIES);
        seen[nseen++] = strdup(series);
        if (strcmp(f->type, "counter") == 0 && val < 0)
            fail_msg("negative counter: %s", l);
        /* Histogram buckets: le ascending, counts cumulative, +Inf equals _count. */
        if (strcmp(f->type, "histogram") == 0) {
            char base[512];
            snprintf(base, sizeof(base), "%s", series);
            if (le[0]) { /* the series without its le label, to tell histograms apart */
                char *lp = strstr(base, "le=\"");
                if (lp) {
                    if (lp > base && lp[-1] == ',')
                        lp--;
                    char *q = strchr(lp + 1, '"');
                    q = strchr(q + 1, '"');
                    memmove(lp, q + 1, strlen(q + 1) + 1);
                }
                if (strcmp(base, bucket_series) != 0) {
                    snprintf(bucket_series, sizeof(bucket_series), "%s", base);
                    last_bucket = -1;
                    last_le = -1;
                }
                double lev = strcmp(le, "+Inf") == 0 ? 1e300 : strtod(le, NULL);
                if (lev <= last_le || val < last_bucket)
                    fail_msg("buckets not ascending/cumulative: %s", l);
                last_le = lev;
                last_bucket = val;
            } else if (strstr(series, "_count")) {
                if (last_le != 1e300 || val != last_bucket)
                    fail_msg("_count %s without an equal +Inf bucket before it", l);
            }
        }
    }
    for (int i = 0; i < nseen; i++)
        free(seen[i]);
    free(seen);
}

/* ---- helpers ---- */

static char *
scrape_at(const char *base, const char *token, long want_status)
{
    char url[128];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/metrics", base);
    assert_int_equal(wxt_http_auth("GET", url, token, NULL, &r), 0);
    if (r.status != want_status)
        fail_msg("GET /metrics: want %ld, got %ld: %.300s", want_status, r.status,
                 r.body ? r.body : "");
    char *body = r.body;
    if (want_status == 200) {
        assert_non_null(r.content_type);
        assert_non_null(strstr(r.content_type, "text/plain"));
        assert_non_null(strstr(r.content_type, "version=0.0.4"));
        parse_prometheus(body);
    }
    r.body = NULL;
    wxt_resp_free(&r);
    return body;
}

static char *
scrape_with(const char *token, long want_status)
{
    return scrape_at(env.auth, token, want_status);
}

static char *
scrape(void)
{
    return scrape_with(metrics_token, 200);
}

/* The value of exactly this series (name{labels}), 0 when absent. */
static double
value(const char *body, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return 0;
}

static void
login(const char *action, int want_code)
{
    char url[256];
    wxt_resp_t fin = {0};
    wxt_result_t res;
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", env.auth);
    wxt_login(b, url, "alice", action, &fin, NULL, 0);
    assert_int_equal(fin.status, 302);
    assert_true(wxt_parse_result(&env, fin.location, &res));
    assert_int_equal(res.code, want_code);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
    wxt_browser_free(b);
}

/* ---- tests ---- */

static void
test_needs_the_token(void **state)
{
    free(scrape_with(NULL, 401));
    free(scrape_with("not-the-token-0123456789", 401));
    free(scrape_with(env.admin_token, 401)); /* the admin token is not this credential */
    char *b = scrape();
    /* The refusals were counted, under the route's pattern. */
    assert_true(value(b, "wxauth_http_requests_total{route=\"/metrics\",status=\"401\"}") >= 2);
    free(b);
}

static void
test_counters_move(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    char *before = scrape();
    login("allow", 200); /* alice's first login: ok_new_user */
    login("allow", 200); /* ok */
    login("deny", 1001); /* denied: WeChat is not called */
    wxt_emu_fault(&env, "{\"endpoint\":\"access_token\",\"errcode\":40029,\"errcode_rate\":1.0}");
    login("allow", 40029); /* wechat_error */
    wxt_emu_clear_faults(&env);
    /* A raw path never becomes a label: only the route's pattern (or "unmatched"). */
    snprintf(url, sizeof(url), "%s/no-such-page-7f3a", env.auth);
    assert_int_equal(wxt_http("GET", url, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
    char *after = scrape();
    if (getenv("WXT_DUMP"))
        fputs(after, stderr);

#define DELTA(series) (value(after, series) - value(before, series))
    assert_true(DELTA("wxauth_logins_total{outcome=\"ok_new_user\"}") +
                    DELTA("wxauth_logins_total{outcome=\"ok\"}") ==
                2);
    assert_true(DELTA("wxauth_logins_total{outcome=\"denied\"}") == 1);
    assert_true(DELTA("wxauth_logins_total{outcome=\"wechat_error\"}") == 1);
    assert_true(
        DELTA("wxauth_http_requests_total{route=\"/oauth/wechatmp/url/*\",status=\"302\"}") == 4);
    assert_true(
        DELTA("wxauth_http_requests_total{route=\"/connections/social/*\",status=\"302\"}") == 4);
    assert_true(DELTA("wxauth_http_requests_total{route=\"/metrics\",status=\"200\"}") == 1);
    assert_true(DELTA("wxauth_http_requests_total{route=\"unmatched\",status=\"404\"}") == 1);
    assert_null(strstr(after, "no-such-page"));
    /* WeChat calls: three code exchanges (not the denied login), two profiles. */
    assert_true(DELTA("wxauth_wechat_call_seconds_count{call=\"access_token\"}") == 3);
    assert_true(DELTA("wxauth_wechat_call_seconds_count{call=\"userinfo\"}") == 2);
    assert_true(DELTA("wxauth_wechat_call_seconds_bucket{call=\"access_token\",le=\"+Inf\"}") == 3);
    assert_true(DELTA("wxauth_wechat_call_seconds_sum{call=\"access_token\"}") > 0);
    /* Store writes: each login writes its state, its claim and its end. */
    assert_true(DELTA("wxauth_store_write_seconds_count") >= 12);
    assert_true(DELTA("wxauth_store_write_batches_total") >= 1);
    /* At rest nothing is in flight but the scrape itself. */
    assert_true(value(after, "wxauth_logins_in_flight") == 0);
    assert_true(value(after, "wxauth_http_requests_in_flight") == 1);
    assert_non_null(strstr(after, "# TYPE wxauth_wechat_call_seconds histogram\n"));
    assert_non_null(strstr(after, "# TYPE wxauth_logins_total counter\n"));
#undef DELTA
    free(before);
    free(after);
}

/* Open connections: idle ones that never sent a request count, and stop counting once
 * closed. */
static void
test_connections_open(void **state)
{
    enum { K = 5 };
    int fds[K];
    const char *colon = strrchr(env.auth, ':');
    assert_non_null(colon);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)strtol(colon + 1, NULL, 10))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char *b = scrape();
    double base = value(b, "wxauth_http_connections_open");
    assert_non_null(strstr(b, "# TYPE wxauth_http_connections_open gauge\n"));
    free(b);
    assert_true(base >= 1); /* the scrape's own */
    for (int i = 0; i < K; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&a, sizeof(a)), 0);
    }
    double open_now = 0;
    for (int tries = 0; tries < 50 && open_now < base + K; tries++) {
        usleep(20000); /* the workers accept them */
        b = scrape();
        open_now = value(b, "wxauth_http_connections_open");
        free(b);
    }
    printf("# open connections: %.0f at rest, %.0f with %d idle ones\n", base, open_now, K);
    assert_true(open_now >= base + K);
    for (int i = 0; i < K; i++)
        close(fds[i]);
    double after = open_now;
    for (int tries = 0; tries < 100 && after > base; tries++) {
        usleep(20000);
        b = scrape();
        after = value(b, "wxauth_http_connections_open");
        free(b);
    }
    assert_true(after <= base);
}

/* Another wxauthd with the given [metrics] section; checks run against it. */
static void
with_config(const char *extra, void (*check)(void))
{
    wxt_env_t saved = env;
    wxt_opts_t o = {.retries = -1, .extra_config = extra};
    assert_int_equal(wxt_setup(&env, &o), 0);
    check();
    wxt_teardown(&env);
    env = saved;
}

/* No scrape-only token: the public listener never checks the admin token (the admin
 * listener's promise); /metrics is served on the admin listener, with the public listener's
 * figures. */
static void
check_admin_listener_only(void)
{
    char *b = scrape_with(env.admin_token, 403);
    assert_non_null(strstr(b, "admin listener"));
    free(b);
    free(scrape_with(NULL, 403));
    free(scrape_at(env.admin, NULL, 401));
    free(scrape_at(env.admin, "not-the-token-0123456789", 401));
    b = scrape_at(env.admin, env.admin_token, 200);
    assert_non_null(strstr(b, "wxauth_http_requests_total{route=\"/metrics\",status=\"403\"} 2"));
    free(b);
}

static void
check_public(void)
{
    free(scrape_with(NULL, 200));
}

static void
check_off(void)
{
    free(scrape_with(env.admin_token, 404));
}

static void
test_access_settings(void **state)
{
    with_config("", check_admin_listener_only);
    with_config("[metrics]\naccess = public\n", check_public);
    with_config("[metrics]\naccess = off\n", check_off);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_needs_the_token),
        cmocka_unit_test(test_counters_move),
        cmocka_unit_test(test_connections_open),
        cmocka_unit_test(test_access_settings),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
