/* Tests for src/emu/grants.c: lookups, the cap (oldest out first), pruning of long-expired
 * entries, and moving an entry whose expiry was extended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/grants.h"

static void
add(emu_tab_t *t, int64_t now, const char *key, int64_t expires)
{
    emu_grant_t g;
    memset(&g, 0, sizeof(g));
    wx_strlcpy(g.key, key, sizeof(g.key));
    g.expires = expires;
    assert_int_equal(emu_tab_add(t, now, &g, NULL, NULL), WX_OK);
}

static void
test_find_remove(void **state)
{
    emu_tab_t t;
    char key[16];
    assert_int_equal(emu_tab_init(&t, 5000, 0, NULL), WX_OK);
    for (int i = 0; i < 3000; i++) { /* more than the buckets: chains work */
        wx_snprintf(key, sizeof(key), "k%d", i);
        add(&t, 0, key, 100);
    }
    assert_int_equal(t.count, 3000);
    emu_grant_t *g = emu_tab_find(&t, "k1234");
    assert_non_null(g);
    assert_string_equal(g->key, "k1234");
    assert_null(emu_tab_find(&t, "nope"));
    emu_tab_remove(&t, g);
    assert_null(emu_tab_find(&t, "k1234"));
    assert_non_null(emu_tab_find(&t, "k1235"));
    assert_int_equal(t.count, 2999);
    emu_tab_free(&t);
}

static void
test_cap_evicts_oldest(void **state)
{
    emu_tab_t t;
    assert_int_equal(emu_tab_init(&t, 3, 1000, NULL), WX_OK);
    add(&t, 0, "a", 10);
    add(&t, 0, "b", 20);
    add(&t, 0, "c", 30);
    add(&t, 0, "d", 40);
    assert_int_equal(t.count, 3);
    assert_null(emu_tab_find(&t, "a"));
    assert_non_null(emu_tab_find(&t, "d"));
    assert_int_equal(t.evicted, 1);

    /* touched (expiry extended) goes to the end: "b" outlives "c" */
    emu_grant_t *b = emu_tab_find(&t, "b");
    b->expires = 100;
    emu_tab_touch(&t, b);
    add(&t, 0, "e", 50);
    assert_null(emu_tab_find(&t, "c"));
    assert_non_null(emu_tab_find(&t, "b"));
    emu_tab_free(&t);
}

static void
test_keep_then_prune(void **state)
{
    emu_tab_t t;
    assert_int_equal(emu_tab_init(&t, 100, 50, NULL), WX_OK);
    add(&t, 0, "old", 10);
    add(&t, 0, "new", 100);
    add(&t, 59, "x", 200); /* "old" expired 49 s ago: still kept, answers "expired" */
    assert_non_null(emu_tab_find(&t, "old"));
    add(&t, 60, "y", 200); /* 50 s past: pruned on the next add */
    assert_null(emu_tab_find(&t, "old"));
    assert_non_null(emu_tab_find(&t, "new"));
    assert_int_equal(t.count, 3);
    assert_int_equal(t.evicted, 0);
    emu_tab_free(&t);
}

static void
test_grants_init(void **state)
{
    emu_grants_t g;
    assert_int_equal(emu_grants_init(&g, 10, NULL), WX_OK);
    assert_int_equal(g.codes.keep, 0); /* an expired code is as good as unknown (40029) */
    assert_true(g.access.keep > 0);
    assert_true(g.refresh.keep > 0);
    emu_grants_free(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_remove),
        cmocka_unit_test(test_cap_evicts_oldest),
        cmocka_unit_test(test_keep_then_prune),
        cmocka_unit_test(test_grants_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
