/* Tests for src/util/prom.c: buckets, families, and the text exposition format 0.0.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/prom.h"

static void
test_counter_and_labels(void **state)
{
    wx_buf_t b;
    wx_buf_init(&b, 4096);
    assert_int_equal(prom_write_header(&b, "x_total", "counter", "Things.\nWith a \\ newline."),
                     WX_OK);
    prom_label_t l[] = {{"route", "/a/*"}, {"q", "say \"hi\"\\\n"}};
    assert_int_equal(prom_write_uint(&b, "x_total", l, 2, 42), WX_OK);
    assert_int_equal(prom_write_int(&b, "g", NULL, 0, -3), WX_OK);
    assert_string_equal(wx_buf_str(&b), "# HELP x_total Things.\\nWith a \\\\ newline.\n"
                                        "# TYPE x_total counter\n"
                                        "x_total{route=\"/a/*\",q=\"say \\\"hi\\\"\\\\\\n\"} 42\n"
                                        "g -3\n");
    wx_buf_free(&b);
    /* The buffer's maximum holds. */
    wx_buf_init(&b, 16);
    assert_int_not_equal(prom_write_uint(&b, "a_long_metric_name_total", NULL, 0, 1), WX_OK);
    wx_buf_free(&b);
}

static void
test_histogram(void **state)
{
    prom_hist_t h = {0}, sum = {0};
    prom_hist_observe(&h, 500);      /* on the first bound: in it (le is inclusive) */
    prom_hist_observe(&h, 501);      /* next */
    prom_hist_observe(&h, 2000000);  /* 2 s: le="2.5" */
    prom_hist_observe(&h, 60000000); /* 60 s: only +Inf */
    assert_int_equal(prom_hist_count(&h), 4);
    prom_hist_merge(&sum, &h);
    prom_hist_merge(&sum, &h);
    assert_int_equal(prom_hist_count(&sum), 8);

    wx_buf_t b;
    wx_buf_init(&b, 8192);
    prom_label_t l[] = {{"call", "userinfo"}};
    assert_int_equal(prom_write_hist(&b, "w_seconds", l, 1, &h), WX_OK);
    const char *s = wx_buf_str(&b);
    assert_non_null(strstr(s, "w_seconds_bucket{call=\"userinfo\",le=\"0.0005\"} 1\n"
                              "w_seconds_bucket{call=\"userinfo\",le=\"0.001\"} 2\n"));
    assert_non_null(strstr(s, "w_seconds_bucket{call=\"userinfo\",le=\"1\"} 2\n"
                              "w_seconds_bucket{call=\"userinfo\",le=\"2.5\"} 3\n"));
    assert_non_null(strstr(s, "w_seconds_bucket{call=\"userinfo\",le=\"30\"} 3\n"
                              "w_seconds_bucket{call=\"userinfo\",le=\"+Inf\"} 4\n"
                              "w_seconds_sum{call=\"userinfo\"} 62.001001\n"
                              "w_seconds_count{call=\"userinfo\"} 4\n"));
    /* One line per bucket, +Inf, sum and count. */
    size_t lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, PROM_BUCKETS + 3);
    wx_buf_free(&b);

    /* Without labels, le is the only label. */
    wx_buf_init(&b, 8192);
    prom_hist_t empty = {0};
    assert_int_equal(prom_write_hist(&b, "s", NULL, 0, &empty), WX_OK);
    assert_non_null(strstr(wx_buf_str(&b), "s_bucket{le=\"0.0025\"} 0\n"));
    assert_non_null(strstr(wx_buf_str(&b), "s_sum 0\ns_count 0\n"));
    wx_buf_free(&b);
}

static void
test_live_and_family(void **state)
{
    prom_live_hist_t live = {0};
    prom_hist_t snap = {0};
    prom_live_observe(&live, 7000);
    prom_live_observe(&live, 7000);
    prom_live_read(&live, &snap);
    assert_int_equal(prom_hist_count(&snap), 2);
    assert_int_equal(snap.sum_us, 14000);

    /* Two owners (workers); the sum merges their keys whatever their slot order. */
    prom_family_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    prom_family_sum_t *sum = calloc(1, sizeof(*sum));
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(sum);
    char dyn[8] = "ok"; /* the same word from another pointer is the same key */
    prom_family_inc(a, "ok");
    prom_family_inc(a, dyn);
    prom_family_inc(a, "wechat_timeout");
    prom_family_inc(a, NULL);
    prom_family_inc(b, "wechat_timeout");
    prom_family_inc(b, "ok");
    prom_family_sum(sum, a);
    prom_family_sum(sum, b);
    assert_int_equal(sum->n, 3);
    for (int i = 0; i < sum->n; i++) {
        if (strcmp(sum->key[i], "ok") == 0)
            assert_int_equal(sum->count[i], 3);
        else if (strcmp(sum->key[i], "wechat_timeout") == 0)
            assert_int_equal(sum->count[i], 2);
        else
            assert_string_equal(sum->key[i], "unknown");
    }
    /* Bounded: past PROM_FAMILY_MAX - 1 keys everything counts under "other". */
    static char words[100][8];
    for (int i = 0; i < 100; i++) {
        wx_snprintf(words[i], sizeof(words[i]), "w%d", i);
        prom_family_inc(b, words[i]);
    }
    assert_int_equal(atomic_load(&b->n), PROM_FAMILY_MAX);
    assert_string_equal(atomic_load(&b->key[PROM_FAMILY_MAX - 1]), "other");
    assert_int_equal(prom_counter_get(&b->count[PROM_FAMILY_MAX - 1]), 100 - (PROM_FAMILY_MAX - 3));
    free(a);
    free(b);
    free(sum);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_labels),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_live_and_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
