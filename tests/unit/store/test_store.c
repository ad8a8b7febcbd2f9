/* Conformance suite for the store interface (src/store/store.h). It calls nothing but store.h,
 * so every backend must pass it unchanged: the URL comes from WX_TEST_STORE_URL, else each test
 * gets a fresh SQLite file under $WX_TEST_TMP/store. Every id carries a per-test random tag, so
 * the suite also runs against one shared database (e.g. PostgreSQL) without tests colliding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/rand.h"

#define T0 1700000000 /* a fixed "now" for logins and states */
#define BROWSER_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define BROWSER_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define RACE_ROUNDS 50
#define OPEN_THREADS 8

typedef struct {
    char url[1200];
    char path[1100]; /* the SQLite file we made, "" when the URL came from the environment */
    char tag[9];     /* random, in every id this test writes */
    store_t *st;
} fx_t;

/* mkdir -p */
static void
make_dirs(const char *dir)
{
    char p[1024];
    assert_true(strlen(dir) < sizeof(p));
    snprintf(p, sizeof(p), "%s", dir);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        assert_true(mkdir(p, 0700) == 0 || errno == EEXIST);
        *c = '/';
    }
    assert_true(mkdir(p, 0700) == 0 || errno == EEXIST);
}

/* A store URL no test has used: the environment's, or a new SQLite file. */
static void
fresh_url(char *url, size_t n, char *path, size_t pn)
{
    static unsigned counter;
    const char *env = getenv("WX_TEST_STORE_URL");
    char dir[1024], rnd[9];
    path[0] = '\0';
    if (env && *env) {
        assert_true((size_t)snprintf(url, n, "%s", env) < n);
        return;
    }
    const char *tmp = getenv("WX_TEST_TMP");
    snprintf(dir, sizeof(dir), "%s/store", tmp && *tmp ? tmp : "/tmp");
    make_dirs(dir);
    assert_int_equal(wx_rand_hex(rnd, 4), WX_OK);
    assert_true((size_t)snprintf(path, pn, "%s/conf-%ld-%u-%s.db", dir, (long)getpid(), counter++,
                                 rnd) < pn);
    assert_true((size_t)snprintf(url, n, "sqlite:%s", path) < n);
}

static void
remove_db(const char *path)
{
    char p[1200];
    if (!path[0])
        return;
    remove(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    remove(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    remove(p);
}

static int
setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    wx_err_t err = {0};
    assert_non_null(fx);
    fresh_url(fx->url, sizeof(fx->url), fx->path, sizeof(fx->path));
    assert_int_equal(wx_rand_hex(fx->tag, 4), WX_OK);
    if (store_open(fx->url, &fx->st, &err) != WX_OK)
        fail_msg("store_open(%s): %s / %s", fx->url, err.msg, err.detail);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *fx = *state;
    store_close(fx->st);
    remove_db(fx->path);
    free(fx);
    return 0;
}

/* "<prefix>_<tag>" into out. */
static void
tid(const fx_t *fx, const char *prefix, char *out, size_t n)
{
    assert_true((size_t)snprintf(out, n, "%s_%s", prefix, fx->tag) < n);
}

static void
put_pool(fx_t *fx, const char *prefix, char *id, size_t n)
{
    store_pool_t p = {0};
    wx_err_t err = {0};
    tid(fx, prefix, id, n);
    snprintf(p.id, sizeof(p.id), "%s", id);
    snprintf(p.name, sizeof(p.name), "Pool %s", prefix);
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
}

static void
put_conn(fx_t *fx, const char *pool_id, const char *identifier, int64_t created_at)
{
    store_conn_t c = {0};
    wx_err_t err = {0};
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool_id);
    snprintf(c.identifier, sizeof(c.identifier), "%s", identifier);
    snprintf(c.appid, sizeof(c.appid), "wx0123456789abcdef");
    snprintf(c.app_secret, sizeof(c.app_secret), "secret");
    c.created_at = created_at;
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
}

static bool
is_hex24(const char *s)
{
    if (strlen(s) != 24)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* ---- lifecycle ---- */

static void
test_migrations_idempotent(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    store_t *again = NULL;
    store_pool_t p;
    int v = store_schema_version(fx->st);
    assert_true(v >= 1);
    /* A second connection to a migrated database applies nothing and agrees. */
    assert_int_equal(store_open(fx->url, &again, &err), WX_OK);
    assert_int_equal(store_schema_version(again), v);
    store_close(again);
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(store_open(fx->url, &fx->st, &err), WX_OK);
    assert_int_equal(store_schema_version(fx->st), v);
    assert_int_equal(store_pool_get(fx->st, "nope", &p, &err), WX_ENOENT);
}

static void
test_open_errors(void **state)
{
    (void)state;
    store_t *st = (store_t *)&st;
    wx_err_t err = {0};
    assert_int_equal(store_open("", &st, &err), WX_ECONFIG);
    assert_null(st);
    assert_int_equal(store_open("nosuch://host/db", &st, &err), WX_ECONFIG);
    assert_null(st);
    /* A PostgreSQL that does not answer: a store error naming where, never the password. */
    assert_int_equal(store_open("postgresql://wx:s3cr3tpw@127.0.0.1:1/wxauth", &st, &err),
                     WX_ESTORE);
    assert_null(st);
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));
    assert_null(strstr(err.msg, "s3cr3tpw"));
    assert_null(strstr(err.detail, "s3cr3tpw"));
}

typedef struct {
    const char *url;
    pthread_barrier_t *go;
    wx_status_t rc;
    int version;
    char msg[WX_ERR_MSG_MAX + WX_ERR_DETAIL_MAX + 8];
} opener_t;

static void *
opener_run(void *arg)
{
    opener_t *o = arg;
    store_t *st = NULL;
    wx_err_t err = {0};
    pthread_barrier_wait(o->go);
    o->rc = store_open(o->url, &st, &err);
    if (o->rc == WX_OK)
        o->version = store_schema_version(st);
    snprintf(o->msg, sizeof(o->msg), "%s / %s", err.msg, err.detail);
    store_close(st);
    return NULL;
}

/* Several threads opening one fresh database at once all succeed with the same schema. */
static void
test_open_concurrent(void **state)
{
    fx_t *fx = *state;
    char url[1200], path[1100];
    pthread_t th[OPEN_THREADS];
    opener_t o[OPEN_THREADS];
    pthread_barrier_t go;
    fresh_url(url, sizeof(url), path, sizeof(path));
    assert_int_equal(pthread_barrier_init(&go, NULL, OPEN_THREADS), 0);
    for (int i = 0; i < OPEN_THREADS; i++) {
        o[i] = (opener_t){.url = url, .go = &go};
        assert_int_equal(pthread_create(&th[i], NULL, opener_run, &o[i]), 0);
    }
    for (int i = 0; i < OPEN_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < OPEN_THREADS; i++) {
        if (o[i].rc != WX_OK)
            fail_msg("opener %d: %s", i, o[i].msg);
        assert_int_equal(o[i].version, store_schema_version(fx->st));
    }
    remove_db(path);
}

/* ---- pools, applications, connections ---- */

static void
test_pool_put_get(void **state)
{
    fx_t *fx = *state;
    store_pool_t p = {0}, got;
    wx_err_t err = {0};
    tid(fx, "pool", p.id, sizeof(p.id));
    snprintf(p.name, sizeof(p.name), "First");
    p.token_ttl = 3600;
    snprintf(p.alg, sizeof(p.alg), "RS256");
    snprintf(p.redirect_urls, sizeof(p.redirect_urls), "https://a.example/*\nhttps://b.example/cb");
    p.created_at = 1000;
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, p.id, &got, &err), WX_OK);
    assert_string_equal(got.id, p.id);
    assert_string_equal(got.name, "First");
    assert_int_equal(got.token_ttl, 3600);
    assert_string_equal(got.alg, "RS256");
    assert_string_equal(got.redirect_urls, "https://a.example/*\nhttps://b.example/cb");
    assert_int_equal(got.created_at, 1000);
    assert_true(got.updated_at > 0);

    /* Update: fields change, created_at stays. */
    snprintf(p.name, sizeof(p.name), "Second");
    p.token_ttl = 0;
    p.redirect_urls[0] = '\0';
    p.created_at = 5000;
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, p.id, &got, &err), WX_OK);
    assert_string_equal(got.name, "Second");
    assert_int_equal(got.token_ttl, 0);
    assert_string_equal(got.redirect_urls, "");
    assert_int_equal(got.created_at, 1000);

    assert_int_equal(store_pool_get(fx->st, "missing-pool", &got, &err), WX_ENOENT);
    assert_non_null(strstr(err.msg, "missing-pool"));
    p.id[0] = '\0';
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_EINVAL);
}

static void
test_app_put_get(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_app_t a = {0}, got;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "app", a.id, sizeof(a.id));
    snprintf(a.pool_id, sizeof(a.pool_id), "%s", pool);
    snprintf(a.name, sizeof(a.name), "Shop");
    snprintf(a.redirect_urls, sizeof(a.redirect_urls), "https://shop.example/cb");
    a.created_at = 2000;
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, a.id, &got, &err), WX_OK);
    assert_string_equal(got.pool_id, pool);
    assert_string_equal(got.name, "Shop");
    assert_string_equal(got.redirect_urls, "https://shop.example/cb");
    assert_int_equal(got.created_at, 2000);

    snprintf(a.name, sizeof(a.name), "Shop 2");
    a.created_at = 0;
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, a.id, &got, &err), WX_OK);
    assert_string_equal(got.name, "Shop 2");
    assert_int_equal(got.created_at, 2000);

    /* Issue 13: the OpenID Connect settings; a new application is confidential, no lists. */
    assert_false(got.public_client);
    assert_string_equal(got.logout_urls, "");
    assert_string_equal(got.web_origins, "");
    assert_int_equal(got.access_ttl + got.id_ttl + got.refresh_ttl, 0);
    a.public_client = true;
    snprintf(a.logout_urls, sizeof(a.logout_urls), "https://shop.example/bye\nhttps://b.example/");
    snprintf(a.web_origins, sizeof(a.web_origins), "https://shop.example\nhttp://127.0.0.1:8080");
    a.access_ttl = 600;
    a.id_ttl = 300;
    a.refresh_ttl = 86400;
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, a.id, &got, &err), WX_OK);
    assert_true(got.public_client);
    assert_string_equal(got.logout_urls, "https://shop.example/bye\nhttps://b.example/");
    assert_string_equal(got.web_origins, "https://shop.example\nhttp://127.0.0.1:8080");
    assert_int_equal(got.access_ttl, 600);
    assert_int_equal(got.id_ttl, 300);
    assert_int_equal(got.refresh_ttl, 86400);
    a.public_client = false;
    a.logout_urls[0] = '\0';
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, a.id, &got, &err), WX_OK);
    assert_false(got.public_client);
    assert_string_equal(got.logout_urls, "");
    assert_string_equal(got.name, "Shop 2");

    assert_int_equal(store_app_get(fx->st, "missing-app", &got, &err), WX_ENOENT);
    assert_non_null(strstr(err.msg, "missing-app"));
    tid(fx, "other", a.id, sizeof(a.id));
    tid(fx, "nopool", a.pool_id, sizeof(a.pool_id));
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_ENOENT);
    assert_int_equal(store_app_get(fx->st, a.id, &got, &err), WX_ENOENT);
}

static void
test_conn_put_get(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_conn_t c = {0}, got;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "wechat:webpage-authorization");
    snprintf(c.display_name, sizeof(c.display_name), "WeChat");
    snprintf(c.appid, sizeof(c.appid), "wx0123456789abcdef");
    snprintf(c.app_secret, sizeof(c.app_secret), "first-secret");
    snprintf(c.scope, sizeof(c.scope), "snsapi_userinfo");
    snprintf(c.callback_url, sizeof(c.callback_url), "#");
    c.created_at = 3000;
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, c.identifier, &got, &err), WX_OK);
    assert_string_equal(got.display_name, "WeChat");
    assert_string_equal(got.appid, "wx0123456789abcdef");
    assert_string_equal(got.app_secret, "first-secret");
    assert_string_equal(got.scope, "snsapi_userinfo");
    assert_string_equal(got.callback_url, "#");
    assert_int_equal(got.created_at, 3000);

    /* An empty secret on update keeps the stored one; other fields change. */
    c.app_secret[0] = '\0';
    snprintf(c.display_name, sizeof(c.display_name), "WeChat 2");
    snprintf(c.scope, sizeof(c.scope), "snsapi_base");
    c.created_at = 0;
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, c.identifier, &got, &err), WX_OK);
    assert_string_equal(got.app_secret, "first-secret");
    assert_string_equal(got.display_name, "WeChat 2");
    assert_string_equal(got.scope, "snsapi_base");
    assert_int_equal(got.created_at, 3000);

    snprintf(c.app_secret, sizeof(c.app_secret), "second-secret");
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, c.identifier, &got, &err), WX_OK);
    assert_string_equal(got.app_secret, "second-secret");

    assert_int_equal(store_conn_get(fx->st, pool, "nope", &got, &err), WX_ENOENT);
    assert_int_equal(store_conn_get(fx->st, "missing-pool", c.identifier, &got, &err), WX_ENOENT);
    tid(fx, "nopool", c.pool_id, sizeof(c.pool_id));
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_ENOENT);
}

static void
test_conn_default(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], other[STORE_ID_MAX];
    store_conn_t got;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    put_pool(fx, "other", other, sizeof(other));
    assert_int_equal(store_conn_default(fx->st, pool, &got, &err), WX_ENOENT);
    put_conn(fx, other, "wechat:webpage-authorization", 10); /* another pool's never counts */
    assert_int_equal(store_conn_default(fx->st, pool, &got, &err), WX_ENOENT);
    /* No default identifier: the oldest wins. */
    put_conn(fx, pool, "custom-b", 100);
    put_conn(fx, pool, "custom-a", 200);
    assert_int_equal(store_conn_default(fx->st, pool, &got, &err), WX_OK);
    assert_string_equal(got.identifier, "custom-b");
    assert_string_equal(got.pool_id, pool);
    /* The default identifier wins even when it is the newest. */
    put_conn(fx, pool, "wechat:webpage-authorization", 300);
    assert_int_equal(store_conn_default(fx->st, pool, &got, &err), WX_OK);
    assert_string_equal(got.identifier, "wechat:webpage-authorization");
    assert_string_equal(got.pool_id, pool);
}

static void
test_txt_get(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], name[64], content[STORE_TXT_CONTENT_MAX], small[3];
    store_conn_t c = {0};
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    snprintf(name, sizeof(name), "MP_verify_%s.txt", fx->tag);
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "wechat:webpage-authorization");
    snprintf(c.txt_filename, sizeof(c.txt_filename), "%s", name);
    snprintf(c.txt_content, sizeof(c.txt_content), "content-%s", fx->tag);
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_txt_get(fx->st, name, content, sizeof(content), &err), WX_OK);
    assert_string_equal(content, c.txt_content);
    assert_int_equal(store_txt_get(fx->st, "MP_verify_none.txt", content, sizeof(content), &err),
                     WX_ENOENT);
    assert_int_equal(store_txt_get(fx->st, "", content, sizeof(content), &err), WX_ENOENT);
    assert_int_equal(store_txt_get(fx->st, name, small, sizeof(small), &err), WX_ETOOBIG);
}

/* ---- size limits ---- */

static void
test_too_big(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], big[STORE_RESULT_MAX + 1];
    store_pool_t p = {0};
    store_conn_t c = {0}, got;
    store_state_t s = {0};
    wx_err_t err = {0};
    int64_t n = -1;
    put_pool(fx, "pool", pool, sizeof(pool));

    /* A field filled to the brim has no room for its NUL: refused, never cut. */
    tid(fx, "big", p.id, sizeof(p.id));
    memset(p.name, 'n', sizeof(p.name));
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_ETOOBIG);
    memset(p.id, 'i', sizeof(p.id));
    p.name[0] = '\0';
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_ETOOBIG);

    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "wechat:webpage-authorization");
    memset(c.app_secret, 's', sizeof(c.app_secret) - 1); /* longest that fits */
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, c.identifier, &got, &err), WX_OK);
    assert_int_equal(strlen(got.app_secret), sizeof(c.app_secret) - 1);
    memset(c.app_secret, 's', sizeof(c.app_secret));
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_ETOOBIG);

    memset(big, 'x', sizeof(big));
    big[STORE_NAME_MAX] = '\0'; /* one byte more than a nickname may have */
    store_wechat_login_t in = {.pool_id = pool,
                               .provider = "wechat:webpage-authorization",
                               .appid = "wx0123456789abcdef",
                               .openid = "o-big",
                               .nickname = big,
                               .now = T0};
    store_user_t u;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, NULL, &err), WX_ETOOBIG);
    in.nickname = NULL;
    big[STORE_NAME_MAX] = 'x';
    big[STORE_OPENID_MAX] = '\0';
    in.openid = big;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, NULL, &err), WX_ETOOBIG);
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, 0);

    snprintf(s.id, sizeof(s.id), "big%s", fx->tag);
    snprintf(s.pool_id, sizeof(s.pool_id), "%s", pool);
    snprintf(s.conn_identifier, sizeof(s.conn_identifier), "wechat:webpage-authorization");
    snprintf(s.browser, sizeof(s.browser), BROWSER_A);
    s.expires_at = T0 + 600;
    memset(s.redirect, 'r', sizeof(s.redirect));
    assert_int_equal(store_state_create(fx->st, &s, &err), WX_ETOOBIG);
    s.redirect[0] = '\0';
    assert_int_equal(store_state_create(fx->st, &s, &err), WX_OK);
    store_state_t *out = calloc(1, sizeof(*out));
    assert_non_null(out);
    assert_int_equal(store_state_claim(fx->st, s.id, BROWSER_A, T0, out, &err), WX_OK);
    memset(big, 'x', sizeof(big));
    big[STORE_RESULT_MAX] = '\0';
    assert_int_equal(store_state_finish(fx->st, s.id, big, &err), WX_ETOOBIG);
    big[STORE_RESULT_MAX - 1] = '\0';
    assert_int_equal(store_state_finish(fx->st, s.id, big, &err), WX_OK);
    assert_int_equal(store_state_claim(fx->st, s.id, BROWSER_A, T0, out, &err), WX_EUSED);
    assert_int_equal(strlen(out->result), STORE_RESULT_MAX - 1);
    free(out);
}

/* ---- users ---- */

static store_wechat_login_t
login_of(const char *pool, const char *appid, const char *openid, const char *unionid)
{
    return (store_wechat_login_t){.pool_id = pool,
                                  .provider = "wechat:webpage-authorization",
                                  .appid = appid,
                                  .openid = openid,
                                  .unionid = unionid,
                                  .now = T0};
}

static void
test_user_upsert_create_update(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], openid[STORE_OPENID_MAX];
    store_user_t u, again, got;
    wx_err_t err = {0};
    bool created = false;
    int64_t n = 0;
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "oAlice", openid, sizeof(openid));

    store_wechat_login_t in = login_of(pool, "wx0123456789abcdef", openid, NULL);
    in.nickname = "Alice";
    in.photo = "https://img.example/a.png";
    in.gender = "F";
    in.country = "CN";
    in.province = "Guangdong";
    in.city = "Shenzhen";
    in.raw_profile = "{\"nickname\":\"Alice\"}";
    in.ip = "192.0.2.1";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_true(created);
    assert_true(is_hex24(u.id));
    assert_string_equal(u.pool_id, pool);
    assert_string_equal(u.username, "Alice");
    assert_string_equal(u.nickname, "Alice");
    assert_string_equal(u.photo, "https://img.example/a.png");
    assert_string_equal(u.gender, "F");
    assert_string_equal(u.country, "CN");
    assert_string_equal(u.province, "Guangdong");
    assert_string_equal(u.city, "Shenzhen");
    assert_string_equal(u.openid, openid);
    assert_string_equal(u.unionid, "");
    assert_string_equal(u.last_ip, "192.0.2.1");
    assert_int_equal(u.logins_count, 1);
    assert_int_equal(u.last_login, T0);
    assert_int_equal(u.created_at, T0);
    assert_false(u.blocked);

    /* Second login: same user; given fields change, empty ones keep the stored value. */
    in.nickname = "";
    in.photo = "https://img.example/b.png";
    in.gender = NULL;
    in.country = NULL;
    in.ip = "192.0.2.2";
    in.now = T0 + 10;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &again, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(again.id, u.id);
    assert_int_equal(again.logins_count, 2);
    assert_string_equal(again.nickname, "Alice");
    assert_string_equal(again.username, "Alice");
    assert_string_equal(again.photo, "https://img.example/b.png");
    assert_string_equal(again.gender, "F");
    assert_string_equal(again.country, "CN");
    assert_string_equal(again.last_ip, "192.0.2.2");
    assert_int_equal(again.last_login, T0 + 10);
    assert_int_equal(again.created_at, T0);

    in.nickname = "Alice W";
    in.gender = "U";
    in.now = T0 + 20;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &again, &created, &err), WX_OK);
    assert_string_equal(again.nickname, "Alice W");
    assert_string_equal(again.username, "Alice"); /* the username is chosen once */
    assert_string_equal(again.gender, "U");
    assert_int_equal(again.logins_count, 3);

    assert_int_equal(store_user_get(fx->st, pool, u.id, &got, &err), WX_OK);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.nickname, "Alice W");
    assert_string_equal(got.openid, openid);
    assert_int_equal(got.logins_count, 3);
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_user_get(fx->st, pool, "000000000000000000000000", &got, &err),
                     WX_ENOENT);

    /* A snsapi_base login brings no profile: username from the openid, gender U. */
    store_wechat_login_t base = login_of(pool, "wx0123456789abcdef", "oBase1234567", NULL);
    assert_int_equal(store_user_upsert_wechat(fx->st, &base, &u, &created, &err), WX_OK);
    assert_true(created);
    assert_string_equal(u.username, "wx_oBase123");
    assert_string_equal(u.nickname, "");
    assert_string_equal(u.gender, "U");
    assert_int_equal(u.logins_count, 1);

    /* Required fields and the gender vocabulary. */
    base.openid = "";
    assert_int_equal(store_user_upsert_wechat(fx->st, &base, &u, &created, &err), WX_EINVAL);
    base.openid = "oOther";
    base.gender = "X";
    assert_int_equal(store_user_upsert_wechat(fx->st, &base, &u, &created, &err), WX_EINVAL);
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, 2);
    base = login_of("missing-pool", "wx0123456789abcdef", "oNoPool", NULL);
    assert_int_equal(store_user_upsert_wechat(fx->st, &base, &u, &created, &err), WX_ENOENT);
}

static void
test_user_unionid_links(void **state)
{
    fx_t *fx = *state;
    char pool_a[STORE_ID_MAX], pool_b[STORE_ID_MAX], o1[STORE_OPENID_MAX], o2[STORE_OPENID_MAX],
        o3[STORE_OPENID_MAX], uid[STORE_OPENID_MAX];
    store_user_t x, y, z;
    wx_err_t err = {0};
    bool created = false;
    int64_t n = 0;
    put_pool(fx, "a", pool_a, sizeof(pool_a));
    put_pool(fx, "b", pool_b, sizeof(pool_b));
    tid(fx, "o1", o1, sizeof(o1));
    tid(fx, "o2", o2, sizeof(o2));
    tid(fx, "o3", o3, sizeof(o3));
    tid(fx, "union", uid, sizeof(uid));

    store_wechat_login_t in = login_of(pool_a, "wxaaaaaaaaaaaaaaa1", o1, uid);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &x, &created, &err), WX_OK);
    assert_true(created);
    assert_string_equal(x.unionid, uid);

    /* Another official account of the same Open Platform, same pool: same person. */
    in = login_of(pool_a, "wxaaaaaaaaaaaaaaa2", o2, uid);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &y, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(y.id, x.id);
    assert_string_equal(y.openid, o2);
    assert_string_equal(y.unionid, uid);
    assert_int_equal(y.logins_count, 2);

    /* The first identity again, this time without a unionid: the stored one is reported. */
    in = login_of(pool_a, "wxaaaaaaaaaaaaaaa1", o1, NULL);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &y, &created, &err), WX_OK);
    assert_string_equal(y.id, x.id);
    assert_string_equal(y.openid, o1);
    assert_string_equal(y.unionid, uid);

    /* Same unionid in another pool: a different user. */
    in = login_of(pool_b, "wxbbbbbbbbbbbbbbb1", o3, uid);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &z, &created, &err), WX_OK);
    assert_true(created);
    assert_string_not_equal(z.id, x.id);
    assert_string_equal(z.pool_id, pool_b);
    assert_int_equal(store_user_count(fx->st, pool_a, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_user_count(fx->st, pool_b, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_user_get(fx->st, pool_b, x.id, &y, &err), WX_ENOENT);

    /* (appid, openid) is one identity: it never logs into another pool's user. */
    in = login_of(pool_b, "wxaaaaaaaaaaaaaaa1", o1, NULL);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &y, &created, &err), WX_EEXIST);
    assert_false(created);
    assert_int_equal(store_user_count(fx->st, pool_b, &n, &err), WX_OK);
    assert_int_equal(n, 1);
}

/* Issue 15: a pool's Open Platform website connection next to its service-account one, and
 * the pool's desktop login method. */
static bool
conn_type_seen(const store_conn_t *c, void *arg)
{
    char *types = arg;
    size_t n = strlen(types);
    snprintf(types + n, 128 - n, "%s=%s;", c->identifier, c->type);
    return true;
}

static void
test_conn_types(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], solo[STORE_ID_MAX], types[128] = "";
    store_conn_t c = {0}, got;
    store_pool_t p;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    put_pool(fx, "solo", solo, sizeof(solo));
    assert_int_equal(store_conn_of_type(fx->st, pool, STORE_CONN_OPEN, &got, &err), WX_ENOENT);

    /* The website app is the oldest connection of the pool, and has no default identifier. */
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "wechat:qrconnect");
    snprintf(c.type, sizeof(c.type), STORE_CONN_OPEN);
    snprintf(c.appid, sizeof(c.appid), "wx00000000000000aa");
    snprintf(c.app_secret, sizeof(c.app_secret), "web-secret");
    snprintf(c.scope, sizeof(c.scope), "snsapi_login");
    snprintf(c.callback_url, sizeof(c.callback_url), "#");
    c.created_at = 100;
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    put_conn(fx, pool, "custom-mp", 200); /* type not given: a service account */
    assert_int_equal(store_conn_get(fx->st, pool, "wechat:qrconnect", &got, &err), WX_OK);
    assert_string_equal(got.type, STORE_CONN_OPEN);
    assert_string_equal(got.scope, "snsapi_login");
    assert_string_equal(got.app_secret, "web-secret");
    assert_int_equal(store_conn_get(fx->st, pool, "custom-mp", &got, &err), WX_OK);
    assert_string_equal(got.type, STORE_CONN_MP);

    /* A phone's (pool-level) login never lands on the website app, older as it is. */
    assert_int_equal(store_conn_default(fx->st, pool, &got, &err), WX_OK);
    assert_string_equal(got.identifier, "custom-mp");
    assert_int_equal(store_conn_of_type(fx->st, pool, STORE_CONN_OPEN, &got, &err), WX_OK);
    assert_string_equal(got.identifier, "wechat:qrconnect");
    assert_string_equal(got.appid, "wx00000000000000aa");
    assert_int_equal(store_conn_of_type(fx->st, pool, STORE_CONN_MP, &got, &err), WX_OK);
    assert_string_equal(got.identifier, "custom-mp");
    assert_int_equal(store_conn_list(fx->st, pool, conn_type_seen, types, &err), WX_OK);
    assert_string_equal(types, "wechat:qrconnect=wechat_open;custom-mp=wechat_mp;");

    /* A pool with only a website app: that is all it has. */
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", solo);
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_default(fx->st, solo, &got, &err), WX_OK);
    assert_string_equal(got.type, STORE_CONN_OPEN);
    assert_int_equal(store_conn_of_type(fx->st, solo, STORE_CONN_MP, &got, &err), WX_ENOENT);

    /* The type can be changed by a put (the admin API refuses it), and only to a known one. */
    snprintf(c.type, sizeof(c.type), "wechat_app");
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "connection type"));
    assert_int_equal(store_conn_get(fx->st, solo, c.identifier, &got, &err), WX_OK);
    assert_string_equal(got.type, STORE_CONN_OPEN);

    /* The pool's desktop method round-trips; a pool written without one has "". */
    assert_int_equal(store_pool_get(fx->st, pool, &p, &err), WX_OK);
    assert_string_equal(p.desktop_method, "");
    snprintf(p.desktop_method, sizeof(p.desktop_method), "qrconnect");
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, pool, &p, &err), WX_OK);
    assert_string_equal(p.desktop_method, "qrconnect");
}

static bool
count_identities(const store_identity_t *i, void *arg)
{
    (void)i;
    (*(int *)arg)++;
    return true;
}

/* The same person through the service account and through the website app: one user, whose
 * id (the tokens' sub) never changes, whichever connection comes first or next. */
static void
test_user_unionid_across_types(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], om[STORE_OPENID_MAX], ow[STORE_OPENID_MAX], u1[STORE_OPENID_MAX],
        om2[STORE_OPENID_MAX], ow2[STORE_OPENID_MAX], u2[STORE_OPENID_MAX];
    store_user_t a, b, c;
    wx_err_t err = {0};
    bool created = false;
    int64_t n = 0;
    int idents = 0;
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "om", om, sizeof(om));
    tid(fx, "ow", ow, sizeof(ow));
    tid(fx, "u1", u1, sizeof(u1));
    tid(fx, "om2", om2, sizeof(om2));
    tid(fx, "ow2", ow2, sizeof(ow2));
    tid(fx, "u2", u2, sizeof(u2));

    /* Website app first (a desktop), then the service account (a phone). */
    store_wechat_login_t in = login_of(pool, "wx00000000000000aa", ow, u1);
    in.provider = "wechat:qrconnect";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &a, &created, &err), WX_OK);
    assert_true(created);
    in = login_of(pool, "wx0123456789abcdef", om, u1);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &b, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(b.id, a.id);
    assert_string_equal(b.openid, om);
    /* Back on the desktop: still the same user, each identity its own openid. */
    in = login_of(pool, "wx00000000000000aa", ow, u1);
    in.provider = "wechat:qrconnect";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &c, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(c.id, a.id);
    assert_string_equal(c.openid, ow);
    assert_int_equal(c.logins_count, 3);
    assert_int_equal(store_user_identities(fx->st, a.id, count_identities, &idents, &err), WX_OK);
    assert_int_equal(idents, 2);

    /* A service-account login without a unionid (snsapi_base) cannot be linked: the website
     * login makes a second user. Once made, each identity keeps its user (its sub), even
     * when the service account later brings the unionid (snsapi_userinfo): never moved. */
    in = login_of(pool, "wx0123456789abcdef", om2, NULL);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &a, &created, &err), WX_OK);
    assert_true(created);
    in = login_of(pool, "wx00000000000000aa", ow2, u2);
    in.provider = "wechat:qrconnect";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &b, &created, &err), WX_OK);
    assert_true(created);
    assert_string_not_equal(b.id, a.id);
    in = login_of(pool, "wx0123456789abcdef", om2, u2);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &c, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(c.id, a.id);
    in = login_of(pool, "wx00000000000000aa", ow2, u2);
    in.provider = "wechat:qrconnect";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &c, &created, &err), WX_OK);
    assert_string_equal(c.id, b.id);
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, 3);
}

static void
test_user_username_collision(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], o1[STORE_OPENID_MAX], o2[STORE_OPENID_MAX], o3[STORE_OPENID_MAX],
        o4[STORE_OPENID_MAX], wide[STORE_NAME_MAX];
    store_user_t a, b;
    wx_err_t err = {0};
    bool created = false;
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "o1", o1, sizeof(o1));
    tid(fx, "o2", o2, sizeof(o2));
    tid(fx, "o3", o3, sizeof(o3));
    tid(fx, "o4", o4, sizeof(o4));

    store_wechat_login_t in = login_of(pool, "wx0123456789abcdef", o1, NULL);
    in.nickname = "Bob";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &a, &created, &err), WX_OK);
    assert_string_equal(a.username, "Bob");
    in.openid = o2;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &b, &created, &err), WX_OK);
    assert_true(created);
    assert_string_not_equal(b.id, a.id);
    assert_string_equal(b.nickname, "Bob");
    assert_int_equal(strlen(b.username), strlen("Bob_xxxx"));
    assert_memory_equal(b.username, "Bob_", 4);
    for (int i = 4; i < 8; i++)
        assert_non_null(strchr("0123456789abcdef", b.username[i]));

    /* A nickname at the size limit is shortened on a character boundary to fit the suffix. */
    for (int i = 0; i < 42; i++) /* 42 x a 3-byte character = 126 bytes */
        memcpy(wide + 3 * i, "\xe5\xbe\xae", 3);
    wide[126] = '\0';
    in.nickname = wide;
    in.openid = o3;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &a, &created, &err), WX_OK);
    assert_string_equal(a.username, wide);
    in.openid = o4;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &b, &created, &err), WX_OK);
    assert_true(strlen(b.username) < STORE_NAME_MAX);
    size_t cut = strlen(b.username) - 5;
    assert_int_equal(cut % 3, 0);
    assert_memory_equal(b.username, wide, cut);
    assert_int_equal(b.username[cut], '_');
    assert_string_equal(b.nickname, wide);
}

static void
test_user_blocked(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], o1[STORE_OPENID_MAX], o2[STORE_OPENID_MAX], uid[STORE_OPENID_MAX];
    store_user_t u, got;
    wx_err_t err = {0};
    bool created = true;
    int64_t n = 0;
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "o1", o1, sizeof(o1));
    tid(fx, "o2", o2, sizeof(o2));
    tid(fx, "union", uid, sizeof(uid));

    store_wechat_login_t in = login_of(pool, "wxaaaaaaaaaaaaaaa1", o1, uid);
    in.nickname = "Carol";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_int_equal(store_user_set_blocked(fx->st, pool, u.id, true, &err), WX_OK);
    assert_int_equal(store_user_get(fx->st, pool, u.id, &got, &err), WX_OK);
    assert_true(got.blocked);

    in.nickname = "Mallory";
    in.now = T0 + 50;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &got, &created, &err), WX_EDENIED);
    assert_non_null(strstr(err.msg, "blocked"));
    assert_false(created);
    /* Linking a new official account to the blocked person is refused too. */
    in = login_of(pool, "wxaaaaaaaaaaaaaaa2", o2, uid);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &got, &created, &err), WX_EDENIED);

    /* Nothing was written. */
    assert_int_equal(store_user_get(fx->st, pool, u.id, &got, &err), WX_OK);
    assert_int_equal(got.logins_count, 1);
    assert_int_equal(got.last_login, T0);
    assert_string_equal(got.nickname, "Carol");
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, 1);

    assert_int_equal(store_user_set_blocked(fx->st, pool, u.id, false, &err), WX_OK);
    in = login_of(pool, "wxaaaaaaaaaaaaaaa1", o1, uid);
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &got, &created, &err), WX_OK);
    assert_false(created);
    assert_int_equal(got.logins_count, 2);
    assert_false(got.blocked);

    assert_int_equal(store_user_set_blocked(fx->st, pool, "000000000000000000000000", true, &err),
                     WX_ENOENT);
}

/* ---- login states ---- */

static void
make_state(fx_t *fx, const char *pool, const char *prefix, int64_t created, int64_t expires,
           store_state_t *s)
{
    wx_err_t err = {0};
    memset(s, 0, sizeof(*s));
    assert_true((size_t)snprintf(s->id, sizeof(s->id), "%s%s", prefix, fx->tag) < sizeof(s->id));
    snprintf(s->pool_id, sizeof(s->pool_id), "%s", pool);
    snprintf(s->conn_identifier, sizeof(s->conn_identifier), "wechat:webpage-authorization");
    snprintf(s->redirect, sizeof(s->redirect), "https://biz.example/cb?x=%s", prefix);
    snprintf(s->browser, sizeof(s->browser), BROWSER_A);
    snprintf(s->scope, sizeof(s->scope), "snsapi_userinfo");
    snprintf(s->options, sizeof(s->options), "with_identities=1");
    snprintf(s->oidc, sizeof(s->oidc), "oidc:1 m=query&s=xyz&n=&c=&p=openid");
    s->created_at = created;
    s->expires_at = expires;
    assert_int_equal(store_state_create(fx->st, s, &err), WX_OK);
}

static void
test_state_claim(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_state_t *s = calloc(1, sizeof(*s)), *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    assert_non_null(s);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));
    make_state(fx, pool, "live", T0, T0 + 600, s);

    assert_int_equal(store_state_claim(fx->st, "unknown", BROWSER_A, T0, out, &err), WX_ENOENT);
    assert_int_equal(store_state_claim(fx->st, NULL, BROWSER_A, T0, out, &err), WX_ENOENT);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_B, T0, out, &err), WX_EDENIED);
    assert_int_equal(store_state_claim(fx->st, s->id, NULL, T0, out, &err), WX_EDENIED);

    /* The wrong browser changed nothing: the right one can still claim. */
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 5, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_STATE_CLAIMED);
    assert_int_equal(out->claimed_at, T0 + 5);
    assert_string_equal(out->id, s->id);
    assert_string_equal(out->pool_id, pool);
    assert_string_equal(out->conn_identifier, "wechat:webpage-authorization");
    assert_string_equal(out->redirect, s->redirect);
    assert_string_equal(out->scope, "snsapi_userinfo");
    assert_string_equal(out->options, "with_identities=1");
    assert_string_equal(out->oidc, "oidc:1 m=query&s=xyz&n=&c=&p=openid");
    assert_int_equal(out->created_at, T0);
    assert_int_equal(out->expires_at, T0 + 600);

    memset(out, 0, sizeof(*out));
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 6, out, &err), WX_EUSED);
    assert_int_equal(out->status, STORE_STATE_CLAIMED);
    assert_int_equal(out->claimed_at, T0 + 5);
    assert_string_equal(out->redirect, s->redirect);

    assert_int_equal(store_state_finish(fx->st, s->id, "https://biz.example/cb?code=200", &err),
                     WX_OK);
    memset(out, 0, sizeof(*out));
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 7, out, &err), WX_EUSED);
    assert_int_equal(out->status, STORE_STATE_DONE);
    assert_int_equal(out->claimed_at, T0 + 5);
    assert_string_equal(out->result, "https://biz.example/cb?code=200");
    /* Even done, another browser learns nothing. */
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_B, T0 + 7, out, &err), WX_EDENIED);
    assert_string_equal(out->result, "");
    assert_int_not_equal(store_state_finish(fx->st, s->id, "https://again", &err), WX_OK);
    assert_int_equal(store_state_finish(fx->st, "unknown", "https://x", &err), WX_ENOENT);

    /* Expiry: at expires_at the state is dead. The caller gets its redirect, and the state is
     * claimed, so the error outcome it finishes with is replayed like any other. */
    make_state(fx, pool, "old", T0, T0 + 60, s);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_B, T0 + 60, out, &err),
                     WX_EDENIED); /* the browser check comes first */
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 60, out, &err), WX_EEXPIRED);
    assert_string_equal(out->redirect, s->redirect);
    assert_int_equal(out->status, STORE_STATE_CLAIMED);
    assert_int_equal(out->claimed_at, T0 + 60);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 61, out, &err), WX_EUSED);
    assert_int_equal(out->status, STORE_STATE_CLAIMED);
    assert_int_equal(out->claimed_at, T0 + 60);
    assert_int_equal(store_state_finish(fx->st, s->id, "https://biz.example/cb?code=2244", &err),
                     WX_OK);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 62, out, &err), WX_EUSED);
    assert_int_equal(out->status, STORE_STATE_DONE);
    assert_string_equal(out->result, "https://biz.example/cb?code=2244");
    /* A state never claimed cannot be finished. */
    make_state(fx, pool, "pending", T0, T0 + 60, s);
    assert_int_not_equal(store_state_finish(fx->st, s->id, "https://x", &err), WX_OK);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0, out, &err), WX_OK);

    /* Ids are unique; states belong to an existing pool. */
    wx_err_clear(&err);
    assert_int_equal(store_state_create(fx->st, s, &err), WX_EEXIST);
    snprintf(s->id, sizeof(s->id), "nopool%s", fx->tag);
    snprintf(s->pool_id, sizeof(s->pool_id), "missing-pool");
    assert_int_equal(store_state_create(fx->st, s, &err), WX_ENOENT);
    free(s);
    free(out);
}

static void
test_state_prune(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_state_t *s = calloc(1, sizeof(*s)), *out = calloc(1, sizeof(*out));
    char a[STORE_ID_MAX], b[STORE_ID_MAX], c[STORE_ID_MAX], d[STORE_ID_MAX];
    wx_err_t err = {0};
    int64_t deleted = -1, now = T0 + 1000;
    assert_non_null(s);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));
    make_state(fx, pool, "pa", now - 700, now - 100, s); /* expired, never claimed: goes */
    snprintf(a, sizeof(a), "%s", s->id);
    make_state(fx, pool, "pb", now - 10, now + 100, s); /* still live: stays */
    snprintf(b, sizeof(b), "%s", s->id);
    make_state(fx, pool, "pc", now - 300, now - 50, s); /* claimed recently: kept for replays */
    snprintf(c, sizeof(c), "%s", s->id);
    assert_int_equal(store_state_claim(fx->st, c, BROWSER_A, now - 60, out, &err), WX_OK);
    make_state(fx, pool, "pd", now - 300, now - 150, s); /* claimed long ago: goes */
    snprintf(d, sizeof(d), "%s", s->id);
    assert_int_equal(store_state_claim(fx->st, d, BROWSER_A, now - 200, out, &err), WX_OK);

    assert_int_equal(store_state_prune(fx->st, now, 100, &deleted, &err), WX_OK);
    assert_true(deleted >= 2);
    if (!getenv("WX_TEST_STORE_URL"))
        assert_int_equal(deleted, 2);
    assert_int_equal(store_state_claim(fx->st, a, BROWSER_A, now, out, &err), WX_ENOENT);
    assert_int_equal(store_state_claim(fx->st, d, BROWSER_A, now, out, &err), WX_ENOENT);
    assert_int_equal(store_state_claim(fx->st, c, BROWSER_A, now, out, &err), WX_EUSED);
    assert_int_equal(store_state_claim(fx->st, b, BROWSER_A, now, out, &err), WX_OK);
    free(s);
    free(out);
}

/* Pending states counted per client address and in all, up to a limit; a finished state's
 * result emptied once claimed before the cutoff (issue #12: caps on unfinished logins, and no
 * login record kept past the replay window). */
static void
test_state_pending_count_and_results_clear(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], ip[64], other[64], done[STORE_ID_MAX];
    store_state_t *s = calloc(1, sizeof(*s)), *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    int64_t now = T0 + 5000, n = -1;
    assert_non_null(s);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));
    snprintf(ip, sizeof(ip), "10.9.%s", fx->tag);
    snprintf(other, sizeof(other), "10.8.%s", fx->tag);
    const struct {
        const char *prefix;
        const char *ip;
        int64_t expires;
    } rows[] = {{"qa", ip, now + 100},
                {"qb", ip, now + 100},
                {"qc", ip, now - 1},
                {"qd", ip, now + 100},
                {"qe", other, now + 100}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        make_state(fx, pool, rows[i].prefix, now - 10, rows[i].expires, s);
        /* make_state stores no address: this one again, with it */
        snprintf(s->id, sizeof(s->id), "%sip%s", rows[i].prefix, fx->tag);
        snprintf(s->client_ip, sizeof(s->client_ip), "%s", rows[i].ip);
        assert_int_equal(store_state_create(fx->st, s, &err), WX_OK);
    }
    snprintf(done, sizeof(done), "qdip%s", fx->tag);
    assert_int_equal(store_state_claim(fx->st, done, BROWSER_A, now - 50, out, &err), WX_OK);
    assert_int_equal(store_state_finish(fx->st, done, "result-x", &err), WX_OK);

    /* qa, qb: pending and live; qc expired; qd claimed; qe another address. */
    assert_int_equal(store_state_pending_count(fx->st, ip, now, 100, &n, &err), WX_OK);
    assert_int_equal(n, 2);
    assert_int_equal(store_state_pending_count(fx->st, ip, now, 1, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_state_pending_count(fx->st, other, now, 100, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_state_pending_count(fx->st, NULL, now, 1000000, &n, &err), WX_OK);
    assert_true(n >= 3 + 4); /* and the 4 live ones make_state stored without an address */
    assert_int_equal(store_state_pending_count(fx->st, NULL, now, 3, &n, &err), WX_OK);
    assert_int_equal(n, 3);

    int64_t cleared = -1;
    assert_int_equal(store_state_results_clear(fx->st, now - 100, &cleared, &err), WX_OK);
    assert_int_equal(store_state_claim(fx->st, done, BROWSER_A, now, out, &err), WX_EUSED);
    assert_string_equal(out->result, "result-x"); /* claimed after the cutoff: kept */
    assert_int_equal(store_state_results_clear(fx->st, now, &cleared, &err), WX_OK);
    assert_true(cleared >= 1);
    assert_int_equal(store_state_claim(fx->st, done, BROWSER_A, now, out, &err), WX_EUSED);
    assert_string_equal(out->result, "");
    assert_int_equal(out->status, STORE_STATE_DONE);
    free(s);
    free(out);
}

typedef struct {
    store_t *st;
    const char *id;
    pthread_barrier_t *go;
    wx_status_t rc;
} claimer_t;

static void *
claimer_run(void *arg)
{
    claimer_t *c = arg;
    store_state_t *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    pthread_barrier_wait(c->go);
    c->rc = out ? store_state_claim(c->st, c->id, BROWSER_A, T0, out, &err) : WX_ENOMEM;
    if (c->rc == WX_EUSED && out->status != STORE_STATE_CLAIMED)
        c->rc = WX_EINVAL; /* the loser must see the winner's claim */
    free(out);
    return NULL;
}

/* Two connections claiming one state at the same instant: exactly one wins, every time. */
static void
test_state_claim_race(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], prefix[16];
    store_state_t *s = calloc(1, sizeof(*s));
    store_t *st[2] = {NULL, NULL};
    wx_err_t err = {0};
    assert_non_null(s);
    put_pool(fx, "pool", pool, sizeof(pool));
    for (int i = 0; i < 2; i++)
        assert_int_equal(store_open(fx->url, &st[i], &err), WX_OK);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        pthread_t th[2];
        claimer_t c[2];
        pthread_barrier_t go;
        int ok = 0, used = 0;
        snprintf(prefix, sizeof(prefix), "race%d", round);
        make_state(fx, pool, prefix, T0, T0 + 600, s);
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        for (int i = 0; i < 2; i++) {
            c[i] = (claimer_t){.st = st[i], .id = s->id, .go = &go};
            assert_int_equal(pthread_create(&th[i], NULL, claimer_run, &c[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < 2; i++) {
            ok += c[i].rc == WX_OK;
            used += c[i].rc == WX_EUSED;
        }
        if (ok != 1 || used != 1)
            fail_msg("round %d: results %s and %s", round, wx_status_str(c[0].rc),
                     wx_status_str(c[1].rc));
    }
    for (int i = 0; i < 2; i++)
        store_close(st[i]);
    free(s);
}

typedef struct {
    store_t *st;
    store_wechat_login_t in;
    pthread_barrier_t *go;
    wx_status_t rc;
    bool created;
    char user_id[STORE_ID_MAX];
    char username[STORE_NAME_MAX];
} upserter_t;

static void *
upserter_run(void *arg)
{
    upserter_t *u = arg;
    store_user_t *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    pthread_barrier_wait(u->go);
    u->rc = out ? store_user_upsert_wechat(u->st, &u->in, out, &u->created, &err) : WX_ENOMEM;
    if (out) {
        snprintf(u->user_id, sizeof(u->user_id), "%s", out->id);
        snprintf(u->username, sizeof(u->username), "%s", out->username);
    }
    free(out);
    return NULL;
}

/* The first login of one person on two connections (two nodes) at the same instant: both
 * succeed, as the same new user; and two new people with the same nickname at once both get
 * in, with different usernames. */
/* Users brought from Authing's export (store_user_import): ids kept, reruns change nothing,
 * conflicts named, and a later WeChat login finds the imported user. */
static void
test_user_import(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], other[STORE_ID_MAX], id[STORE_ID_MAX], openid[STORE_OPENID_MAX];
    char got_id[STORE_ID_MAX], id2[STORE_ID_MAX];
    store_import_outcome_t oc;
    store_user_t u;
    wx_err_t err = {0};
    bool created = true;
    put_pool(fx, "imp", pool, sizeof(pool));
    put_pool(fx, "imp2", other, sizeof(other));
    tid(fx, "uimp", id, sizeof(id));
    tid(fx, "oImp", openid, sizeof(openid));
    store_user_import_t in = {.pool_id = pool,
                              .id = id,
                              .nickname = "导入的用户",
                              .photo = "https://img.example/i.png",
                              .gender = "F",
                              .provider = "wechat:webpage-authorization",
                              .appid = "wx0123456789abcdef",
                              .openid = openid,
                              .unionid = "uImp",
                              .logins_count = 7,
                              .last_login = T0 - 100,
                              .created_at = T0 - 1000,
                              .now = T0};
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_OK);
    assert_int_equal(oc, STORE_IMPORT_CREATED);
    assert_string_equal(got_id, id);
    assert_int_equal(store_user_get(fx->st, pool, id, &u, &err), WX_OK);
    assert_string_equal(u.nickname, "导入的用户");
    assert_string_equal(u.username, "导入的用户");
    assert_string_equal(u.gender, "F");
    assert_int_equal(u.logins_count, 7);
    assert_int_equal(u.created_at, T0 - 1000);

    /* The same import again: nothing written. */
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_OK);
    assert_int_equal(oc, STORE_IMPORT_EXISTS);
    assert_string_equal(got_id, id);

    /* The person logs in with WeChat: the imported user, its id kept (tokens' sub). */
    store_wechat_login_t lg = login_of(pool, "wx0123456789abcdef", openid, "uImp");
    assert_int_equal(store_user_upsert_wechat(fx->st, &lg, &u, &created, &err), WX_OK);
    assert_false(created);
    assert_string_equal(u.id, id);
    assert_int_equal(u.logins_count, 8);

    /* The openid under another id: refused, naming whose it is. */
    tid(fx, "uimpX", id2, sizeof(id2));
    in.id = id2;
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_EEXIST);
    assert_non_null(strstr(err.msg, id));
    assert_int_equal(store_user_get(fx->st, pool, id2, &u, &err), WX_ENOENT);

    /* A second identity (another official account) for the same id: linked. */
    in.id = id;
    in.appid = "wxfedcba9876543210";
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_OK);
    assert_int_equal(oc, STORE_IMPORT_LINKED);

    /* The id held by a user of another pool: refused. */
    in.pool_id = other;
    in.appid = "wx1111111111111111";
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_EEXIST);
    assert_non_null(strstr(err.msg, pool));

    /* No id: one is drawn; a taken username gets a suffix, as at a login. */
    in.pool_id = pool;
    in.id = NULL;
    in.appid = "wx2222222222222222";
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_OK);
    assert_int_equal(oc, STORE_IMPORT_CREATED);
    assert_true(is_hex24(got_id));
    assert_int_equal(store_user_get(fx->st, pool, got_id, &u, &err), WX_OK);
    assert_string_not_equal(u.username, "导入的用户");
    assert_true(strncmp(u.username, "导入的用户_", strlen("导入的用户_")) == 0);

    /* Refused before anything is written. */
    in.openid = NULL;
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_EINVAL);
    in.openid = "x";
    in.gender = "X";
    assert_int_equal(store_user_import(fx->st, &in, &oc, got_id, &err), WX_EINVAL);
}

static bool
stat_row(const store_login_stat_t *s, void *arg)
{
    store_login_stat_t *rows = arg;
    for (int i = 0; i < 8; i++)
        if (!rows[i].count) {
            rows[i] = *s;
            return true;
        }
    return false;
}

/* Logins per hour and outcome for the console's dashboard (store_login_stats). */
static void
test_login_stats(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], other[STORE_ID_MAX];
    store_login_stat_t rows[8];
    wx_err_t err = {0};
    put_pool(fx, "stats", pool, sizeof(pool));
    put_pool(fx, "stats2", other, sizeof(other));
    const int64_t h0 = (T0 / 3600) * 3600;
    const struct {
        int64_t at;
        const char *pool, *action, *outcome;
    } ev[] = {
        {h0 - 7200, pool, "login", "ok"},           /* before the window */
        {h0 + 10, pool, "login", "ok:new_user"},    /* hour h0 */
        {h0 + 20, pool, "login", "ok"},             /* hour h0 */
        {h0 + 30, pool, "login", "ok"},             /* hour h0 */
        {h0 + 3601, pool, "login", "wechat_error"}, /* hour h0 + 1 */
        {h0 + 3602, pool, "user.block", "ok"},      /* not a login */
        {h0 + 3603, other, "login", "ok"},          /* another pool */
    };
    for (size_t i = 0; i < WX_ARRAY_LEN(ev); i++) {
        store_audit_t a = {.at = ev[i].at,
                           .pool_id = ev[i].pool,
                           .actor = "u",
                           .action = ev[i].action,
                           .outcome = ev[i].outcome};
        assert_int_equal(store_audit_add(fx->st, &a, &err), WX_OK);
    }
    memset(rows, 0, sizeof(rows));
    assert_int_equal(store_login_stats(fx->st, pool, h0, stat_row, rows, &err), WX_OK);
    assert_int_equal(rows[0].hour, h0 / 3600);
    assert_string_equal(rows[0].outcome, "ok");
    assert_int_equal(rows[0].count, 2);
    assert_int_equal(rows[1].hour, h0 / 3600);
    assert_string_equal(rows[1].outcome, "ok:new_user");
    assert_int_equal(rows[1].count, 1);
    assert_int_equal(rows[2].hour, h0 / 3600 + 1);
    assert_string_equal(rows[2].outcome, "wechat_error");
    assert_int_equal(rows[2].count, 1);
    assert_int_equal(rows[3].count, 0);
}

static void
test_user_upsert_race(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_t *st[2] = {NULL, NULL};
    wx_err_t err = {0};
    int64_t n = 0;
    put_pool(fx, "pool", pool, sizeof(pool));
    for (int i = 0; i < 2; i++)
        assert_int_equal(store_open(fx->url, &st[i], &err), WX_OK);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        char openid[2][STORE_OPENID_MAX], name[32];
        pthread_t th[2];
        upserter_t u[2];
        pthread_barrier_t go;
        bool same_person = round % 2 == 0;
        snprintf(name, sizeof(name), "up%d_", round);
        tid(fx, name, openid[0], sizeof(openid[0]));
        assert_true(strlen(openid[0]) + 2 <= sizeof(openid[1]));
        memcpy(openid[1], openid[0], strlen(openid[0]));
        memcpy(openid[1] + strlen(openid[0]), "b", 2);
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        for (int i = 0; i < 2; i++) {
            u[i] = (upserter_t){.st = st[i], .go = &go};
            u[i].in = login_of(pool, "wx0123456789abcdef", openid[same_person ? 0 : i], NULL);
            u[i].in.nickname = "Racer";
            assert_int_equal(pthread_create(&th[i], NULL, upserter_run, &u[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        if (u[0].rc != WX_OK || u[1].rc != WX_OK)
            fail_msg("round %d: results %s and %s", round, wx_status_str(u[0].rc),
                     wx_status_str(u[1].rc));
        if (same_person) {
            assert_string_equal(u[0].user_id, u[1].user_id);
            assert_int_equal(u[0].created + u[1].created, 1);
        } else {
            assert_string_not_equal(u[0].user_id, u[1].user_id);
            assert_string_not_equal(u[0].username, u[1].username);
            assert_true(u[0].created && u[1].created);
        }
    }
    assert_int_equal(store_user_count(fx->st, pool, &n, &err), WX_OK);
    assert_int_equal(n, RACE_ROUNDS / 2 + 2 * (RACE_ROUNDS / 2));
    for (int i = 0; i < 2; i++)
        store_close(st[i]);
}

/* Processes say they are alive; a claim names the process working on it. */
static void
test_nodes_and_claim_owner(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], node[STORE_ID_MAX];
    store_state_t *s = calloc(1, sizeof(*s)), *out = calloc(1, sizeof(*out));
    store_node_t n;
    wx_err_t err = {0};
    int64_t deleted = 0;
    assert_non_null(s);
    assert_non_null(out);
    tid(fx, "node", node, sizeof(node));
    assert_int_equal(store_node_get(fx->st, node, &n, &err), WX_ENOENT);
    assert_int_equal(store_node_seen(fx->st, node, "host-a", 4242, T0, &err), WX_OK);
    assert_int_equal(store_node_seen(fx->st, node, "host-a", 4242, T0 + 5, &err), WX_OK);
    assert_int_equal(store_node_get(fx->st, node, &n, &err), WX_OK);
    assert_string_equal(n.id, node);
    assert_string_equal(n.host, "host-a");
    assert_int_equal(n.pid, 4242);
    assert_int_equal(n.started_at, T0);
    assert_int_equal(n.seen_at, T0 + 5);
    assert_int_equal(store_node_seen(fx->st, "", "h", 1, T0, &err), WX_EINVAL);

    put_pool(fx, "pool", pool, sizeof(pool));
    make_state(fx, pool, "own", T0, T0 + 600, s);
    assert_int_equal(store_state_claim_as(fx->st, s->id, BROWSER_A, T0 + 1, node, out, &err),
                     WX_OK);
    assert_string_equal(out->claim_owner, node);
    /* A reload sees who has it. */
    assert_int_equal(store_state_claim_as(fx->st, s->id, BROWSER_A, T0 + 2, "other", out, &err),
                     WX_EUSED);
    assert_string_equal(out->claim_owner, node);
    assert_int_equal(out->claimed_at, T0 + 1);
    /* The plain claim records no owner. */
    make_state(fx, pool, "noown", T0, T0 + 600, s);
    assert_int_equal(store_state_claim(fx->st, s->id, BROWSER_A, T0 + 1, out, &err), WX_OK);
    assert_string_equal(out->claim_owner, "");

    assert_int_equal(store_node_prune(fx->st, T0 + 6, &deleted, &err), WX_OK);
    assert_true(deleted >= 1);
    assert_int_equal(store_node_get(fx->st, node, &n, &err), WX_ENOENT);
    free(s);
    free(out);
}

/* ---- signing keys ---- */

typedef struct {
    const char *tag;
    char kids[8][STORE_ID_MAX];
    int n;
    int calls;
    int stop_after; /* 0: never stop */
} key_walk_t;

static bool
key_collect(const store_key_t *k, void *arg)
{
    key_walk_t *w = arg;
    w->calls++;
    if (strstr(k->kid, w->tag) && w->n < 8)
        snprintf(w->kids[w->n++], STORE_ID_MAX, "%s", k->kid);
    return w->stop_after == 0 || w->calls < w->stop_after;
}

static void
add_key(fx_t *fx, const char *name, const char *alg, int64_t created, int64_t retired)
{
    store_key_t *k = calloc(1, sizeof(*k));
    wx_err_t err = {0};
    assert_non_null(k);
    tid(fx, name, k->kid, sizeof(k->kid));
    snprintf(k->alg, sizeof(k->alg), "%s", alg);
    snprintf(k->private_pem, sizeof(k->private_pem),
             "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", name);
    k->created_at = created;
    k->retired_at = retired;
    assert_int_equal(store_key_add(fx->st, k, &err), WX_OK);
    free(k);
}

static void
test_keys(void **state)
{
    fx_t *fx = *state;
    char alg[16], other[16], want[STORE_ID_MAX];
    store_key_t *k = calloc(1, sizeof(*k));
    wx_err_t err = {0};
    key_walk_t w = {.tag = fx->tag};
    assert_non_null(k);
    snprintf(alg, sizeof(alg), "A%s", fx->tag); /* per-test algs keep a shared DB honest */
    snprintf(other, sizeof(other), "B%s", fx->tag);
    assert_int_equal(store_key_current(fx->st, alg, k, &err), WX_ENOENT);

    add_key(fx, "k1", alg, 100, 150); /* retired */
    add_key(fx, "k2", alg, 200, 250); /* retired */
    add_key(fx, "k3", alg, 200, 0);   /* the one current key of alg */
    add_key(fx, "k4", alg, 300, 350); /* newest but retired */
    add_key(fx, "k5", other, 400, 0);

    /* A second current key of one alg is refused: nodes racing to make a first key cannot
     * both win. */
    store_key_t *dup = calloc(1, sizeof(*dup));
    assert_non_null(dup);
    tid(fx, "k6", dup->kid, sizeof(dup->kid));
    snprintf(dup->alg, sizeof(dup->alg), "%s", alg);
    snprintf(dup->private_pem, sizeof(dup->private_pem), "pem");
    assert_int_equal(store_key_add(fx->st, dup, &err), WX_EEXIST);
    free(dup);

    assert_int_equal(store_key_current(fx->st, alg, k, &err), WX_OK);
    tid(fx, "k3", want, sizeof(want));
    assert_string_equal(k->kid, want);
    assert_string_equal(k->alg, alg);
    assert_int_equal(k->created_at, 200);
    assert_int_equal(k->retired_at, 0);
    assert_non_null(strstr(k->private_pem, "\nk3\n"));
    assert_int_equal(store_key_current(fx->st, other, k, &err), WX_OK);
    tid(fx, "k5", want, sizeof(want));
    assert_string_equal(k->kid, want);

    /* Every key, retired too, newest first. */
    assert_int_equal(store_key_each(fx->st, key_collect, &w, &err), WX_OK);
    assert_int_equal(w.n, 5);
    const char *order[] = {"k5", "k4", "k3", "k2", "k1"};
    for (int i = 0; i < 5; i++) {
        tid(fx, order[i], want, sizeof(want));
        assert_string_equal(w.kids[i], want);
    }
    /* Returning false stops the walk. */
    key_walk_t stop = {.tag = fx->tag, .stop_after = 1};
    assert_int_equal(store_key_each(fx->st, key_collect, &stop, &err), WX_OK);
    assert_int_equal(stop.calls, 1);

    tid(fx, "k1", k->kid, sizeof(k->kid));
    snprintf(k->alg, sizeof(k->alg), "%s", alg);
    snprintf(k->private_pem, sizeof(k->private_pem), "pem");
    assert_int_equal(store_key_add(fx->st, k, &err), WX_EEXIST);
    free(k);
}

static void
test_key_rotate(void **state)
{
    fx_t *fx = *state;
    char alg[16], want[STORE_ID_MAX];
    store_key_t *k = calloc(1, sizeof(*k));
    wx_err_t err = {0};
    assert_non_null(k);
    snprintf(alg, sizeof(alg), "R%s", fx->tag);
    add_key(fx, "r1", alg, 100, 0);
    tid(fx, "r2", k->kid, sizeof(k->kid));
    snprintf(k->alg, sizeof(k->alg), "%s", alg);
    snprintf(k->private_pem, sizeof(k->private_pem), "pem2");
    k->created_at = 500;
    assert_int_equal(store_key_rotate(fx->st, k, 500, 900, &err), WX_OK);
    assert_int_equal(store_key_current(fx->st, alg, k, &err), WX_OK);
    tid(fx, "r2", want, sizeof(want));
    assert_string_equal(k->kid, want);
    /* The old key is retired at the rotation and published until its last token expires. */
    key_walk_t w = {.tag = fx->tag};
    assert_int_equal(store_key_each(fx->st, key_collect, &w, &err), WX_OK);
    bool seen = false;
    for (int i = 0; i < w.n; i++) {
        tid(fx, "r1", want, sizeof(want));
        seen |= strcmp(w.kids[i], want) == 0;
    }
    assert_true(seen);
    /* A failed rotation (duplicate kid) changes nothing. */
    assert_int_equal(store_key_rotate(fx->st, k, 600, 1000, &err), WX_EEXIST);
    assert_int_equal(store_key_current(fx->st, alg, k, &err), WX_OK);
    tid(fx, "r2", want, sizeof(want));
    assert_string_equal(k->kid, want);
    free(k);
}

static void
test_revocations(void **state)
{
    fx_t *fx = *state;
    char jti[STORE_ID_MAX], other[STORE_ID_MAX];
    wx_err_t err = {0};
    bool r = true;
    int64_t n = -1;
    tid(fx, "jti", jti, sizeof(jti));
    tid(fx, "jti2", other, sizeof(other));
    assert_int_equal(store_is_revoked(fx->st, jti, &r, &err), WX_OK);
    assert_false(r);
    assert_int_equal(store_revoke(fx->st, jti, 1000, 10, &err), WX_OK);
    assert_int_equal(store_revoke(fx->st, jti, 1000, 11, &err), WX_OK); /* idempotent */
    assert_int_equal(store_revoke(fx->st, other, 5000, 10, &err), WX_OK);
    assert_int_equal(store_is_revoked(fx->st, jti, &r, &err), WX_OK);
    assert_true(r);
    assert_int_equal(store_is_revoked(fx->st, "' OR 1=1 --", &r, &err), WX_OK);
    assert_false(r);
    /* Kept until the token would have expired anyway, then pruned. */
    assert_int_equal(store_revocation_prune(fx->st, 2000, &n, &err), WX_OK);
    assert_true(n >= 1);
    assert_int_equal(store_is_revoked(fx->st, jti, &r, &err), WX_OK);
    assert_false(r);
    assert_int_equal(store_is_revoked(fx->st, other, &r, &err), WX_OK);
    assert_true(r);
    assert_int_equal(store_revoke(fx->st, "", 1, 1, &err), WX_EINVAL);
}

/* ---- audit ---- */

static void
test_audit(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], action[64], other[64];
    wx_err_t err = {0};
    int64_t n = -1;
    put_pool(fx, "pool", pool, sizeof(pool));
    snprintf(action, sizeof(action), "login.%s", fx->tag);
    snprintf(other, sizeof(other), "pool.create.%s", fx->tag);
    assert_int_equal(store_audit_count(fx->st, action, &n, &err), WX_OK);
    assert_int_equal(n, 0);
    for (int i = 0; i < 3; i++) {
        store_audit_t a = {.at = T0 + i,
                           .pool_id = pool,
                           .actor = "system",
                           .action = action,
                           .subject = i == 0 ? NULL : "oSubject",
                           .outcome = "ok"};
        assert_int_equal(store_audit_add(fx->st, &a, &err), WX_OK);
    }
    store_audit_t b = {.at = T0, .actor = "admin", .action = other, .outcome = "ok"};
    assert_int_equal(store_audit_add(fx->st, &b, &err), WX_OK);
    assert_int_equal(store_audit_count(fx->st, action, &n, &err), WX_OK);
    assert_int_equal(n, 3);
    assert_int_equal(store_audit_count(fx->st, other, &n, &err), WX_OK);
    assert_int_equal(n, 1);
}

/* ---- listing and deleting (admin) ---- */

typedef struct {
    int n;
    char ids[16][STORE_NAME_MAX];
    bool secret_seen;
    int stop_after;
} list_t;

static bool
list_pool(const store_pool_t *p, void *arg)
{
    list_t *l = arg;
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", p->id);
    l->n++;
    return l->stop_after == 0 || l->n < l->stop_after;
}

static bool
list_app(const store_app_t *a, void *arg)
{
    list_t *l = arg;
    l->secret_seen |= a->secret[0] != '\0';
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", a->id);
    l->n++;
    return true;
}

static bool
list_conn(const store_conn_t *c, void *arg)
{
    list_t *l = arg;
    l->secret_seen |= strcmp(c->app_secret, "*") != 0; /* only a "set" marker may show */
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", c->identifier);
    l->n++;
    return true;
}

static bool
list_user(const store_user_t *u, void *arg)
{
    list_t *l = arg;
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", u->nickname);
    l->n++;
    return true;
}

static bool
list_ident(const store_identity_t *i, void *arg)
{
    list_t *l = arg;
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", i->appid);
    l->n++;
    return true;
}

static bool
list_audit(const store_audit_row_t *a, void *arg)
{
    list_t *l = arg;
    if (l->n < 16)
        snprintf(l->ids[l->n], STORE_NAME_MAX, "%s", a->subject);
    l->n++;
    return true;
}

static void
test_admin_lists(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], other[STORE_ID_MAX], app[STORE_ID_MAX];
    wx_err_t err = {0};
    list_t l = {0};
    put_pool(fx, "lp", pool, sizeof(pool));
    put_pool(fx, "lq", other, sizeof(other));
    assert_int_equal(store_pool_list(fx->st, list_pool, &l, &err), WX_OK);
    assert_true(l.n >= 2);
    list_t stop = {.stop_after = 1};
    assert_int_equal(store_pool_list(fx->st, list_pool, &stop, &err), WX_OK);
    assert_int_equal(stop.n, 1);

    store_app_t a = {0};
    tid(fx, "app", app, sizeof(app));
    snprintf(a.id, sizeof(a.id), "%s", app);
    snprintf(a.pool_id, sizeof(a.pool_id), "%s", pool);
    snprintf(a.secret, sizeof(a.secret), "wxs1.sealed");
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_app_list(fx->st, pool, list_app, &l, &err), WX_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.ids[0], app);
    assert_false(l.secret_seen);
    /* An update with no secret keeps the stored one. */
    a.secret[0] = '\0';
    assert_int_equal(store_app_put(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, app, &a, &err), WX_OK);
    assert_string_equal(a.secret, "wxs1.sealed");

    put_conn(fx, pool, "wechat:a", T0);
    put_conn(fx, pool, "wechat:b", T0 + 1);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_conn_list(fx->st, pool, list_conn, &l, &err), WX_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.ids[0], "wechat:a");
    assert_false(l.secret_seen);
    assert_int_equal(store_conn_delete(fx->st, pool, "wechat:a", &err), WX_OK);
    assert_int_equal(store_conn_delete(fx->st, pool, "wechat:a", &err), WX_ENOENT);
    assert_int_equal(store_app_delete(fx->st, app, &err), WX_OK);
    assert_int_equal(store_app_get(fx->st, app, &a, &err), WX_ENOENT);

    /* Deleting a pool takes its connections and users with it. */
    store_user_t u;
    bool created;
    store_wechat_login_t in = login_of(other, "wx0123456789abcdef", "oDel", NULL);
    char openid[STORE_OPENID_MAX];
    tid(fx, "oDel", openid, sizeof(openid));
    in.openid = openid;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    put_conn(fx, other, "wechat:x", T0);
    assert_int_equal(store_pool_delete(fx->st, other, &err), WX_OK);
    assert_int_equal(store_user_get(fx->st, other, u.id, &u, &err), WX_ENOENT);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_conn_list(fx->st, other, list_conn, &l, &err), WX_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(store_pool_delete(fx->st, other, &err), WX_ENOENT);
}

static void
test_user_list_search(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], o1[STORE_OPENID_MAX], o2[STORE_OPENID_MAX], o3[STORE_OPENID_MAX];
    wx_err_t err = {0};
    store_user_t u1, u2, u3, got;
    bool created;
    int64_t total = -1;
    list_t l = {0};
    put_pool(fx, "up", pool, sizeof(pool));
    tid(fx, "oOne", o1, sizeof(o1));
    tid(fx, "oTwo", o2, sizeof(o2));
    tid(fx, "oThree", o3, sizeof(o3));
    store_wechat_login_t in = login_of(pool, "wx0123456789abcdef", o1, "uLinked");
    in.nickname = "Alice 100%_done";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u1, &created, &err), WX_OK);
    in = login_of(pool, "wx0123456789abcdef", o2, NULL);
    in.nickname = "Bob";
    in.now = T0 + 10;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u2, &created, &err), WX_OK);
    in = login_of(pool, "wxfedcba9876543210", o3, "uLinked"); /* second account, same person */
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u3, &created, &err), WX_OK);
    assert_false(created);

    store_user_query_t q = {.pool_id = pool, .limit = 10};
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
    assert_int_equal(total, 2);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.ids[0], "Bob"); /* newest first */
    /* LIKE wildcards in the search are literal. */
    const char *cases[][2] = {{"100%_d", "Alice 100%_done"},
                              {"lic", "Alice 100%_done"},
                              {"uLinked", "Alice 100%_done"},
                              {"Bo", "Bob"}};
    for (size_t i = 0; i < 4; i++) {
        memset(&l, 0, sizeof(l));
        q.search = cases[i][0];
        assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
        assert_int_equal(total, 1);
        assert_string_equal(l.ids[0], cases[i][1]);
    }
    memset(&l, 0, sizeof(l));
    q.search = "%";
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
    assert_int_equal(total, 1); /* only the nickname with a literal % */
    q.search = o2;              /* by openid */
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
    assert_int_equal(total, 1);
    assert_string_equal(l.ids[0], "Bob");
    /* Paging. */
    q.search = NULL;
    q.limit = 1;
    q.offset = 1;
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
    assert_int_equal(total, 2);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.ids[0], "Alice 100%_done");
    q.limit = 0;
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_EINVAL);

    memset(&l, 0, sizeof(l));
    assert_int_equal(store_user_identities(fx->st, u1.id, list_ident, &l, &err), WX_OK);
    assert_int_equal(l.n, 2);

    /* Token validity: revoke-all, block, delete. */
    bool revoked = false;
    assert_int_equal(store_token_revoked(fx->st, "j1", pool, u2.id, T0 + 20, &revoked, &err),
                     WX_OK);
    assert_false(revoked);
    assert_int_equal(store_user_revoke_tokens(fx->st, pool, u2.id, T0 + 20, &err), WX_OK);
    assert_int_equal(store_token_revoked(fx->st, "j1", pool, u2.id, T0 + 20, &revoked, &err),
                     WX_OK);
    assert_true(revoked); /* same second: refused */
    assert_int_equal(store_token_revoked(fx->st, "j2", pool, u2.id, T0 + 21, &revoked, &err),
                     WX_OK);
    assert_false(revoked);
    assert_int_equal(store_user_set_blocked(fx->st, pool, u2.id, true, &err), WX_OK);
    assert_int_equal(store_token_revoked(fx->st, "j2", pool, u2.id, T0 + 21, &revoked, &err),
                     WX_OK);
    assert_true(revoked);
    assert_int_equal(store_token_revoked(fx->st, "j2", "otherpool", u1.id, T0 + 21, &revoked, &err),
                     WX_OK);
    assert_true(revoked); /* user of another pool */
    assert_int_equal(store_user_delete(fx->st, pool, u1.id, &err), WX_OK);
    assert_int_equal(store_token_revoked(fx->st, "j3", pool, u1.id, T0 + 21, &revoked, &err),
                     WX_OK);
    assert_true(revoked);
    assert_int_equal(store_user_get(fx->st, pool, u1.id, &got, &err), WX_ENOENT);
    assert_int_equal(store_user_delete(fx->st, pool, u1.id, &err), WX_ENOENT);
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_user_identities(fx->st, u1.id, list_ident, &l, &err), WX_OK);
    assert_int_equal(l.n, 0);
}

static void
test_audit_list(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], actor[64];
    wx_err_t err = {0};
    int64_t total = -1;
    list_t l = {0};
    put_pool(fx, "ap", pool, sizeof(pool));
    snprintf(actor, sizeof(actor), "admin-%s", fx->tag);
    const char *actions[] = {"connection.set", "connection.delete", "user.block", "pool.create"};
    for (int i = 0; i < 4; i++) {
        char subj[16];
        snprintf(subj, sizeof(subj), "s%d", i);
        store_audit_t a = {.at = T0 + i,
                           .pool_id = pool,
                           .actor = actor,
                           .action = actions[i],
                           .subject = subj,
                           .outcome = "ok"};
        assert_int_equal(store_audit_add(fx->st, &a, &err), WX_OK);
    }
    store_audit_query_t q = {.pool_id = pool, .limit = 10};
    assert_int_equal(store_audit_list(fx->st, &q, list_audit, &l, &total, &err), WX_OK);
    assert_int_equal(total, 4);
    assert_string_equal(l.ids[0], "s3"); /* newest first */
    q.action = "connection.";
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_audit_list(fx->st, &q, list_audit, &l, &total, &err), WX_OK);
    assert_int_equal(total, 2);
    q.action = "connection"; /* not a prefix without the dot */
    assert_int_equal(store_audit_list(fx->st, &q, list_audit, &l, &total, &err), WX_OK);
    assert_int_equal(total, 0);
    q.action = "user.block";
    q.actor = actor;
    q.since = T0 + 2;
    q.until = T0 + 3;
    memset(&l, 0, sizeof(l));
    assert_int_equal(store_audit_list(fx->st, &q, list_audit, &l, &total, &err), WX_OK);
    assert_int_equal(total, 1);
    assert_string_equal(l.ids[0], "s2");
    q.until = T0 + 2;
    assert_int_equal(store_audit_list(fx->st, &q, list_audit, &l, &total, &err), WX_OK);
    assert_int_equal(total, 0);
}

/* Transactions nest: an inner rollback undoes only its own writes, the outer commit keeps the
 * rest, an outer rollback undoes everything, and each operation's own transaction nests too. */
static void
test_tx_nesting(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    store_pool_t got;
    char a[64], b[64], c[64];
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    put_pool(fx, "txa", a, sizeof(a));
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    put_pool(fx, "txb", b, sizeof(b));
    store_tx_rollback(fx->st);
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    put_pool(fx, "txc", c, sizeof(c));
    assert_int_equal(store_tx_commit(fx->st, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, b, &got, &err), WX_ENOENT); /* inside: rolled back */
    assert_int_equal(store_tx_commit(fx->st, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, a, &got, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, b, &got, &err), WX_ENOENT);
    assert_int_equal(store_pool_get(fx->st, c, &got, &err), WX_OK);

    /* An outer rollback takes the committed inner transaction with it. */
    char d[64], e[64];
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    put_pool(fx, "txd", d, sizeof(d));
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    put_pool(fx, "txe", e, sizeof(e));
    assert_int_equal(store_tx_commit(fx->st, &err), WX_OK);
    store_tx_rollback(fx->st);
    assert_int_equal(store_pool_get(fx->st, d, &got, &err), WX_ENOENT);
    assert_int_equal(store_pool_get(fx->st, e, &got, &err), WX_ENOENT);

    /* An operation that fails inside an open transaction leaves the transaction usable. */
    store_state_t s = {0};
    snprintf(s.id, sizeof(s.id), "txs%s", fx->tag);
    snprintf(s.pool_id, sizeof(s.pool_id), "%s", a);
    snprintf(s.conn_identifier, sizeof(s.conn_identifier), "wechat");
    snprintf(s.browser, sizeof(s.browser), "%s", BROWSER_A);
    s.created_at = T0;
    s.expires_at = T0 + 600;
    assert_int_equal(store_tx_begin(fx->st, &err), WX_OK);
    assert_int_equal(store_state_create(fx->st, &s, &err), WX_OK);
    assert_int_equal(store_state_create(fx->st, &s, &err), WX_EEXIST);
    assert_int_equal(store_tx_commit(fx->st, &err), WX_OK);
    store_state_t out;
    assert_int_equal(store_state_claim(fx->st, s.id, BROWSER_A, T0 + 1, &out, &err), WX_OK);
}

/* The raw profile of an identity, for rebuilding a login. */
static void
test_identity_profile(void **state)
{
    fx_t *fx = *state;
    wx_err_t err = {0};
    char pool[64], raw[STORE_PROFILE_MAX];
    store_user_t u;
    bool created = false;
    put_pool(fx, "prof", pool, sizeof(pool));
    char openid[64];
    snprintf(openid, sizeof(openid), "oProf%s", fx->tag);
    store_wechat_login_t in = {.pool_id = pool,
                               .provider = "wechat",
                               .appid = "wxprof0000000000",
                               .openid = openid,
                               .nickname = "Prof",
                               .raw_profile = "{\"openid\":\"x\",\"nickname\":\"Prof\"}",
                               .now = T0};
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_int_equal(store_identity_profile(fx->st, in.appid, openid, raw, sizeof(raw), &err),
                     WX_OK);
    assert_string_equal(raw, in.raw_profile);
    assert_int_equal(store_identity_profile(fx->st, in.appid, "oNobody", raw, sizeof(raw), &err),
                     WX_ENOENT);
    assert_int_equal(store_identity_profile(fx->st, in.appid, openid, raw, 8, &err), WX_ETOOBIG);

    /* A later login: the same profile leaves it as it is, a new one replaces it, none keeps it. */
    in.now = T0 + 10;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_int_equal(u.logins_count, 2);
    in.raw_profile = "{\"openid\":\"x\",\"nickname\":\"Prof 2\"}";
    in.now = T0 + 20;
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_int_equal(store_identity_profile(fx->st, in.appid, openid, raw, sizeof(raw), &err),
                     WX_OK);
    assert_string_equal(raw, in.raw_profile);
    in.raw_profile = NULL; /* snsapi_base */
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    assert_int_equal(u.logins_count, 4);
    assert_int_equal(store_identity_profile(fx->st, in.appid, openid, raw, sizeof(raw), &err),
                     WX_OK);
    assert_string_equal(raw, "{\"openid\":\"x\",\"nickname\":\"Prof 2\"}");
}

/* ---- OpenID Connect: codes, refresh tokens, sessions (issue #13) ---- */

static void
make_code(fx_t *fx, const char *pool, const char *prefix, int64_t expires, store_oidc_code_t *c)
{
    memset(c, 0, sizeof(*c));
    tid(fx, prefix, c->hash, sizeof(c->hash));
    snprintf(c->pool_id, sizeof(c->pool_id), "%s", pool);
    snprintf(c->app_id, sizeof(c->app_id), "client-a");
    snprintf(c->user_id, sizeof(c->user_id), "user-1");
    snprintf(c->redirect_uri, sizeof(c->redirect_uri), "https://rp.example/cb");
    snprintf(c->code_challenge, sizeof(c->code_challenge),
             "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    snprintf(c->nonce, sizeof(c->nonce), "n-0S6_WzA2Mj");
    snprintf(c->scope, sizeof(c->scope), "openid profile");
    snprintf(c->sid, sizeof(c->sid), "sid-1");
    c->auth_time = T0 - 5;
    c->created_at = T0;
    c->expires_at = expires;
}

static void
test_oidc_code_single_use(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_oidc_code_t c, got;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    make_code(fx, pool, "code", T0 + 60, &c);
    assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_EEXIST);
    assert_int_equal(store_oidc_code_redeem(fx->st, c.hash, T0 + 1, &got, &err), WX_OK);
    assert_string_equal(got.app_id, "client-a");
    assert_string_equal(got.redirect_uri, "https://rp.example/cb");
    assert_string_equal(got.code_challenge, c.code_challenge);
    assert_string_equal(got.nonce, "n-0S6_WzA2Mj");
    assert_string_equal(got.sid, "sid-1");
    assert_int_equal(got.auth_time, T0 - 5);
    assert_int_equal(got.used_at, T0 + 1);
    assert_int_equal(store_oidc_code_issued(fx->st, c.hash, "jti-1", T0 + 3600, "fam-1", &err),
                     WX_OK);
    /* A replay, even in the same second: refused, with what the first redemption issued. */
    assert_int_equal(store_oidc_code_redeem(fx->st, c.hash, T0 + 1, &got, &err), WX_EUSED);
    assert_string_equal(got.access_jti, "jti-1");
    assert_int_equal(got.access_exp, T0 + 3600);
    assert_string_equal(got.family, "fam-1");
    assert_int_equal(store_oidc_code_redeem(fx->st, c.hash, T0 + 30, &got, &err), WX_EUSED);
    /* Expired, unknown, absurd. */
    make_code(fx, pool, "late", T0 + 60, &c);
    assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_oidc_code_redeem(fx->st, c.hash, T0 + 60, &got, &err), WX_EEXPIRED);
    assert_int_equal(store_oidc_code_redeem(fx->st, "nope", T0, &got, &err), WX_ENOENT);
    assert_int_equal(store_oidc_code_redeem(fx->st, NULL, T0, &got, &err), WX_ENOENT);
    make_code(fx, "no-such-pool", "orphan", T0 + 60, &c);
    assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_ENOENT);
}

typedef struct {
    store_t *st;
    const char *hash;
    bool refresh;
    pthread_barrier_t *go;
    wx_status_t rc;
} redeemer_t;

static void *
redeemer_run(void *arg)
{
    redeemer_t *r = arg;
    store_oidc_code_t c;
    store_oidc_refresh_t t;
    wx_err_t err = {0};
    pthread_barrier_wait(r->go);
    r->rc = r->refresh ? store_oidc_refresh_rotate(r->st, r->hash, T0 + 1, &t, &err)
                       : store_oidc_code_redeem(r->st, r->hash, T0 + 1, &c, &err);
    return NULL;
}

static void
make_refresh(fx_t *fx, const char *pool, const char *prefix, const char *family,
             store_oidc_refresh_t *t)
{
    memset(t, 0, sizeof(*t));
    tid(fx, prefix, t->hash, sizeof(t->hash));
    snprintf(t->family, sizeof(t->family), "%s", family);
    snprintf(t->pool_id, sizeof(t->pool_id), "%s", pool);
    snprintf(t->app_id, sizeof(t->app_id), "client-a");
    snprintf(t->user_id, sizeof(t->user_id), "user-1");
    snprintf(t->scope, sizeof(t->scope), "openid");
    snprintf(t->sid, sizeof(t->sid), "sid-1");
    t->auth_time = T0 - 5;
    t->created_at = T0;
    t->expires_at = T0 + 86400;
}

/* Two connections redeeming one code (or rotating one refresh token) at the same instant:
 * exactly one wins, every time, and the loser sees a reuse. */
static void
test_oidc_redeem_race(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], prefix[16], family[STORE_ID_MAX];
    store_t *st[2] = {NULL, NULL};
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    for (int i = 0; i < 2; i++)
        assert_int_equal(store_open(fx->url, &st[i], &err), WX_OK);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        pthread_t th[2];
        redeemer_t r[2];
        pthread_barrier_t go;
        store_oidc_code_t c;
        store_oidc_refresh_t t;
        int ok = 0, used = 0;
        bool refresh = round % 2 == 1;
        snprintf(prefix, sizeof(prefix), "race%d", round);
        if (refresh) {
            tid(fx, prefix, family, sizeof(family));
            make_refresh(fx, pool, prefix, family, &t);
            assert_int_equal(store_oidc_refresh_add(fx->st, &t, &err), WX_OK);
        } else {
            make_code(fx, pool, prefix, T0 + 60, &c);
            assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_OK);
        }
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        for (int i = 0; i < 2; i++) {
            r[i] = (redeemer_t){
                .st = st[i], .hash = refresh ? t.hash : c.hash, .refresh = refresh, .go = &go};
            assert_int_equal(pthread_create(&th[i], NULL, redeemer_run, &r[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < 2; i++) {
            ok += r[i].rc == WX_OK;
            used += r[i].rc == WX_EUSED;
        }
        if (ok != 1 || used != 1)
            fail_msg("round %d (%s): results %s and %s", round, refresh ? "refresh" : "code",
                     wx_status_str(r[0].rc), wx_status_str(r[1].rc));
    }
    for (int i = 0; i < 2; i++)
        store_close(st[i]);
}

static void
test_oidc_refresh_rotation(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], family[STORE_ID_MAX];
    store_oidc_refresh_t a, b, got;
    wx_err_t err = {0};
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "fam", family, sizeof(family));
    make_refresh(fx, pool, "rt1", family, &a);
    assert_int_equal(store_oidc_refresh_add(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_oidc_refresh_add(fx->st, &a, &err), WX_EEXIST);
    assert_int_equal(store_oidc_refresh_rotate(fx->st, a.hash, T0 + 10, &got, &err), WX_OK);
    assert_string_equal(got.family, family);
    assert_string_equal(got.sid, "sid-1");
    assert_int_equal(got.auth_time, T0 - 5);
    assert_int_equal(got.rotated_at, T0 + 10);
    /* Its successor works once... */
    make_refresh(fx, pool, "rt2", family, &b);
    assert_int_equal(store_oidc_refresh_add(fx->st, &b, &err), WX_OK);
    /* ...until the rotated one comes back: reuse revokes the whole family, successor too. */
    assert_int_equal(store_oidc_refresh_rotate(fx->st, a.hash, T0 + 20, &got, &err), WX_EUSED);
    assert_int_equal(store_oidc_refresh_rotate(fx->st, b.hash, T0 + 21, &got, &err), WX_EDENIED);
    assert_int_equal(store_oidc_refresh_rotate(fx->st, "nope", T0, &got, &err), WX_ENOENT);
    /* Expiry; and a family revoked on purpose (logout). */
    tid(fx, "fam2", family, sizeof(family));
    make_refresh(fx, pool, "rt3", family, &a);
    assert_int_equal(store_oidc_refresh_add(fx->st, &a, &err), WX_OK);
    assert_int_equal(store_oidc_refresh_rotate(fx->st, a.hash, T0 + 86400, &got, &err),
                     WX_EEXPIRED);
    assert_int_equal(store_oidc_family_revoke(fx->st, family, T0 + 1, &err), WX_OK);
    assert_int_equal(store_oidc_refresh_rotate(fx->st, a.hash, T0 + 2, &got, &err), WX_EDENIED);
    assert_int_equal(store_oidc_family_revoke(fx->st, "no-such-family", T0, &err), WX_OK);
}

static void
test_oidc_sessions(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_oidc_session_t s = {0}, got;
    store_oidc_code_t c;
    wx_err_t err = {0};
    int64_t deleted = 0;
    put_pool(fx, "pool", pool, sizeof(pool));
    tid(fx, "sid", s.id, sizeof(s.id));
    snprintf(s.pool_id, sizeof(s.pool_id), "%s", pool);
    snprintf(s.user_id, sizeof(s.user_id), "user-1");
    s.auth_time = T0;
    s.seen_at = T0;
    s.expires_at = T0 + 1000;
    assert_int_equal(store_oidc_session_add(fx->st, &s, &err), WX_OK);
    assert_int_equal(store_oidc_session_add(fx->st, &s, &err), WX_EEXIST);
    /* Sliding: used within the idle time, it lives on; after it, it is gone. */
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 90, 100, &got, &err), WX_OK);
    assert_string_equal(got.user_id, "user-1");
    assert_int_equal(got.auth_time, T0);
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 180, 100, &got, &err), WX_OK);
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 280, 100, &got, &err), WX_ENOENT);
    /* Absolute: never past expires_at, however often used. */
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 270, 100, &got, &err), WX_OK);
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 1000, 2000, &got, &err), WX_ENOENT);
    /* Logout ends it, twice is fine, unknown is fine. */
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 300, 100, &got, &err), WX_OK);
    assert_int_equal(store_oidc_session_end(fx->st, s.id, T0 + 301, &err), WX_OK);
    assert_int_equal(store_oidc_session_end(fx->st, s.id, T0 + 302, &err), WX_OK);
    assert_int_equal(store_oidc_session_end(fx->st, "nope", T0, &err), WX_OK);
    assert_int_equal(store_oidc_session_use(fx->st, s.id, T0 + 303, 100, &got, &err), WX_ENOENT);
    assert_int_equal(store_oidc_session_use(fx->st, "nope", T0, 100, &got, &err), WX_ENOENT);
    /* Pruning removes what ended before the cut, not what lives on. */
    make_code(fx, pool, "prune", T0 + 60, &c);
    assert_int_equal(store_oidc_code_add(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_oidc_prune(fx->st, T0 + 61, &deleted, &err), WX_OK);
    assert_true(deleted >= 1);
    assert_int_equal(store_oidc_code_redeem(fx->st, c.hash, T0, &c, &err), WX_ENOENT);
}

/* ---- follow to log in (issue 15) ---- */

static void
test_follow_login(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], appid[STORE_ID_MAX], key[STORE_ID_MAX], sealed[STORE_SECRET_MAX];
    store_conn_t c = {0}, got;
    wx_err_t err = {0};
    int64_t exp = 0;
    bool first = false;
    put_pool(fx, "fpool", pool, sizeof(pool));

    /* The connection's message-server settings: written as given, "*" in listings. */
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "follow");
    snprintf(c.appid, sizeof(c.appid), "wx0123456789abcdef");
    snprintf(c.push_token, sizeof(c.push_token), "sealed-token");
    snprintf(c.push_aes_key, sizeof(c.push_aes_key), "sealed-key");
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, "follow", &got, &err), WX_OK);
    assert_string_equal(got.push_token, "sealed-token");
    assert_string_equal(got.push_aes_key, "sealed-key");
    c.push_aes_key[0] = '\0';
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
    assert_int_equal(store_conn_get(fx->st, pool, "follow", &got, &err), WX_OK);
    assert_string_equal(got.push_aes_key, "");

    /* The shared access token: none, then put, then replaced. */
    tid(fx, "wxapp", appid, sizeof(appid));
    assert_int_equal(store_wxtoken_get(fx->st, appid, sealed, sizeof(sealed), &exp, &err),
                     WX_ENOENT);
    assert_int_equal(store_wxtoken_put(fx->st, appid, "tok-1", 9000, 100, &err), WX_OK);
    assert_int_equal(store_wxtoken_get(fx->st, appid, sealed, sizeof(sealed), &exp, &err), WX_OK);
    assert_string_equal(sealed, "tok-1");
    assert_int_equal(exp, 9000);
    assert_int_equal(store_wxtoken_put(fx->st, appid, "tok-2", 9500, 200, &err), WX_OK);
    assert_int_equal(store_wxtoken_get(fx->st, appid, sealed, sizeof(sealed), &exp, &err), WX_OK);
    assert_string_equal(sealed, "tok-2");
    assert_int_equal(exp, 9500);
    /* A fetch that ends after a newer one (another node's forced refresh) does not win. */
    assert_int_equal(store_wxtoken_put(fx->st, appid, "tok-old", 9400, 300, &err), WX_OK);
    assert_int_equal(store_wxtoken_get(fx->st, appid, sealed, sizeof(sealed), &exp, &err), WX_OK);
    assert_string_equal(sealed, "tok-2");
    assert_int_equal(exp, 9500);

    /* A push is taken once; pruned after its expiry, when it could be taken again. */
    tid(fx, "push", key, sizeof(key));
    assert_int_equal(store_push_seen(fx->st, key, 1000, &first, &err), WX_OK);
    assert_true(first);
    assert_int_equal(store_push_seen(fx->st, key, 1000, &first, &err), WX_OK);
    assert_false(first);
    assert_int_equal(store_push_prune(fx->st, 1001, &err), WX_OK);
    assert_int_equal(store_push_seen(fx->st, key, 2000, &first, &err), WX_OK);
    assert_true(first);
}

/* ---- desktop login tickets (issue #15) ---- */

#define PHONE_A "1111111111111111111111111111111111111111111111111111111111111111"
#define PHONE_B "2222222222222222222222222222222222222222222222222222222222222222"

static void
make_ticket(fx_t *fx, const char *pool, const char *prefix, int64_t created, int64_t expires,
            store_ticket_t *t)
{
    wx_err_t err = {0};
    memset(t, 0, sizeof(*t));
    assert_true((size_t)snprintf(t->id, sizeof(t->id), "%s%s", prefix, fx->tag) < sizeof(t->id));
    snprintf(t->pool_id, sizeof(t->pool_id), "%s", pool);
    snprintf(t->conn_identifier, sizeof(t->conn_identifier), "wechat:webpage-authorization");
    snprintf(t->redirect, sizeof(t->redirect), "https://biz.example/cb?x=%s", prefix);
    snprintf(t->scope, sizeof(t->scope), "snsapi_userinfo");
    snprintf(t->options, sizeof(t->options), "with_identities=1");
    snprintf(t->oidc, sizeof(t->oidc), "oidc:1 m=query&s=xyz&n=&c=&p=openid");
    snprintf(t->method, sizeof(t->method), "scan");
    snprintf(t->site, sizeof(t->site), "\xE7\xA4\xBA\xE4\xBE\x8B Site");
    snprintf(t->browser, sizeof(t->browser), BROWSER_A);
    snprintf(t->client_ip, sizeof(t->client_ip), "192.0.2.%s", fx->tag + 6);
    snprintf(t->desktop_ip, sizeof(t->desktop_ip), "192.0.2.7");
    snprintf(t->desktop_ua, sizeof(t->desktop_ua), "Mozilla/5.0 (X11; Linux) Chrome/120");
    t->created_at = created;
    t->expires_at = expires;
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_OK);
}

/* Create, scan by one phone, confirm, take once by the desktop's browser: every other actor
 * and every second use is refused, and nothing a refused one does changes the ticket. */
static void
test_ticket_lifecycle(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_ticket_t *t = calloc(1, sizeof(*t)), *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    assert_non_null(t);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));
    make_ticket(fx, pool, "tk", T0, T0 + 120, t);
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_EEXIST);
    assert_int_equal(store_ticket_get(fx->st, "nope", out, &err), WX_ENOENT);
    assert_int_equal(store_ticket_get(fx->st, "bad id!", out, &err), WX_ENOENT);
    assert_int_equal(store_ticket_get(fx->st, t->id, out, &err), WX_OK);
    assert_string_equal(out->pool_id, pool);
    assert_string_equal(out->redirect, t->redirect);
    assert_string_equal(out->oidc, t->oidc);
    assert_string_equal(out->site, t->site);
    assert_string_equal(out->desktop_ua, t->desktop_ua);
    assert_string_equal(out->method, "scan");
    assert_int_equal(out->status, STORE_TICKET_PENDING);
    assert_int_equal(out->expires_at, T0 + 120);

    /* Not decided yet: the desktop is told to wait; another browser learns nothing. */
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 1, 60, out, &err), WX_EBUSY);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_B, T0 + 1, 60, out, &err),
                     WX_EDENIED);
    assert_string_equal(out->id, "");
    /* Deciding before any phone scanned it is refused. */
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, true, T0 + 1, out, &err),
                     WX_EDENIED);

    /* Phone A scans; its reload scans again (same state): fine. Phone B is too late. */
    assert_int_equal(store_ticket_scan(fx->st, t->id, "stateA", PHONE_A, "sealed-record-A",
                                       T0 + 110, T0 + 170, out, &err),
                     WX_OK);
    assert_int_equal(out->status, STORE_TICKET_SCANNED);
    assert_int_equal(out->expires_at, T0 + 170); /* time to confirm */
    assert_int_equal(out->scanned_at, T0 + 110);
    assert_string_equal(out->record, "sealed-record-A");
    assert_int_equal(store_ticket_scan(fx->st, t->id, "stateA", PHONE_A, "sealed-record-A",
                                       T0 + 111, T0 + 171, out, &err),
                     WX_OK);
    assert_int_equal(out->expires_at, T0 + 170);
    assert_int_equal(store_ticket_scan(fx->st, t->id, "stateB", PHONE_B, "sealed-record-B",
                                       T0 + 112, T0 + 172, out, &err),
                     WX_EUSED);
    assert_int_equal(store_ticket_get(fx->st, t->id, out, &err), WX_OK);
    assert_string_equal(out->phone_state, "stateA");
    assert_string_equal(out->record, "sealed-record-A");

    /* Only phone A decides; a repeated confirm is fine, a change of mind is not. */
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_B, true, T0 + 113, out, &err),
                     WX_EDENIED);
    assert_string_equal(out->id, "");
    assert_int_equal(store_ticket_decide(fx->st, t->id, "", true, T0 + 113, out, &err), WX_EDENIED);
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, true, T0 + 114, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_TICKET_CONFIRMED);
    assert_int_equal(out->decided_at, T0 + 114);
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, true, T0 + 115, out, &err), WX_OK);
    assert_int_equal(out->decided_at, T0 + 114);
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, false, T0 + 115, out, &err),
                     WX_EUSED);
    assert_int_equal(store_ticket_complete(fx->st, t->id, "rec", T0 + 115, out, &err), WX_EUSED);

    /* Another desktop cannot take it; the right one takes it once. */
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_B, T0 + 116, 60, out, &err),
                     WX_EDENIED);
    assert_string_equal(out->record, "");
    assert_int_equal(store_ticket_take(fx->st, t->id, "", T0 + 116, 60, out, &err), WX_EDENIED);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 116, 60, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_TICKET_USED);
    assert_string_equal(out->record, "sealed-record-A");
    assert_string_equal(out->redirect, t->redirect);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 117, 60, out, &err),
                     WX_EUSED);
    assert_int_equal(
        store_ticket_scan(fx->st, t->id, "stateC", PHONE_B, "x", T0 + 117, T0 + 177, out, &err),
        WX_EUSED);
    free(t);
    free(out);
}

/* Refusal, expiry, completion by a push event, the late pick-up, the caps' count, prune. */
static void
test_ticket_refuse_expire_complete(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX];
    store_ticket_t *t = calloc(1, sizeof(*t)), *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    int64_t n = -1, deleted = -1;
    assert_non_null(t);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));

    /* Refused on the phone: the desktop is told so (status kept), never a login. */
    make_ticket(fx, pool, "rf", T0, T0 + 120, t);
    assert_int_equal(
        store_ticket_scan(fx->st, t->id, "st1", PHONE_A, "rec1", T0 + 5, T0 + 65, out, &err),
        WX_OK);
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, false, T0 + 6, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_TICKET_REFUSED);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 7, 60, out, &err),
                     WX_EDENIED);
    assert_int_equal(out->status, STORE_TICKET_REFUSED);
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, true, T0 + 8, out, &err),
                     WX_EUSED);

    /* Expired before a phone came: scan, complete and take say so. */
    make_ticket(fx, pool, "ex", T0, T0 + 120, t);
    assert_int_equal(
        store_ticket_scan(fx->st, t->id, "st2", PHONE_A, "rec2", T0 + 120, T0 + 180, out, &err),
        WX_EEXPIRED);
    assert_int_equal(store_ticket_complete(fx->st, t->id, "rec2", T0 + 121, out, &err),
                     WX_EEXPIRED);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 121, 60, out, &err),
                     WX_EEXPIRED);
    /* Scanned but not confirmed in time. */
    make_ticket(fx, pool, "sx", T0, T0 + 120, t);
    assert_int_equal(
        store_ticket_scan(fx->st, t->id, "st3", PHONE_A, "rec3", T0 + 10, T0 + 70, out, &err),
        WX_OK);
    assert_int_equal(out->expires_at, T0 + 120); /* already later than the confirm window */
    assert_int_equal(store_ticket_decide(fx->st, t->id, PHONE_A, true, T0 + 120, out, &err),
                     WX_EEXPIRED);

    /* Completed by a push event (no phone page): the desktop takes it; a late pick-up fails. */
    make_ticket(fx, pool, "cp", T0, T0 + 120, t);
    assert_int_equal(store_ticket_complete(fx->st, t->id, "", T0 + 3, out, &err), WX_EINVAL);
    assert_int_equal(store_ticket_complete(fx->st, t->id, "rec4", T0 + 3, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_TICKET_CONFIRMED);
    assert_string_equal(out->record, "rec4");
    assert_int_equal(store_ticket_complete(fx->st, t->id, "rec5", T0 + 4, out, &err), WX_EUSED);
    assert_int_equal(store_ticket_take(fx->st, t->id, BROWSER_A, T0 + 64, 60, out, &err),
                     WX_EEXPIRED);
    make_ticket(fx, pool, "rp", T0, T0 + 120, t);
    assert_int_equal(store_ticket_refuse(fx->st, t->id, T0 + 3, out, &err), WX_OK);
    assert_int_equal(out->status, STORE_TICKET_REFUSED);
    assert_int_equal(store_ticket_refuse(fx->st, t->id, T0 + 3, out, &err), WX_EUSED);

    /* Pending and unexpired ones are counted, per address and in all, up to the limit. */
    make_ticket(fx, pool, "p1", T0, T0 + 120, t);
    make_ticket(fx, pool, "p2", T0, T0 + 120, t);
    assert_int_equal(store_ticket_pending_count(fx->st, t->client_ip, T0 + 1, 10, &n, &err), WX_OK);
    assert_int_equal(n, 3); /* p1, p2 and "ex" (expired only later) */
    assert_int_equal(store_ticket_pending_count(fx->st, t->client_ip, T0 + 1, 1, &n, &err), WX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_ticket_pending_count(fx->st, t->client_ip, T0 + 120, 10, &n, &err),
                     WX_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_ticket_pending_count(fx->st, NULL, T0 + 1, 2, &n, &err), WX_OK);
    assert_int_equal(n, 2);

    /* Pruned once expired and decided long enough ago. */
    assert_int_equal(store_ticket_prune(fx->st, T0 + 100, &deleted, &err), WX_OK);
    assert_int_equal(store_ticket_get(fx->st, t->id, out, &err), WX_OK);
    assert_int_equal(store_ticket_prune(fx->st, T0 + 200, &deleted, &err), WX_OK);
    assert_true(deleted >= 7);
    assert_int_equal(store_ticket_get(fx->st, t->id, out, &err), WX_ENOENT);

    /* Bad input never reaches the database. */
    make_ticket(fx, pool, "bad", T0, T0 + 120, t);
    snprintf(t->id, sizeof(t->id), "bad-id");
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_EINVAL);
    snprintf(t->id, sizeof(t->id), "okid%s", fx->tag);
    t->browser[0] = '\0';
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_EINVAL);
    snprintf(t->browser, sizeof(t->browser), BROWSER_A);
    memset(t->site, 'x', sizeof(t->site)); /* unterminated */
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_ETOOBIG);
    snprintf(t->site, sizeof(t->site), "ok");
    snprintf(t->pool_id, sizeof(t->pool_id), "nopool%s", fx->tag);
    assert_int_equal(store_ticket_create(fx->st, t, &err), WX_ENOENT);
    free(t);
    free(out);
}

typedef struct {
    store_t *st;
    const char *id;
    pthread_barrier_t *go;
    int kind; /* 0: take, 1: scan as phone i */
    int i;
    wx_status_t rc;
} ticket_racer_t;

static void *
ticket_racer_run(void *arg)
{
    ticket_racer_t *c = arg;
    store_ticket_t *out = calloc(1, sizeof(*out));
    wx_err_t err = {0};
    char st[16];
    snprintf(st, sizeof(st), "st%d", c->i);
    pthread_barrier_wait(c->go);
    if (!out)
        c->rc = WX_ENOMEM;
    else if (c->kind == 0)
        c->rc = store_ticket_take(c->st, c->id, BROWSER_A, T0 + 10, 60, out, &err);
    else
        c->rc = store_ticket_scan(c->st, c->id, st, c->i ? PHONE_B : PHONE_A, "rec", T0 + 5,
                                  T0 + 65, out, &err);
    free(out);
    return NULL;
}

/* Two nodes taking one confirmed ticket, or two phones scanning one, at the same instant:
 * exactly one wins, every time (the single use holds across connections). */
static void
test_ticket_race(void **state)
{
    fx_t *fx = *state;
    char pool[STORE_ID_MAX], prefix[16];
    store_ticket_t *t = calloc(1, sizeof(*t)), *out = calloc(1, sizeof(*out));
    store_t *st[2] = {NULL, NULL};
    wx_err_t err = {0};
    assert_non_null(t);
    assert_non_null(out);
    put_pool(fx, "pool", pool, sizeof(pool));
    for (int i = 0; i < 2; i++)
        assert_int_equal(store_open(fx->url, &st[i], &err), WX_OK);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        int kind = round % 2;
        pthread_t th[2];
        ticket_racer_t c[2];
        pthread_barrier_t go;
        int ok = 0, used = 0;
        snprintf(prefix, sizeof(prefix), "tr%d", round);
        make_ticket(fx, pool, prefix, T0, T0 + 120, t);
        if (kind == 0) {
            assert_int_equal(store_ticket_complete(fx->st, t->id, "rec", T0 + 1, out, &err), WX_OK);
        }
        assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
        for (int i = 0; i < 2; i++) {
            c[i] = (ticket_racer_t){.st = st[i], .id = t->id, .go = &go, .kind = kind, .i = i};
            assert_int_equal(pthread_create(&th[i], NULL, ticket_racer_run, &c[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        for (int i = 0; i < 2; i++) {
            ok += c[i].rc == WX_OK;
            used += c[i].rc == WX_EUSED;
        }
        if (ok != 1 || used != 1)
            fail_msg("round %d (%s): results %s and %s", round, kind ? "scan" : "take",
                     wx_status_str(c[0].rc), wx_status_str(c[1].rc));
    }
    for (int i = 0; i < 2; i++)
        store_close(st[i]);
    free(t);
    free(out);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* Text that is not UTF-8 is refused the same on every backend (PostgreSQL would fail with a
 * storage error, SQLite would keep it): WX_EINVAL naming the field, nothing written. */
static void
test_invalid_utf8_refused(void **state)
{
    fx_t *fx = *state;
    store_pool_t p = {0}, got;
    wx_err_t err = {0};
    char pool[STORE_ID_MAX], o1[STORE_OPENID_MAX];
    store_user_t u;
    bool created;
    int64_t total = -1;
    list_t l = {0};
    tid(fx, "u8pool", p.id, sizeof(p.id));
    snprintf(p.name, sizeof(p.name), "bad \xFF name");
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_EINVAL);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(store_pool_get(fx->st, p.id, &got, &err), WX_ENOENT);
    snprintf(p.name, sizeof(p.name), "\xE7\x88\xB1 ok"); /* well-formed: stored as is */
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
    assert_int_equal(store_pool_get(fx->st, p.id, &got, &err), WX_OK);
    assert_string_equal(got.name, "\xE7\x88\xB1 ok");
    /* Overlong and surrogate forms are not UTF-8 either. */
    snprintf(p.name, sizeof(p.name), "\xC0\xAF");
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_EINVAL);
    snprintf(p.name, sizeof(p.name), "\xED\xA0\x80");
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_EINVAL);

    put_pool(fx, "u8users", pool, sizeof(pool));
    tid(fx, "oU8", o1, sizeof(o1));
    store_wechat_login_t in = login_of(pool, "wx0123456789abcdef", o1, NULL);
    in.nickname = "\xE4\xB8"; /* cut inside a character */
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_EINVAL);
    in.nickname = "Nick";
    assert_int_equal(store_user_upsert_wechat(fx->st, &in, &u, &created, &err), WX_OK);
    /* A search that is not UTF-8 is refused, not a storage error. */
    store_user_query_t q = {.pool_id = pool, .search = "\xFF", .limit = 10};
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_EINVAL);
    q.search = "Ni";
    assert_int_equal(store_user_list(fx->st, &q, list_user, &l, &total, &err), WX_OK);
    assert_int_equal(total, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_follow_login),
        T(test_migrations_idempotent),
        T(test_open_errors),
        T(test_open_concurrent),
        T(test_pool_put_get),
        T(test_invalid_utf8_refused),
        T(test_app_put_get),
        T(test_oidc_code_single_use),
        T(test_oidc_redeem_race),
        T(test_oidc_refresh_rotation),
        T(test_oidc_sessions),
        T(test_conn_put_get),
        T(test_conn_default),
        T(test_txt_get),
        T(test_too_big),
        T(test_user_upsert_create_update),
        T(test_user_unionid_links),
        T(test_conn_types),
        T(test_user_unionid_across_types),
        T(test_user_username_collision),
        T(test_user_blocked),
        T(test_state_claim),
        T(test_state_pending_count_and_results_clear),
        T(test_state_prune),
        T(test_state_claim_race),
        T(test_ticket_lifecycle),
        T(test_ticket_refuse_expire_complete),
        T(test_ticket_race),
        T(test_user_import),
        T(test_login_stats),
        T(test_user_upsert_race),
        T(test_nodes_and_claim_owner),
        T(test_keys),
        T(test_key_rotate),
        T(test_revocations),
        T(test_audit),
        T(test_admin_lists),
        T(test_user_list_search),
        T(test_audit_list),
        T(test_tx_nesting),
        T(test_identity_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
