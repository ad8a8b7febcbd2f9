/* Tests for src/emu/ids.c: openid/unionid derivation, codes, tokens, rids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emu/ids.h"

static bool
all_in(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

static void
test_b64url(void **state)
{
    char out[16];
    assert_int_equal(emu_b64url((const unsigned char *)"", 0, out), 0);
    assert_string_equal(out, "");
    emu_b64url((const unsigned char *)"f", 1, out);
    assert_string_equal(out, "Zg");
    emu_b64url((const unsigned char *)"fo", 2, out);
    assert_string_equal(out, "Zm8");
    emu_b64url((const unsigned char *)"foo", 3, out);
    assert_string_equal(out, "Zm9v");
    emu_b64url((const unsigned char *)"\xfb\xff", 2, out);
    assert_string_equal(out, "-_8");
}

static void
test_openid_format_and_determinism(void **state)
{
    char a[EMU_OPENID_LEN + 1], b[EMU_OPENID_LEN + 1], c[EMU_OPENID_LEN + 1];
    assert_int_equal(emu_id_derive("seed", "openid", "wx1", "alice", a), WX_OK);
    assert_int_equal(strlen(a), 28);
    assert_int_equal(a[0], 'o');
    assert_true(all_in(a, B64URL));
    assert_int_equal(emu_id_derive("seed", "openid", "wx1", "alice", b), WX_OK);
    assert_string_equal(a, b); /* same inputs, same id: tests can predict it */
    emu_id_derive("seed", "openid", "wx2", "alice", c);
    assert_string_not_equal(a, c); /* per official account */
    emu_id_derive("seed", "openid", "wx1", "bob", c);
    assert_string_not_equal(a, c);
    emu_id_derive("other", "openid", "wx1", "alice", c);
    assert_string_not_equal(a, c); /* keyed by the seed */
    emu_id_derive("seed", "snapshot", "wx1", "alice", c);
    assert_string_not_equal(a, c); /* snapshot users get a distinct virtual openid */
    emu_id_derive("seed", "unionid", "op", "alice", b);
    assert_int_equal(strlen(b), 28);
    assert_string_not_equal(a, b);
}

static void
test_known_vector(void **state)
{
    /* Pinned (checked against Python's hmac + base64.urlsafe_b64encode) so that a change of
     * derivation, which would change every emulated user's ids, is a deliberate decision. */
    char a[EMU_OPENID_LEN + 1];
    emu_id_derive("wxemu-default-seed", "openid", "wx5d1e4a0b9c3f7e21", "alice", a);
    assert_string_equal(a, "oks630zuQxjoclEijX1SYA2cmrOz");
    emu_id_derive("wxemu-default-seed", "unionid", "op-test", "alice", a);
    assert_string_equal(a, "oK8kJzBXV3AV-L2rJpd2--AhJ7Ow");
    emu_id_derive("wxemu-default-seed", "snapshot", "wx5d1e4a0b9c3f7e21", "snap", a);
    assert_string_equal(a, "oqvKuWIbsSqFLyTjH911IwS5YyGD");
}

static void
test_codes_and_tokens(void **state)
{
    char c1[EMU_CODE_LEN + 1], c2[EMU_CODE_LEN + 1];
    char t[EMU_TOKEN_LEN + 1];
    assert_int_equal(emu_code_new(c1), WX_OK);
    assert_int_equal(emu_code_new(c2), WX_OK);
    assert_int_equal(strlen(c1), 32);
    assert_true(all_in(c1, ALNUM));
    assert_string_not_equal(c1, c2);
    assert_int_equal(emu_token_new(t), WX_OK);
    assert_int_equal(strlen(t), EMU_TOKEN_LEN);
    assert_true(strlen(t) >= 89 && strlen(t) <= 110);
    assert_true(all_in(t, B64URL));
}

static void
test_rid(void **state)
{
    char rid[EMU_RID_LEN + 1];
    emu_rid_format(0x6571a2b3u, 0x1f2e3d4cu, 0x5b6a7988u, rid);
    assert_string_equal(rid, "6571a2b3-1f2e3d4c-5b6a7988");
    emu_rid_format(1, 2, 3, rid);
    assert_string_equal(rid, "00000001-00000002-00000003");
    emu_rid_new(0x6571a2b3, rid);
    assert_int_equal(strlen(rid), 26);
    assert_memory_equal(rid, "6571a2b3-", 9);
    assert_int_equal(rid[17], '-');
    assert_true(all_in(rid, "0123456789abcdef-"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),       cmocka_unit_test(test_openid_format_and_determinism),
        cmocka_unit_test(test_known_vector), cmocka_unit_test(test_codes_and_tokens),
        cmocka_unit_test(test_rid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
