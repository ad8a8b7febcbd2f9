/* The per-worker cache of pools and connections (src/handle/conf_cache.h): served from memory
 * while fresh, re-read after an admin change in this process at once and after the TTL for
 * changes made elsewhere; misses are never cached; default and named connections are apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "handle/conf_cache.h"

#include "../tmp_db.h"
#include "util/rand.h"

typedef struct {
    char path[1024];
    store_t *st;
    conf_cache_t *c;
} fx_t;

static int
setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    char url[1200];
    wx_err_t err = {0};
    assert_non_null(fx);
    wxt_tmp_db("conf-cache", fx->path, sizeof(fx->path), url, sizeof(url));
    assert_int_equal(store_open(url, &fx->st, &err), WX_OK);
    fx->c = conf_cache_new();
    assert_non_null(fx->c);
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    fx_t *fx = *state;
    conf_cache_free(fx->c);
    store_close(fx->st);
    wxt_tmp_db_remove(fx->path);
    free(fx);
    return 0;
}

static void
put_pool(fx_t *fx, const char *id, const char *name)
{
    store_pool_t p = {0};
    wx_err_t err = {0};
    snprintf(p.id, sizeof(p.id), "%s", id);
    snprintf(p.name, sizeof(p.name), "%s", name);
    assert_int_equal(store_pool_put(fx->st, &p, &err), WX_OK);
}

static void
put_conn(fx_t *fx, const char *pool, const char *ident, const char *name)
{
    store_conn_t c = {0};
    wx_err_t err = {0};
    snprintf(c.pool_id, sizeof(c.pool_id), "%s", pool);
    snprintf(c.identifier, sizeof(c.identifier), "%s", ident);
    snprintf(c.display_name, sizeof(c.display_name), "%s", name);
    snprintf(c.appid, sizeof(c.appid), "wx0123456789abcdef");
    snprintf(c.app_secret, sizeof(c.app_secret), "secret");
    assert_int_equal(store_conn_put(fx->st, &c, &err), WX_OK);
}

static void
test_pool(void **state)
{
    fx_t *fx = *state;
    store_pool_t p;
    wx_err_t err = {0};
    assert_int_equal(conf_pool_get(fx->c, fx->st, "p1", &p, &err), WX_ENOENT);
    put_pool(fx, "p1", "one"); /* a miss was not cached */
    assert_int_equal(conf_pool_get(fx->c, fx->st, "p1", &p, &err), WX_OK);
    assert_string_equal(p.name, "one");
    put_pool(fx, "p1", "two"); /* behind the cache's back, as another node would */
    assert_int_equal(conf_pool_get(fx->c, fx->st, "p1", &p, &err), WX_OK);
    assert_string_equal(p.name, "one");
    conf_cache_changed(); /* an admin change through this process */
    assert_int_equal(conf_pool_get(fx->c, fx->st, "p1", &p, &err), WX_OK);
    assert_string_equal(p.name, "two");
    put_pool(fx, "p1", "three");
    usleep((CONF_CACHE_TTL_MS + 100) * 1000);
    assert_int_equal(conf_pool_get(fx->c, fx->st, "p1", &p, &err), WX_OK);
    assert_string_equal(p.name, "three");
}

static void
test_conn(void **state)
{
    fx_t *fx = *state;
    store_conn_t c;
    wx_err_t err = {0};
    put_pool(fx, "p2", "pool");
    put_conn(fx, "p2", "wechat:webpage-authorization", "default");
    put_conn(fx, "p2", "other", "other");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", NULL, &c, &err), WX_OK);
    assert_string_equal(c.display_name, "default");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", "other", &c, &err), WX_OK);
    assert_string_equal(c.display_name, "other");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", "nope", &c, &err), WX_ENOENT);
    put_conn(fx, "p2", "other", "renamed");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", "other", &c, &err), WX_OK);
    assert_string_equal(c.display_name, "other");
    conf_changed_after(WX_OK);
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", "other", &c, &err), WX_OK);
    assert_string_equal(c.display_name, "renamed");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p2", NULL, &c, &err), WX_OK);
    assert_string_equal(c.display_name, "default");
    /* Another pool with the same identifier is another entry. */
    put_pool(fx, "p3", "pool");
    put_conn(fx, "p3", "other", "p3's");
    assert_int_equal(conf_conn_get(fx->c, fx->st, "p3", "other", &c, &err), WX_OK);
    assert_string_equal(c.display_name, "p3's");
    assert_string_equal(c.pool_id, "p3");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conn, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
