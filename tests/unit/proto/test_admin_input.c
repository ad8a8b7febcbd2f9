/* Tests for src/proto/admin_input.c: the admin API's validators — one message per bad field,
 * unknown fields refused, immutable ids, and records shown without their secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/admin_input.h"

static json_t *
parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, je.text);
    return j;
}

/* The message errors has for field, or NULL. */
static const char *
err_of(const json_t *errors, const char *field)
{
    return json_string_value(json_object_get(errors, field));
}

static void
test_ids(void **state)
{
    char s64[65];
    memset(s64, 'a', 64);
    s64[64] = '\0';
    assert_true(admin_valid_id("demo"));
    assert_true(admin_valid_id("A-b_9"));
    s64[63] = '\0';
    assert_true(admin_valid_id(s64)); /* 63 */
    s64[63] = 'a';
    assert_false(admin_valid_id(s64)); /* 64 */
    assert_false(admin_valid_id(""));
    assert_false(admin_valid_id(NULL));
    assert_false(admin_valid_id("bad id"));
    assert_false(admin_valid_id("a/b"));
    assert_false(admin_valid_id("a:b"));
    assert_false(admin_valid_id("caf\xc3\xa9"));

    assert_true(admin_valid_identifier("wechat:webpage-authorization"));
    assert_true(admin_valid_identifier("a.b_c-d:e"));
    assert_true(admin_valid_identifier(s64)); /* 64 */
    assert_false(admin_valid_identifier(""));
    assert_false(admin_valid_identifier("a b"));
    assert_false(admin_valid_identifier("a/b"));
    assert_false(admin_valid_identifier("a?b"));
}

static void
test_appid(void **state)
{
    assert_true(admin_valid_appid("wx5d1e4a0b9c3f7e21"));
    assert_false(admin_valid_appid("wx5D1E4A0B9C3F7E21"));  /* WeChat's are lowercase */
    assert_false(admin_valid_appid("wx5d1e4a0b9c3f7e2"));   /* 17 */
    assert_false(admin_valid_appid("wx5d1e4a0b9c3f7e211")); /* 19 */
    assert_false(admin_valid_appid("wy5d1e4a0b9c3f7e21"));
    assert_false(admin_valid_appid("wx5d1e4a0b9c3f7e2g"));
    assert_false(admin_valid_appid(NULL));
}

static void
test_txt_name(void **state)
{
    assert_true(admin_valid_txt_name("MP_verify_AbC123.txt"));
    assert_true(admin_valid_txt_name("MP_verify_x.txt"));
    assert_false(admin_valid_txt_name("MP_verify_.txt"));
    assert_false(admin_valid_txt_name("MP_verify_a-b.txt"));
    assert_false(admin_valid_txt_name("MP_verify_a_b.txt"));
    assert_false(admin_valid_txt_name("../MP_verify_a.txt"));
    assert_false(admin_valid_txt_name("MP_verify_a.txt/x"));
    assert_false(admin_valid_txt_name("MP_verify_a.TXT"));
    assert_false(admin_valid_txt_name("mp_verify_a.txt"));
    assert_false(admin_valid_txt_name("MP_verify_a.txt.php"));
    assert_false(admin_valid_txt_name("index.html"));
    assert_false(admin_valid_txt_name(""));
    assert_false(admin_valid_txt_name(NULL));
    char longname[120];
    memcpy(longname, "MP_verify_", 10);
    memset(longname + 10, 'a', 100);
    memcpy(longname + 110, ".txt", 5);
    assert_false(admin_valid_txt_name(longname)); /* over 100 bytes */
}

static void
test_pool_apply(void **state)
{
    store_pool_t p = {0};
    json_t *in = parse("{\"id\":\"demo\",\"token_ttl\":3600,\"alg\":\"ES256\","
                       "\"redirect_urls\":[\"https://a.com/cb\",\"https://*.a.com/*\"]}");
    json_t *errors = json_object();
    assert_true(admin_pool_apply(in, &p, errors));
    assert_string_equal(p.id, "demo");
    assert_string_equal(p.name, "demo"); /* defaults to the id */
    assert_int_equal(p.token_ttl, 3600);
    assert_string_equal(p.alg, "ES256");
    assert_string_equal(p.redirect_urls, "https://a.com/cb\nhttps://*.a.com/*");
    json_decref(in);
    json_decref(errors);

    /* Every bad field gets its own message, all at once. */
    memset(&p, 0, sizeof(p));
    in = parse("{\"id\":\"callback\",\"token_ttl\":59,\"alg\":\"HS256\","
               "\"redirect_urls\":\"https://a.com/cb\",\"colour\":\"red\",\"name\":7}");
    errors = json_object();
    assert_false(admin_pool_apply(in, &p, errors));
    assert_non_null(strstr(err_of(errors, "id"), "not 'callback'"));
    assert_non_null(strstr(err_of(errors, "token_ttl"), "60 to 31536000"));
    assert_non_null(strstr(err_of(errors, "alg"), "RS256, ES256 or EdDSA"));
    assert_non_null(strstr(err_of(errors, "redirect_urls"), "array"));
    assert_string_equal(err_of(errors, "colour"), "unknown field");
    assert_string_equal(err_of(errors, "name"), "must be a string");
    json_decref(in);
    json_decref(errors);

    /* Boundaries of token_ttl, a string number, a bad pattern, a missing id. */
    const char *bad[][2] = {
        {"{\"id\":\"x\",\"token_ttl\":31536001}", "token_ttl"},
        {"{\"id\":\"x\",\"token_ttl\":\"3600\"}", "token_ttl"},
        {"{\"id\":\"x\",\"redirect_urls\":[\"ftp://a.com/\"]}", "redirect_urls"},
        {"{\"id\":\"x\",\"redirect_urls\":[\"https://a.com:*/\"]}", "redirect_urls"},
        {"{\"id\":\"x\",\"redirect_urls\":[7]}", "redirect_urls"},
        {"{\"name\":\"no id\"}", "id"},
        {"{\"id\":\"bad id\"}", "id"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&p, 0, sizeof(p));
        in = parse(bad[i][0]);
        errors = json_object();
        assert_false(admin_pool_apply(in, &p, errors));
        if (!err_of(errors, bad[i][1]))
            fail_msg("%s: no error on %s", bad[i][0], bad[i][1]);
        json_decref(in);
        json_decref(errors);
    }
    memset(&p, 0, sizeof(p));
    in = parse("{\"id\":\"x\",\"token_ttl\":60}");
    errors = json_object();
    assert_true(admin_pool_apply(in, &p, errors));
    json_decref(in);
    json_decref(errors);
}

static void
test_pool_update_keeps_id(void **state)
{
    store_pool_t p = {0};
    wx_strlcpy(p.id, "demo", sizeof(p.id));
    wx_strlcpy(p.name, "Demo", sizeof(p.name));
    wx_strlcpy(p.redirect_urls, "https://a.com/cb", sizeof(p.redirect_urls));
    json_t *in = parse("{\"id\":\"other\"}"), *errors = json_object();
    assert_false(admin_pool_apply(in, &p, errors));
    assert_string_equal(err_of(errors, "id"), "cannot be changed");
    json_decref(in);
    json_decref(errors);

    /* The same id is fine, and untouched fields stay; an empty list clears. */
    in = parse("{\"id\":\"demo\",\"name\":\"New\",\"redirect_urls\":[]}");
    errors = json_object();
    assert_true(admin_pool_apply(in, &p, errors));
    assert_string_equal(p.id, "demo");
    assert_string_equal(p.name, "New");
    assert_string_equal(p.redirect_urls, "");
    json_decref(in);
    json_decref(errors);
}

static void
test_app_apply(void **state)
{
    store_app_t a = {0};
    json_t *in = parse("{\"id\":\"shop\",\"token_alg\":\"HS256\","
                       "\"redirect_urls\":[\"https://shop.example.com/cb\"]}");
    json_t *errors = json_object();
    assert_true(admin_app_apply(in, &a, errors));
    assert_string_equal(a.token_alg, "HS256");
    assert_string_equal(a.name, "shop");
    json_decref(in);
    json_decref(errors);

    in = parse("{\"token_alg\":\"pool\"}");
    errors = json_object();
    assert_true(admin_app_apply(in, &a, errors));
    assert_string_equal(a.token_alg, ""); /* "pool": the pool's own alg */
    json_decref(in);
    json_decref(errors);

    in = parse("{\"id\":\"other\",\"token_alg\":\"RS256\",\"secret\":\"x\"}");
    errors = json_object();
    assert_false(admin_app_apply(in, &a, errors));
    assert_string_equal(err_of(errors, "id"), "cannot be changed");
    assert_non_null(strstr(err_of(errors, "token_alg"), "HS256"));
    assert_string_equal(err_of(errors, "secret"), "unknown field"); /* never set by a body */
    json_decref(in);
    json_decref(errors);
}

static void
test_conn_create(void **state)
{
    store_conn_t c = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1] = "leftover";
    json_t *in = parse("{\"appid\":\"wx5d1e4a0b9c3f7e21\",\"app_secret\":\"0123456789abcdef\","
                       "\"callback_url\":\"https://shop.example.com/cb\","
                       "\"txt_filename\":\"MP_verify_AbC123.txt\",\"txt_content\":\"AbC123\"}");
    json_t *errors = json_object();
    assert_true(admin_conn_apply(in, &c, true, secret, sizeof(secret), errors));
    assert_string_equal(c.identifier, "wechat:webpage-authorization"); /* the default */
    assert_string_equal(c.scope, "snsapi_userinfo");
    assert_string_equal(c.display_name, "WeChat");
    assert_string_equal(secret, "0123456789abcdef"); /* handed back to be sealed ... */
    assert_string_equal(c.app_secret, "");           /* ... never put in the record as is */
    json_decref(in);
    json_decref(errors);

    /* Creating needs appid, secret and callback; each missing one is named. */
    memset(&c, 0, sizeof(c));
    in = parse("{}");
    errors = json_object();
    assert_false(admin_conn_apply(in, &c, true, secret, sizeof(secret), errors));
    assert_string_equal(err_of(errors, "appid"), "is required");
    assert_string_equal(err_of(errors, "app_secret"), "is required");
    assert_non_null(strstr(err_of(errors, "callback_url"), "is required"));
    json_decref(in);
    json_decref(errors);
}

/* Issue 15: a website app (wechat_open) is its own type, chosen once, with scope snsapi_login;
 * the pool says how its desktops log in. */
static void
test_conn_types(void **state)
{
    store_conn_t c = {0};
    store_pool_t p = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    json_t *in = parse("{\"type\":\"wechat_open\",\"appid\":\"wx00000000000000aa\","
                       "\"app_secret\":\"web-secret\",\"callback_url\":\"#\"}");
    json_t *errors = json_object(), *shown;
    assert_true(admin_conn_apply(in, &c, true, secret, sizeof(secret), errors));
    assert_string_equal(c.type, STORE_CONN_OPEN);
    assert_string_equal(c.identifier, "wechat:qrconnect"); /* its own default identifier */
    assert_string_equal(c.scope, "snsapi_login");
    shown = admin_conn_json(&c, "https://id.example.com");
    assert_string_equal(json_string_value(json_object_get(shown, "type")), "wechat_open");
    assert_string_equal(json_string_value(json_object_get(shown, "wechat_redirect_uri")),
                        "https://id.example.com/connections/social/wechat:qrconnect/callback");
    json_decref(shown);
    json_decref(in);
    json_decref(errors);

    /* Not another scope, and never another type once created. */
    in = parse("{\"scope\":\"snsapi_userinfo\",\"type\":\"wechat_mp\"}");
    errors = json_object();
    assert_false(admin_conn_apply(in, &c, false, secret, sizeof(secret), errors));
    assert_non_null(strstr(err_of(errors, "scope"), "snsapi_login"));
    assert_non_null(strstr(err_of(errors, "type"), "cannot be changed"));
    json_decref(in);
    json_decref(errors);

    /* An unknown type names both; a service account's is the default and shown. */
    memset(&c, 0, sizeof(c));
    in = parse("{\"type\":\"website\"}");
    errors = json_object();
    assert_false(admin_conn_apply(in, &c, true, secret, sizeof(secret), errors));
    assert_non_null(strstr(err_of(errors, "type"), "wechat_open"));
    json_decref(in);
    json_decref(errors);
    in = parse("{\"appid\":\"wx5d1e4a0b9c3f7e21\",\"app_secret\":\"s\",\"callback_url\":\"#\"}");
    errors = json_object();
    memset(&c, 0, sizeof(c));
    assert_true(admin_conn_apply(in, &c, true, secret, sizeof(secret), errors));
    assert_string_equal(c.type, STORE_CONN_MP);
    json_decref(in);
    json_decref(errors);

    in = parse("{\"id\":\"demo\",\"desktop_method\":\"qrconnect\"}");
    errors = json_object();
    assert_true(admin_pool_apply(in, &p, errors));
    assert_string_equal(p.desktop_method, "qrconnect");
    json_decref(in);
    json_decref(errors);
    in = parse("{\"desktop_method\":\"auto\"}");
    errors = json_object();
    assert_true(admin_pool_apply(in, &p, errors));
    assert_string_equal(p.desktop_method, "");
    shown = admin_pool_json(&p);
    assert_string_equal(json_string_value(json_object_get(shown, "desktop_method")), "auto");
    json_decref(shown);
    json_decref(in);
    json_decref(errors);
    in = parse("{\"desktop_method\":\"scan\"}");
    errors = json_object();
    assert_false(admin_pool_apply(in, &p, errors));
    assert_non_null(strstr(err_of(errors, "desktop_method"), "qrconnect"));
    json_decref(in);
    json_decref(errors);
}

static void
test_conn_bad_fields(void **state)
{
    char content[300], body[800];
    memset(content, 'a', 256);
    content[256] = '\0';
    wx_snprintf(body, sizeof(body), "{\"txt_content\":\"%s\"}", content);
    const char *bad[][2] = {
        {"{\"appid\":\"wx123\"}", "appid"},
        {"{\"app_secret\":\"has space\"}", "app_secret"},
        {"{\"app_secret\":\"\"}", "app_secret"},
        {"{\"app_secret\":7}", "app_secret"},
        {"{\"scope\":\"snsapi_login\"}", "scope"},
        {"{\"callback_url\":\"javascript:alert(1)\"}", "callback_url"},
        {"{\"callback_url\":\"https://user:pw@a.com/cb\"}", "callback_url"},
        {"{\"callback_url\":\"\"}", "callback_url"},
        {"{\"txt_filename\":\"../../etc/passwd\"}", "txt_filename"},
        {"{\"txt_filename\":\"MP_verify_a-b.txt\",\"txt_content\":\"x\"}", "txt_filename"},
        {"{\"txt_content\":\"two\\nlines\"}", "txt_content"},
        {body, "txt_content"}, /* 256 bytes: one over the limit */
        {"{\"txt_filename\":\"MP_verify_AbC.txt\"}", "txt_content"}, /* name without content */
        {"{\"identifier\":\"other\"}", "identifier"},                /* immutable */
        {"{\"identifier\":\"wechat:webpage-authorization\",\"pool_id\":\"x\"}", "pool_id"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        store_conn_t c = {0};
        char secret[STORE_SECRET_PLAIN_MAX + 1];
        wx_strlcpy(c.pool_id, "demo", sizeof(c.pool_id));
        wx_strlcpy(c.identifier, "wechat:webpage-authorization", sizeof(c.identifier));
        wx_strlcpy(c.appid, "wx5d1e4a0b9c3f7e21", sizeof(c.appid));
        wx_strlcpy(c.callback_url, "https://a.com/cb", sizeof(c.callback_url));
        json_t *in = parse(bad[i][0]), *errors = json_object();
        assert_false(admin_conn_apply(in, &c, false, secret, sizeof(secret), errors));
        if (!err_of(errors, bad[i][1]))
            fail_msg("%s: no error on %s", bad[i][0], bad[i][1]);
        json_decref(in);
        json_decref(errors);
    }
}

/* The message server's Token and EncodingAESKey: checked, handed back to be sealed, never
 * shown; "" clears either. */
static void
test_conn_push(void **state)
{
    char tok[64], aes[64];
    bool tg, ag;
    json_t *in = parse("{\"push_token\":\"Tok3n\",\"encoding_aes_key\":"
                       "\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"}");
    json_t *errors = json_object();
    assert_true(admin_conn_push_apply(in, tok, sizeof(tok), &tg, aes, sizeof(aes), &ag, errors));
    assert_true(tg && ag);
    assert_string_equal(tok, "Tok3n");
    assert_string_equal(aes, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    /* admin_conn_apply leaves them to this function: not "unknown field". */
    store_conn_t c = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    wx_strlcpy(c.identifier, "wechat:webpage-authorization", sizeof(c.identifier));
    wx_strlcpy(c.appid, "wx5d1e4a0b9c3f7e21", sizeof(c.appid));
    wx_strlcpy(c.callback_url, "#", sizeof(c.callback_url));
    assert_true(admin_conn_apply(in, &c, false, secret, sizeof(secret), errors));
    json_decref(in);
    json_decref(errors);

    in = parse("{\"push_token\":\"\"}");
    errors = json_object();
    assert_true(admin_conn_push_apply(in, tok, sizeof(tok), &tg, aes, sizeof(aes), &ag, errors));
    assert_true(tg && !ag);
    assert_string_equal(tok, "");
    json_decref(in);
    json_decref(errors);

    static const char *const bad[][2] = {
        {"{\"push_token\":\"ab\"}", "push_token"},
        {"{\"push_token\":\"has space\"}", "push_token"},
        {"{\"push_token\":\"123456789012345678901234567890123\"}", "push_token"},
        {"{\"push_token\":7}", "push_token"},
        {"{\"encoding_aes_key\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEF\"}",
         "encoding_aes_key"},
        {"{\"encoding_aes_key\":\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEF+\"}",
         "encoding_aes_key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        in = parse(bad[i][0]);
        errors = json_object();
        assert_false(
            admin_conn_push_apply(in, tok, sizeof(tok), &tg, aes, sizeof(aes), &ag, errors));
        if (!err_of(errors, bad[i][1]))
            fail_msg("%s: no error on %s", bad[i][0], bad[i][1]);
        json_decref(in);
        json_decref(errors);
    }

    /* Shown as set / not set, with the URL for the MP admin; never the sealed values. */
    wx_strlcpy(c.pool_id, "shop", sizeof(c.pool_id));
    wx_strlcpy(c.push_token, "SEALED-TOKEN", sizeof(c.push_token));
    json_t *o = admin_conn_json(&c, "https://id.example.com");
    assert_string_equal(json_string_value(json_object_get(o, "push_token")), "set");
    assert_string_equal(json_string_value(json_object_get(o, "encoding_aes_key")), "not set");
    assert_true(json_is_true(json_object_get(o, "follow_login")));
    assert_string_equal(json_string_value(json_object_get(o, "push_url")),
                        "https://id.example.com/wechat/push/shop/wechat:webpage-authorization");
    char *dump = json_dumps(o, 0);
    assert_null(strstr(dump, "SEALED"));
    free(dump);
    json_decref(o);
}

static void
test_conn_update(void **state)
{
    store_conn_t c = {0};
    char secret[STORE_SECRET_PLAIN_MAX + 1];
    wx_strlcpy(c.identifier, "wechat:webpage-authorization", sizeof(c.identifier));
    wx_strlcpy(c.appid, "wx5d1e4a0b9c3f7e21", sizeof(c.appid));
    wx_strlcpy(c.callback_url, "https://a.com/cb", sizeof(c.callback_url));
    wx_strlcpy(c.txt_filename, "MP_verify_Old1.txt", sizeof(c.txt_filename));
    wx_strlcpy(c.txt_content, "Old1", sizeof(c.txt_content));
    /* No secret on an update keeps the stored one; "#" is a valid Callback URL; an empty
     * txt_filename stops serving the file. */
    json_t *in = parse("{\"callback_url\":\"#\",\"txt_filename\":\"\",\"txt_content\":\"\","
                       "\"scope\":\"snsapi_base\"}");
    json_t *errors = json_object();
    assert_true(admin_conn_apply(in, &c, false, secret, sizeof(secret), errors));
    assert_string_equal(secret, "");
    assert_string_equal(c.callback_url, "#");
    assert_string_equal(c.txt_filename, "");
    assert_string_equal(c.scope, "snsapi_base");
    json_decref(in);
    json_decref(errors);
}

static void
test_json_never_secret(void **state)
{
    store_conn_t c = {0};
    wx_strlcpy(c.pool_id, "demo", sizeof(c.pool_id));
    wx_strlcpy(c.identifier, "wechat:webpage-authorization", sizeof(c.identifier));
    wx_strlcpy(c.appid, "wx5d1e4a0b9c3f7e21", sizeof(c.appid));
    wx_strlcpy(c.app_secret, "v1.SEALEDSECRETBYTES", sizeof(c.app_secret));
    wx_strlcpy(c.txt_filename, "MP_verify_AbC.txt", sizeof(c.txt_filename));
    json_t *o = admin_conn_json(&c, "https://id.example.com");
    char *text = json_dumps(o, 0);
    assert_null(strstr(text, "SEALED"));
    assert_string_equal(json_string_value(json_object_get(o, "app_secret")), "set");
    assert_string_equal(json_string_value(json_object_get(o, "txt_url")),
                        "https://id.example.com/MP_verify_AbC.txt");
    assert_string_equal(json_string_value(json_object_get(o, "wechat_redirect_uri")),
                        "https://id.example.com/connections/social/wechat:webpage-authorization/"
                        "callback");
    free(text);
    json_decref(o);
    c.app_secret[0] = '\0';
    o = admin_conn_json(&c, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "app_secret")), "not set");
    assert_null(json_object_get(o, "txt_url"));
    json_decref(o);

    store_app_t a = {0};
    wx_strlcpy(a.id, "shop", sizeof(a.id));
    wx_strlcpy(a.secret, "v1.SEALEDAPPSECRET", sizeof(a.secret));
    o = admin_app_json(&a);
    text = json_dumps(o, 0);
    assert_null(strstr(text, "SEALED"));
    assert_string_equal(json_string_value(json_object_get(o, "secret")), "set");
    assert_string_equal(json_string_value(json_object_get(o, "token_alg")), "pool");
    free(text);
    json_decref(o);

    store_pool_t p = {0};
    wx_strlcpy(p.id, "demo", sizeof(p.id));
    wx_strlcpy(p.redirect_urls, "https://a.com/1\nhttps://a.com/2", sizeof(p.redirect_urls));
    o = admin_pool_json(&p);
    assert_int_equal(json_array_size(json_object_get(o, "redirect_urls")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "token_ttl")), 1296000);
    assert_string_equal(json_string_value(json_object_get(o, "alg")), "RS256");
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_appid),
        cmocka_unit_test(test_txt_name),
        cmocka_unit_test(test_pool_apply),
        cmocka_unit_test(test_pool_update_keeps_id),
        cmocka_unit_test(test_app_apply),
        cmocka_unit_test(test_conn_create),
        cmocka_unit_test(test_conn_types),
        cmocka_unit_test(test_conn_bad_fields),
        cmocka_unit_test(test_conn_update),
        cmocka_unit_test(test_conn_push),
        cmocka_unit_test(test_json_never_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
