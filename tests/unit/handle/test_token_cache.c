/* Tests for src/handle/token_cache.c: a hit needs the very same token; a newer token in the same
 * slot evicts the older; what comes back is the JSON that was put in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handle/token_cache.h"

static void
put(token_cache_t *tc, const char *tok, const char *sub)
{
    json_t *h = json_pack("{s:s,s:s}", "alg", "RS256", "kid", "k1");
    json_t *p = json_pack("{s:s}", "sub", sub);
    token_cache_put(tc, tok, strlen(tok), h, p);
    json_decref(h);
    json_decref(p);
}

/* sub of the cached token, or NULL on a miss. */
static char *
get(token_cache_t *tc, const char *tok)
{
    json_t *h = NULL, *p = NULL;
    if (!token_cache_get(tc, tok, strlen(tok), &h, &p))
        return NULL;
    char *sub = strdup(json_string_value(json_object_get(p, "sub")));
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "k1");
    json_decref(h);
    json_decref(p);
    return sub;
}

static void
test_hit_needs_same_token(void **state)
{
    (void)state;
    token_cache_t *tc = token_cache_new();
    assert_non_null(tc);
    const char *tok = "aaaa.bbbb.signature-of-alice-0123456789abcdefghijklmnop";
    put(tc, tok, "alice");
    char *sub = get(tc, tok);
    assert_non_null(sub);
    assert_string_equal(sub, "alice");
    free(sub);
    /* Same signature (so the same slot), other payload: a miss, not alice's claims. */
    assert_null(get(tc, "aaaa.bbbX.signature-of-alice-0123456789abcdefghijklmnop"));
    /* A prefix, and the token with a byte more. */
    assert_null(get(tc, "aaaa.bbbb.signature-of-alice-0123456789abcdefghijklmno"));
    assert_null(get(tc, "aaaa.bbbb.signature-of-alice-0123456789abcdefghijklmnopq"));
    token_cache_free(tc);
}

static void
test_many_tokens_evict(void **state)
{
    (void)state;
    token_cache_t *tc = token_cache_new();
    char tok[128], want[32];
    int n = TOKEN_CACHE_SLOTS * 4;
    for (int i = 0; i < n; i++) {
        snprintf(tok, sizeof(tok), "h.p.sig-%08d-xxxxxxxxxxxxxxxxxxxxxxxx", i);
        snprintf(want, sizeof(want), "user%d", i);
        put(tc, tok, want);
    }
    /* The last one is always there; at most TOKEN_CACHE_SLOTS are, each with its own claims. */
    int hits = 0;
    for (int i = 0; i < n; i++) {
        snprintf(tok, sizeof(tok), "h.p.sig-%08d-xxxxxxxxxxxxxxxxxxxxxxxx", i);
        snprintf(want, sizeof(want), "user%d", i);
        char *sub = get(tc, tok);
        if (sub) {
            assert_string_equal(sub, want);
            hits++;
            free(sub);
        } else {
            assert_true(i != n - 1);
        }
    }
    assert_true(hits >= 1 && hits <= TOKEN_CACHE_SLOTS);
    token_cache_free(tc); /* LSan: every evicted and remaining entry freed */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_needs_same_token),
        cmocka_unit_test(test_many_tokens_evict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
