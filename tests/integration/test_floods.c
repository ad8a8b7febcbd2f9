/* Abuse of the login endpoints (issue #12 items 5-7), against a real wxauthd and emulator on
 * loopback, with clients on several loopback addresses (127.0.0.x as source):
 * - one address flooding the start or the callback gets 429 (Chinese first, Retry-After) while
 *   another address still logs in; a HEAD of the start writes nothing;
 * - the caps on unfinished logins per address and in total, counted in the store;
 * - the browser-binding cookie is server-issued: a planted value is replaced, never reused;
 *   with an https public_url it is __Host-wxauth_bind;
 * - a finished login's record is sealed in the store, a reload still works, the record is gone
 *   once the replay window ends, and a pruned row's bytes are not left in the SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "harness.h"
#include "harness_tokens.h"

/* rates: start and callback limits; limits off otherwise. */
static wxt_env_t rates;
/* caps: pending states per address and in total; no rate limits. */
static wxt_env_t caps;
/* brief: states live 2 s and the replay window is 1 s, so the prune deletes them at once. */
static wxt_env_t brief;
/* tls: public_url is https (nothing serves TLS here: the test sends the callback over http). */
static wxt_env_t tls;

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One integer from the env's store (SQLite file or PostgreSQL database). */
static long long
store_int(const wxt_env_t *e, const char *sql)
{
    long long v = -1;
    if (strncmp(e->store_url, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(e->store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(e->store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
    }
    return v;
}

/* One text value (NULL: none) from the env's store into out. */
static bool
store_text(const wxt_env_t *e, const char *sql, char *out, size_t n)
{
    bool found = false;
    out[0] = '\0';
    if (strncmp(e->store_url, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_open(e->store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW) {
            snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
            found = true;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(e->store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        if (PQntuples(r) > 0) {
            snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
            found = true;
        }
        PQclear(r);
        PQfinish(c);
    }
    return found;
}

/* The state parameter of a URL into out. */
static void
state_of(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "state=");
    assert_non_null(p);
    p += 6;
    snprintf(out, n, "%.*s", (int)strcspn(p, "&#"), p);
}

static const char LIMITED_ZH[] = "登录请求过于频繁，请约";

static void
assert_limited(const wxt_resp_t *r)
{
    char ra[32];
    if (r->status != 429)
        fail_msg("want 429, got %ld: %.300s", r->status, r->body ? r->body : "");
    assert_non_null(strstr(r->body, LIMITED_ZH));
    assert_non_null(strstr(r->body, "Too many login requests"));
    /* Chinese first: the title and the message each start with it. */
    assert_true(strstr(r->body, "登录请求过于频繁") < strstr(r->body, "Too many login requests"));
    assert_true(wxt_resp_header(r, "Retry-After", ra, sizeof(ra)));
    assert_true(strtol(ra, NULL, 10) >= 1);
    assert_non_null(strstr(r->content_type, "text/html"));
    /* The wait in the text, and a button that tries this same address again (a path on our
     * host: never "//…", which a browser reads as another host). */
    char wait[64];
    snprintf(wait, sizeof(wait), "请约 %ld 秒后重试", strtol(ra, NULL, 10));
    assert_non_null(strstr(r->body, wait));
    const char *btn = strstr(r->body, "<a class=\"wx-btn\" href=\"/");
    assert_non_null(btn);
    assert_true(btn[strlen("<a class=\"wx-btn\" href=\"/")] != '/');
    assert_non_null(strstr(btn, "重试 · Try again"));
}

static void
login_ok(wxt_browser_t *b, const wxt_env_t *e, const char *start)
{
    wxt_resp_t fin = {0};
    wxt_result_t res = {0};
    wxt_login(b, start, "alice", "allow", &fin, NULL, 0);
    if (fin.status != 302)
        fail_msg("final status %ld body %.300s", fin.status, fin.body ? fin.body : "");
    assert_true(wxt_parse_result(e, fin.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&fin);
}

static int
group_setup(void **state)
{
    wxt_opts_t o = {.retries = -1,
                    .limits = true,
                    .extra_config = "[limits]\nstart_per_minute = 10\ncallback_per_minute = 20\n"
                                    "pending_per_address = 0\npending_total = 0\n"
                                    "[login]\nreplay_window = 4\n"};
    wxt_setup(&rates, &o);
    wxt_opts_t c = {.retries = -1,
                    .limits = true,
                    .extra_config = "[limits]\nstart_per_minute = 0\ncallback_per_minute = 0\n"
                                    "pending_per_address = 4\npending_total = 10\n"};
    wxt_setup(&caps, &c);
    wxt_opts_t t = {.retries = -1, .public_https = true};
    wxt_setup(&tls, &t);
    wxt_opts_t s = {.retries = -1, .state_ttl = 2, .extra_config = "[login]\nreplay_window = 1\n"};
    wxt_setup(&brief, &s);
    return 0;
}

static int
group_teardown(void **state)
{
    wxt_teardown(&rates);
    wxt_teardown(&caps);
    wxt_teardown(&tls);
    wxt_teardown(&brief);
    return 0;
}

/* One address starting logins in a loop gets 429 once its minute's allowance is spent (no
 * more than the allowance plus what refilled meanwhile passes), and another address still logs
 * in while the first is refused. */
static void
test_start_flood_limited_other_address_served(void **state)
{
    char url[256];
    int ok = 0, limited = 0;
    wxt_browser_t *flood = wxt_browser_new(NULL), *user = wxt_browser_new(NULL);
    wxt_browser_source(flood, "127.0.0.21");
    wxt_browser_source(user, "127.0.0.2");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);
    int64_t t0 = now_ms();
    for (int i = 0; i < 30; i++) {
        wxt_resp_t r = {0};
        assert_int_equal(wxt_get(flood, url, &r), 0);
        if (r.status == 302) {
            ok++;
            assert_int_equal(limited, 0); /* once refused, refused for the rest of the burst */
        } else {
            assert_limited(&r);
            limited++;
        }
        wxt_resp_free(&r);
    }
    int64_t took = now_ms() - t0;
    assert_true(ok >= 10);
    assert_true(ok <= 10 + took / 6000 + 1); /* 10 a minute: one more every 6 s */
    assert_true(limited > 0);

    login_ok(user, &rates, url); /* another address is served meanwhile */
    wxt_resp_t r = {0};
    assert_int_equal(wxt_get(flood, url, &r), 0);
    assert_limited(&r); /* and the flood is still refused */
    wxt_resp_free(&r);
    wxt_browser_free(flood);
    wxt_browser_free(user);
}

/* Callbacks from one address (a state guesser) are limited the same way. */
static void
test_callback_flood_limited(void **state)
{
    char url[256];
    int answered = 0, limited = 0;
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, "127.0.0.22");
    snprintf(url, sizeof(url),
             "%s/connections/social/wechat:webpage-authorization/callback?code=x&state=guess1",
             rates.auth);
    int64_t t0 = now_ms();
    for (int i = 0; i < 40; i++) {
        wxt_resp_t r = {0};
        assert_int_equal(wxt_get(b, url, &r), 0);
        if (r.status == 429) {
            assert_limited(&r);
            limited++;
        } else {
            assert_int_equal(r.status, 400); /* unknown state */
            answered++;
        }
        wxt_resp_free(&r);
    }
    int64_t took = now_ms() - t0;
    assert_true(answered >= 20);
    assert_true(answered <= 20 + took / 3000 + 1);
    assert_true(limited > 0);
    wxt_browser_free(b);
}

/* A HEAD of a start URL answers as the GET would (302 to WeChat's authorize page), but writes
 * no state and sets no cookie; the GET after it writes one. */
static void
test_head_writes_nothing(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, "127.0.0.23");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);
    long long before = store_int(&rates, "SELECT count(*) FROM login_states");
    for (int i = 0; i < 3; i++) {
        char v[512];
        assert_int_equal(wxt_head(b, url, &r), 0);
        assert_int_equal(r.status, 302);
        assert_non_null(r.location);
        assert_true(strncmp(r.location, rates.emu, strlen(rates.emu)) == 0);
        assert_non_null(strstr(r.location, "state="));
        assert_false(wxt_resp_header(&r, "Set-Cookie", v, sizeof(v)));
        wxt_resp_free(&r);
    }
    assert_int_equal(store_int(&rates, "SELECT count(*) FROM login_states"), before);
    /* A HEAD of a bad start is refused as the GET would be. */
    char bad[256];
    snprintf(bad, sizeof(bad), "%s/oauth/wechatmp/url/nosuchpool", rates.auth);
    assert_int_equal(wxt_head(b, bad, &r), 0);
    assert_int_equal(r.status, 404);
    wxt_resp_free(&r);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    wxt_resp_free(&r);
    assert_int_equal(store_int(&rates, "SELECT count(*) FROM login_states"), before + 1);
    wxt_browser_free(b);
}

/* Unfinished logins are capped per address (4 here) and in total (10), counted in the store:
 * past them the start answers 429, an address under the cap still logs in, and the store
 * holds no more pending states than the total cap. */
static void
test_pending_caps(void **state)
{
    char url[256];
    wxt_resp_t r = {0};
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", caps.auth);
    wxt_browser_t *a = wxt_browser_new(NULL), *user = wxt_browser_new(NULL);
    wxt_browser_source(a, "127.0.0.31");
    wxt_browser_source(user, "127.0.0.32");
    for (int i = 0; i < 4; i++) {
        assert_int_equal(wxt_get(a, url, &r), 0);
        assert_int_equal(r.status, 302);
        wxt_resp_free(&r);
    }
    assert_int_equal(wxt_get(a, url, &r), 0);
    assert_limited(&r);
    wxt_resp_free(&r);
    /* Another address is under its cap: it logs in (its state is no longer pending after). */
    login_ok(user, &caps, url);
    assert_int_equal(store_int(&caps, "SELECT count(*) FROM login_states WHERE status = 0"), 4);

    /* Fill the total: 4 more from .33, then .34 gets 2 before the total (10) is reached. */
    const char *more[] = {"127.0.0.33", "127.0.0.34", "127.0.0.35"};
    int passed[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        wxt_browser_t *b = wxt_browser_new(NULL);
        wxt_browser_source(b, more[k]);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(wxt_get(b, url, &r), 0);
            if (r.status == 302)
                passed[k]++;
            else
                assert_limited(&r);
            wxt_resp_free(&r);
        }
        wxt_browser_free(b);
    }
    assert_int_equal(passed[0], 4);
    assert_int_equal(passed[1], 2);
    assert_int_equal(passed[2], 0);
    assert_int_equal(store_int(&caps, "SELECT count(*) FROM login_states WHERE status = 0"), 10);
    wxt_browser_free(a);
    wxt_browser_free(user);
}

/* The start's answer r1 (302 to the emulator), then the emulator with person allowing: the
 * callback URL WeChat sends the browser to, not loaded yet. */
static void
to_wechat(wxt_browser_t *b, const char *start, const char *person, wxt_resp_t *r1, char *cb,
          size_t n)
{
    char url[4096];
    wxt_resp_t r2 = {0};
    assert_int_equal(wxt_get(b, start, r1), 0);
    assert_int_equal(r1->status, 302);
    /* The emulator-only parameters go before the #wechat_redirect fragment. */
    snprintf(url, sizeof(url), "%.*s&emu_person=%s&emu_action=allow",
             (int)strcspn(r1->location, "#"), r1->location, person);
    assert_int_equal(wxt_get(b, url, &r2), 0);
    assert_int_equal(r2.status, 302);
    snprintf(cb, n, "%s", r2.location);
    wxt_resp_free(&r2);
}

/* A value planted in the browsers (by a sibling site, a script, or an attacker's own browser)
 * is never used to bind a login: the start replaces it with a server-issued one, so a callback
 * URL the attacker got with that value does not log the victim in as the attacker. */
static void
test_planted_bind_cookie_not_reused(void **state)
{
    char url[256], cb[4096], sc[512], again[512];
    /* 43 letters: what the old server took as its own; the other has the issued shape (22
     * letters and 32 hex digits) with a MAC the attacker had to guess. */
    const char *planted = "PlantedByAnAttackerPlantedByAnAttacker12345";
    const char *forged = "AAAAAAAAAAAAAAAAAAAAAA00000000000000000000000000000000";
    wxt_resp_t r1 = {0}, r = {0};
    wxt_result_t res = {0};
    wxt_browser_t *attacker = wxt_browser_new(NULL), *victim = wxt_browser_new(NULL);
    wxt_browser_source(attacker, "127.0.0.24");
    wxt_browser_source(victim, "127.0.0.25");
    wxt_browser_cookie_set(attacker, "127.0.0.1", "wxauth_bind", planted);
    wxt_browser_cookie_set(victim, "127.0.0.1", "wxauth_bind", planted);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);

    to_wechat(attacker, url, "bob", &r1, cb, sizeof(cb));
    assert_true(wxt_resp_header(&r1, "Set-Cookie", sc, sizeof(sc)));
    assert_true(strncmp(sc, "wxauth_bind=", 12) == 0);
    assert_null(strstr(sc, planted));
    wxt_resp_free(&r1);
    /* The victim, holding the planted value, loads the attacker's callback: refused. */
    assert_int_equal(wxt_get(victim, cb, &r), 0);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "another browser"));
    wxt_resp_free(&r);
    /* The attacker's own browser finishes its own login; its issued value is kept (no new
     * cookie on the next start, so logins in two tabs both work). */
    assert_int_equal(wxt_get(attacker, cb, &r), 0);
    assert_int_equal(r.status, 302);
    assert_true(wxt_parse_result(&rates, r.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&r);
    assert_int_equal(wxt_get(attacker, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_false(wxt_resp_header(&r, "Set-Cookie", again, sizeof(again)));
    wxt_resp_free(&r);
    /* The victim logs in normally: the planted value is replaced, the login works. */
    login_ok(victim, &rates, url);
    char now[128];
    assert_true(wxt_browser_cookie_get(victim, "wxauth_bind", now, sizeof(now)));
    assert_string_not_equal(now, planted);
    /* A forged value of the issued shape is replaced too. */
    wxt_browser_t *f = wxt_browser_new(NULL);
    wxt_browser_source(f, "127.0.0.26");
    wxt_browser_cookie_set(f, "127.0.0.1", "wxauth_bind", forged);
    assert_int_equal(wxt_get(f, url, &r), 0);
    assert_int_equal(r.status, 302);
    assert_true(wxt_resp_header(&r, "Set-Cookie", sc, sizeof(sc)));
    assert_null(strstr(sc, forged));
    wxt_resp_free(&r);
    wxt_browser_free(f);
    wxt_browser_free(attacker);
    wxt_browser_free(victim);
}

/* With an https public_url the cookie is __Host-wxauth_bind (Secure, Path=/, no Domain), and
 * only that name binds: the unprefixed one, which a sibling site could set, is not read. */
static void
test_https_host_prefixed_cookie(void **state)
{
    char url[256], cb[4096], sc[512], value[128], hdr[256];
    wxt_resp_t r1 = {0}, r = {0};
    wxt_result_t res = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", tls.auth);
    to_wechat(b, url, "alice", &r1, cb, sizeof(cb));
    assert_true(wxt_resp_header(&r1, "Set-Cookie", sc, sizeof(sc)));
    assert_true(strncmp(sc, "__Host-wxauth_bind=", 19) == 0);
    assert_non_null(strstr(sc, "; Secure"));
    assert_non_null(strstr(sc, "Path=/;"));
    assert_null(strstr(sc, "Domain"));
    snprintf(value, sizeof(value), "%.*s", (int)strcspn(sc + 19, ";"), sc + 19);
    wxt_resp_free(&r1);
    /* WeChat sends the browser to the https callback; the test speaks http to the same port. */
    assert_true(strncmp(cb, "https://", 8) == 0);
    char plain[4096];
    snprintf(plain, sizeof(plain), "http://%s", cb + 8);
    snprintf(hdr, sizeof(hdr), "Cookie: wxauth_bind=%s", value);
    const char *unprefixed[] = {hdr, NULL};
    assert_int_equal(wxt_http_headers("GET", plain, unprefixed, NULL, &r), 0);
    assert_int_equal(r.status, 403);
    wxt_resp_free(&r);
    snprintf(hdr, sizeof(hdr), "Cookie: __Host-wxauth_bind=%s", value);
    const char *prefixed[] = {hdr, NULL};
    assert_int_equal(wxt_http_headers("GET", plain, prefixed, NULL, &r), 0);
    assert_int_equal(r.status, 302);
    assert_true(wxt_parse_result(&tls, r.location, &res));
    assert_int_equal(res.code, 200);
    wxt_result_free(&res);
    wxt_resp_free(&r);
    wxt_browser_free(b);
}

/* A finished login's record (what its token is rebuilt from on a reload) is sealed in the
 * store: the raw column holds neither the record nor the user's ids; a reload still gets the
 * same login; once the replay window (4 s here) is over the column is empty. */
static void
test_login_record_sealed_then_dropped(void **state)
{
    char url[256], cb[4096], st[128], sql[256], raw[4096];
    wxt_resp_t f1 = {0}, f2 = {0};
    wxt_result_t res = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, "127.0.0.27");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);
    wxt_login(b, url, "alice", "allow", &f1, cb, sizeof(cb));
    assert_int_equal(f1.status, 302);
    assert_true(wxt_parse_result(&rates, f1.location, &res));
    assert_int_equal(res.code, 200);
    const char *uid = json_string_value(json_object_get(res.data, "id"));
    const char *openid = json_string_value(json_object_get(res.data, "openid"));
    assert_non_null(uid);
    assert_non_null(openid);
    /* The reload first (within the window), then look at the column. */
    assert_int_equal(wxt_get(b, cb, &f2), 0);
    assert_int_equal(f2.status, 302);
    assert_string_equal(f1.location, f2.location);
    wxt_resp_free(&f2);
    state_of(cb, st, sizeof(st));
    snprintf(sql, sizeof(sql), "SELECT result FROM login_states WHERE id = '%s'", st);
    assert_true(store_text(&rates, sql, raw, sizeof(raw)));
    if (raw[0]) { /* unless the window already ended on a very slow machine */
        assert_true(strncmp(raw, "wxs1.", 5) == 0);
        assert_null(strstr(raw, "wxauth-login"));
        assert_null(strstr(raw, uid));
        assert_null(strstr(raw, openid));
    }
    /* After the window: emptied by the prune (every 2 s here). */
    for (int i = 0; i < 150 && raw[0]; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        assert_true(store_text(&rates, sql, raw, sizeof(raw)));
    }
    assert_string_equal(raw, "");
    assert_int_equal(wxt_get(b, cb, &f2), 0);
    assert_int_equal(f2.status, 400); /* already used */
    wxt_resp_free(&f2);
    wxt_result_free(&res);
    wxt_resp_free(&f1);
    wxt_browser_free(b);
}

/* One statement on the env's store, SQLite or PostgreSQL. */
static void
store_exec(const wxt_env_t *e, const char *sql)
{
    if (strncmp(e->store_url, "sqlite:", 7) == 0) {
        sqlite3 *db = NULL;
        assert_int_equal(sqlite3_open(e->store_url + 7, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
            fail_msg("%s: %s", sql, sqlite3_errmsg(db));
        sqlite3_close(db);
    } else {
        PGconn *c = PQconnectdb(e->store_url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
    }
}

/* A finished login whose result was emptied while its reload window is still open (a prune
 * by a node whose clock is ahead): the reload is told the link was used, never a 302 with an
 * empty Location. */
static void
test_emptied_result_reload_late(void **state)
{
    (void)state;
    char url[256], cb[4096], st[128], sql[256];
    wxt_resp_t f1 = {0}, f2 = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, "127.0.0.28");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);
    wxt_login(b, url, "alice", "allow", &f1, cb, sizeof(cb));
    assert_int_equal(f1.status, 302);
    state_of(cb, st, sizeof(st));
    snprintf(sql, sizeof(sql), "UPDATE login_states SET result = '' WHERE id = '%s'", st);
    store_exec(&rates, sql);
    assert_int_equal(wxt_get(b, cb, &f2), 0);
    if (f2.status != 400)
        fail_msg("reload of an emptied result: want 400, got %ld Location '%s'", f2.status,
                 f2.location ? f2.location : "(none)");
    wxt_resp_free(&f2);
    wxt_resp_free(&f1);
    wxt_browser_free(b);
}

/* A sealed record that does not open (here: forged) is logged as an ERROR with the request
 * id, never with the state id (a login capability: the log must not hand it out). */
static void
test_unreadable_record_logged_without_state(void **state)
{
    (void)state;
    char url[256], cb[4096], st[128], sql[512];
    wxt_resp_t f1 = {0}, f2 = {0};
    wxt_browser_t *b = wxt_browser_new(NULL);
    wxt_browser_source(b, "127.0.0.29");
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", rates.auth);
    wxt_login(b, url, "alice", "allow", &f1, cb, sizeof(cb));
    assert_int_equal(f1.status, 302);
    state_of(cb, st, sizeof(st));
    snprintf(sql, sizeof(sql),
             "UPDATE login_states SET result = 'wxs1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE id = '%s'",
             st);
    store_exec(&rates, sql);
    assert_int_equal(wxt_get(b, cb, &f2), 0);
    assert_int_equal(f2.status, 400);
    assert_true(wxtk_log_has(&rates, (const char *const[]){"login_record_unreadable", NULL}));
    assert_true(
        wxtk_log_has(&rates, (const char *const[]){"login_record_unreadable", "\"rid\"", NULL}));
    assert_false(wxtk_log_has(&rates, (const char *const[]){"login_record_unreadable", st, NULL}));
    wxt_resp_free(&f2);
    wxt_resp_free(&f1);
    wxt_browser_free(b);
}

/* Whether needle occurs in the file at path. */
static bool
file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 20, len = 0, nl = strlen(needle);
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    bool found = false;
    for (size_t i = 0; !found && i + nl <= len; i++)
        found = memcmp(buf + i, needle, nl) == 0;
    free(buf);
    return found;
}

/* SQLite: a pruned login state leaves no trace in the database file (secure_delete): its id,
 * found in the file while the row lives, is gone once the row is deleted and checkpointed. */
static void
test_pruned_state_not_in_sqlite_file(void **state)
{
    char url[256], st[128], sql[256], path[700];
    wxt_resp_t r = {0};
    if (strncmp(brief.store_url, "sqlite:", 7) != 0) {
        print_message("PostgreSQL store: nothing to check in a SQLite file\n");
        return;
    }
    snprintf(path, sizeof(path), "%s", brief.store_url + 7);
    wxt_browser_t *b = wxt_browser_new(NULL);
    snprintf(url, sizeof(url), "%s/oauth/wechatmp/url/demo", brief.auth);
    assert_int_equal(wxt_get(b, url, &r), 0);
    assert_int_equal(r.status, 302);
    state_of(r.location, st, sizeof(st));
    wxt_resp_free(&r);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM login_states WHERE id = '%s'", st);
    assert_int_equal(store_int(&brief, sql), 1);
    long long n = 1;
    for (int i = 0; i < 200 && n > 0; i++) { /* expires in 2 s; the prune runs every second */
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        n = store_int(&brief, sql);
    }
    assert_int_equal(n, 0);
    /* Bring the WAL into the file and empty it, as SQLite does at its checkpoints. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    /* A connection learns the file is in WAL mode at its first read; until then a checkpoint
     * does nothing. */
    assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL),
                     SQLITE_OK);
    int rc = SQLITE_BUSY;
    for (int i = 0; i < 100 && rc != SQLITE_OK; i++) { /* wxauthd may be reading: retry */
        rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        if (rc != SQLITE_OK) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    sqlite3_close(db);
    assert_int_equal(rc, SQLITE_OK);
    assert_false(file_has(path, st));
    char wal[720];
    snprintf(wal, sizeof(wal), "%s-wal", path);
    assert_false(file_has(wal, st));
    wxt_browser_free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_flood_limited_other_address_served),
        cmocka_unit_test(test_callback_flood_limited),
        cmocka_unit_test(test_head_writes_nothing),
        cmocka_unit_test(test_pending_caps),
        cmocka_unit_test(test_planted_bind_cookie_not_reused),
        cmocka_unit_test(test_https_host_prefixed_cookie),
        cmocka_unit_test(test_login_record_sealed_then_dropped),
        cmocka_unit_test(test_emptied_result_reload_late),
        cmocka_unit_test(test_unreadable_record_logged_without_state),
        cmocka_unit_test(test_pruned_state_not_in_sqlite_file),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
