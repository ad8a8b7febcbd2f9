/* Tests for src/jose/seal.c: round trips, binding to the associated data, a wrong master key,
 * tampering, master key parsing and the key file's permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "jose/seal.h"

/* 32 bytes 0x00..0x1f in base64url. */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define KEY_B "HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo"

static void
test_round_trip(void **state)
{
    seal_key_t k;
    wx_err_t err = {0};
    char sealed[512], plain[256], again[512];
    assert_int_equal(seal_key_parse("  " KEY_A "\n", &k, &err), WX_OK);
    assert_int_equal(seal_text(&k, "app_secret:a", "s3cret", sealed, sizeof(sealed), &err), WX_OK);
    assert_true(seal_is_sealed(sealed));
    assert_null(strstr(sealed, "s3cret"));
    assert_int_equal(seal_open(&k, "app_secret:a", sealed, plain, sizeof(plain), &err), WX_OK);
    assert_string_equal(plain, "s3cret");
    /* A fresh nonce each time: the same secret never seals to the same text. */
    assert_int_equal(seal_text(&k, "app_secret:a", "s3cret", again, sizeof(again), &err), WX_OK);
    assert_string_not_equal(sealed, again);
    /* The empty string seals too. */
    assert_int_equal(seal_text(&k, "x", "", sealed, sizeof(sealed), &err), WX_OK);
    assert_int_equal(seal_open(&k, "x", sealed, plain, sizeof(plain), &err), WX_OK);
    assert_string_equal(plain, "");
}

static void
test_refusals(void **state)
{
    seal_key_t a, b, none = {0};
    wx_err_t err = {0};
    char sealed[512], plain[256];
    assert_int_equal(seal_key_parse(KEY_A, &a, &err), WX_OK);
    assert_int_equal(seal_key_parse(KEY_B, &b, &err), WX_OK);
    assert_int_equal(seal_text(&a, "signing_key:k1", "pem", sealed, sizeof(sealed), &err), WX_OK);
    /* Another master key, another record, tampering: none opens, and plain stays empty. */
    assert_int_equal(seal_open(&b, "signing_key:k1", sealed, plain, sizeof(plain), &err),
                     WX_EDENIED);
    assert_string_equal(plain, "");
    assert_int_equal(seal_open(&a, "signing_key:k2", sealed, plain, sizeof(plain), &err),
                     WX_EDENIED);
    size_t n = strlen(sealed);
    sealed[n - 3] = sealed[n - 3] == 'A' ? 'B' : 'A';
    assert_int_equal(seal_open(&a, "signing_key:k1", sealed, plain, sizeof(plain), &err),
                     WX_EDENIED);
    assert_int_equal(seal_open(&a, "x", "-----BEGIN PRIVATE KEY-----", plain, sizeof(plain), &err),
                     WX_EINVAL);
    assert_int_equal(seal_open(&a, "x", "wxs1.AAAA", plain, sizeof(plain), &err), WX_EINVAL);
    assert_int_equal(seal_open(&a, "x", "wxs1.!!", plain, sizeof(plain), &err), WX_EINVAL);
    assert_int_equal(seal_text(&none, "x", "p", sealed, sizeof(sealed), &err), WX_ECONFIG);
    /* Out buffer too small for the sealed text. */
    assert_int_equal(seal_text(&a, "x", "a longer secret", sealed, 20, &err), WX_ETOOBIG);
}

static void
test_key_parse(void **state)
{
    seal_key_t k;
    wx_err_t err = {0};
    assert_int_equal(seal_key_parse("", &k, &err), WX_EINVAL);
    assert_int_equal(seal_key_parse("AAEC", &k, &err), WX_EINVAL);     /* too short */
    assert_int_equal(seal_key_parse(KEY_A "AA", &k, &err), WX_EINVAL); /* too long */
    assert_int_equal(seal_key_parse(KEY_A "=", &k, &err), WX_EINVAL);  /* padding */
    assert_int_equal(seal_key_parse("not base64url at all!", &k, &err), WX_EINVAL);
    assert_false(k.set);
    assert_int_equal(seal_key_load(NULL, NULL, &k, &err), WX_ENOENT);
    assert_non_null(strstr(err.msg, "WXAUTH_MASTER_KEY"));
    assert_int_equal(seal_key_load(KEY_A, "/nonexistent", &k, &err), WX_OK); /* env wins */
    assert_true(k.set);
}

static void
test_key_file(void **state)
{
    char path[512];
    const char *dir = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    seal_key_t k1, k2;
    wx_err_t err = {0};
    char sealed[256], plain[64];
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/master-%d.key", dir, (int)getpid());
    unlink(path);
    assert_int_equal(seal_key_create_file(path, &err), WX_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(seal_key_create_file(path, &err), WX_EEXIST); /* never overwritten */
    assert_int_equal(seal_key_load(NULL, path, &k1, &err), WX_OK);
    assert_int_equal(seal_key_load("", path, &k2, &err), WX_OK); /* empty env: the file */
    assert_memory_equal(k1.k, k2.k, SEAL_KEY_LEN);
    assert_int_equal(seal_text(&k1, "a", "v", sealed, sizeof(sealed), &err), WX_OK);
    assert_int_equal(seal_open(&k2, "a", sealed, plain, sizeof(plain), &err), WX_OK);
    /* A key file others can read is refused. */
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(seal_key_load(NULL, path, &k1, &err), WX_EDENIED);
    assert_non_null(strstr(err.msg, "chmod 600"));
    unlink(path);
    assert_int_equal(seal_key_load(NULL, path, &k1, &err), WX_ENOENT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
