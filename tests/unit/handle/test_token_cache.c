/* Tests for src/handle/token_cache.c: a hit needs the very same token; a newer token in the same
 * slot evicts the older; what comes back is the JSON that was put in; a "not revoked" answer is
 * trusted for TOKEN_REVOCATION_TTL_MS at most, and not at all after a revocation through this
 * process or when it was read before one. */
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
    if (!token_cache_get(tc, tok, strlen(tok), 0, &h, &p, NULL))
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

/* Whether tok is cached with a fresh "not revoked" answer at now_ms. */
static bool
unrevoked_at(token_cache_t *tc, const char *tok, int64_t now_ms)
{
    json_t *h = NULL, *p = NULL;
    bool fresh = true;
    if (!token_cache_get(tc, tok, strlen(tok), now_ms, &h, &p, &fresh))
        return false;
    json_decref(h);
    json_decref(p);
    return fresh;
}

static void
test_unrevoked_bounded(void **state)
{
    (void)state;
    token_cache_t *tc = token_cache_new();
    const char *tok = "aaaa.bbbb.signature-of-alice-0123456789abcdefghijklmnop";
    const char *other = "aaaa.bbbb.signature-of-bob-0123456789abcdefghijklmnopqr";
    put(tc, tok, "alice");
    int64_t t0 = 1000000;
    assert_false(unrevoked_at(tc, tok, t0)); /* verified, but revocation never asked */
    token_cache_set_unrevoked(tc, tok, strlen(tok), token_cache_revocation_gen(), t0);
    assert_true(unrevoked_at(tc, tok, t0));
    assert_true(unrevoked_at(tc, tok, t0 + TOKEN_REVOCATION_TTL_MS - 1));
    assert_false(unrevoked_at(tc, tok, t0 + TOKEN_REVOCATION_TTL_MS)); /* the bound */
    assert_false(unrevoked_at(tc, tok, t0 - 1)); /* a clock going back trusts nothing */
    /* Another token: no answer of its own, and marking it (not cached) changes nothing. */
    token_cache_set_unrevoked(tc, other, strlen(other), token_cache_revocation_gen(), t0);
    assert_false(unrevoked_at(tc, other, t0));
    assert_true(unrevoked_at(tc, tok, t0));
    /* A revocation through this process: stale at once, in every worker's cache. */
    token_cache_t *tc2 = token_cache_new();
    put(tc2, tok, "alice");
    token_cache_set_unrevoked(tc2, tok, strlen(tok), token_cache_revocation_gen(), t0);
    assert_true(unrevoked_at(tc2, tok, t0));
    assert_int_equal(token_revocations_changed_after(WX_EIO), WX_EIO);
    assert_false(unrevoked_at(tc, tok, t0));
    assert_false(unrevoked_at(tc2, tok, t0));
    /* An answer read before that revocation (older generation) is never trusted. */
    uint64_t before = token_cache_revocation_gen();
    token_cache_revocations_changed();
    token_cache_set_unrevoked(tc, tok, strlen(tok), before, t0);
    assert_false(unrevoked_at(tc, tok, t0));
    token_cache_set_unrevoked(tc, tok, strlen(tok), token_cache_revocation_gen(), t0);
    assert_true(unrevoked_at(tc, tok, t0));
    /* Putting the token again (verified anew) forgets the answer. */
    put(tc, tok, "alice");
    assert_false(unrevoked_at(tc, tok, t0));
    token_cache_free(tc);
    token_cache_free(tc2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_needs_same_token),
        cmocka_unit_test(test_many_tokens_evict),
        cmocka_unit_test(test_unrevoked_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
