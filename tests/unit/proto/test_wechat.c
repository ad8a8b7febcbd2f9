/* Tests for src/proto/wechat.c: authorize URL order, reply parsing (any Content-Type, errcode
 * first, rid suffix stripped for people, 2021 blank profile fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../src/util/utf8.h"
#include "proto/wechat.h"

static void
test_authorize_url(void **state)
{
    wechat_cfg_t cfg = {.authorize_url = "https://open.weixin.qq.com/connect/oauth2/authorize"};
    wx_buf_t b;
    wx_buf_init(&b, 4096);
    assert_int_equal(wechat_authorize_url(&b, &cfg, "wx5d1e4a0b9c3f7e21",
                                          "https://id.example.com/connections/social/wechat:"
                                          "webpage-authorization/callback",
                                          "snsapi_userinfo", "AbC123"),
                     WX_OK);
    assert_string_equal(wx_buf_str(&b),
                        "https://open.weixin.qq.com/connect/oauth2/authorize?appid="
                        "wx5d1e4a0b9c3f7e21&redirect_uri=https%3A%2F%2Fid.example.com%2F"
                        "connections%2Fsocial%2Fwechat%3Awebpage-authorization%2Fcallback"
                        "&response_type=code&scope=snsapi_userinfo&state=AbC123#wechat_redirect");
    wx_buf_free(&b);
}

/* Open Platform website apps: the QR-code page, scope snsapi_login, same order and fragment. */
static void
test_qrconnect_url(void **state)
{
    wechat_cfg_t cfg = {.authorize_url = "https://open.weixin.qq.com/connect/oauth2/authorize",
                        .qrconnect_url = "http://127.0.0.1:8090/connect/qrconnect"};
    wx_buf_t b;
    wx_buf_init(&b, 4096);
    assert_int_equal(wechat_qrconnect_url(&b, &cfg, "wx00000000000000aa",
                                          "https://id.example.com/connections/social/wechat:"
                                          "qrconnect/callback",
                                          "AbC123"),
                     WX_OK);
    assert_string_equal(wx_buf_str(&b),
                        "http://127.0.0.1:8090/connect/qrconnect?appid=wx00000000000000aa"
                        "&redirect_uri=https%3A%2F%2Fid.example.com%2Fconnections%2Fsocial%2F"
                        "wechat%3Aqrconnect%2Fcallback&response_type=code&scope=snsapi_login"
                        "&state=AbC123#wechat_redirect");
    wx_buf_reset(&b);
    cfg.qrconnect_url = NULL; /* WeChat's own page */
    assert_int_equal(
        wechat_qrconnect_url(&b, &cfg, "wx00000000000000aa", "https://a.example/cb", "S"), WX_OK);
    assert_non_null(strstr(wx_buf_str(&b), "https://open.weixin.qq.com/connect/qrconnect?appid="));
    wx_buf_free(&b);
}

static void
test_parse_token(void **state)
{
    const char *ok = "{\"access_token\":\"AT\",\"expires_in\":7200,\"refresh_token\":\"RT\","
                     "\"openid\":\"oABC\",\"scope\":\"snsapi_userinfo\",\"is_snapshotuser\":1,"
                     "\"unionid\":\"oU\"}";
    wechat_token_t t;
    wx_err_t err = {0};
    assert_int_equal(wechat_parse_token(ok, strlen(ok), &t, &err), WX_OK);
    assert_string_equal(t.access_token, "AT");
    assert_string_equal(t.openid, "oABC");
    assert_string_equal(t.unionid, "oU");
    assert_int_equal(t.expires_in, 7200);
    assert_true(t.is_snapshotuser);
    const char *e =
        "{\"errcode\":40029,\"errmsg\":\"invalid code, rid: 6571a2b3-1f2e3d4c-5b6a7988\"}";
    assert_int_equal(wechat_parse_token(e, strlen(e), &t, &err), WX_EUPSTREAM);
    assert_int_equal(err.code, 40029);
    assert_string_equal(err.msg, "WeChat error 40029: invalid code"); /* rid kept for the log */
    assert_non_null(strstr(err.detail, "rid: 6571a2b3"));
    const char *old = "{\"errcode\":40163,\"errmsg\":\"code been used, hints: [ req_id: x ]\"}";
    assert_int_equal(wechat_parse_token(old, strlen(old), &t, &err), WX_EUPSTREAM);
    assert_string_equal(err.msg, "WeChat error 40163: code been used");
    assert_int_equal(wechat_parse_token("<html>", 6, &t, &err), WX_EIO);
    assert_int_equal(wechat_parse_token("{\"expires_in\":1}", 16, &t, &err), WX_EIO);
    assert_int_equal(wechat_parse_token("{\"access_token\":1,\"openid\":\"o\"}", 31, &t, &err),
                     WX_EIO);
}

static void
test_parse_userinfo(void **state)
{
    const char *ui = "{\"openid\":\"oABC\",\"nickname\":\"爱丽丝\",\"sex\":0,\"language\":\"\","
                     "\"city\":\"\",\"province\":\"\",\"country\":\"\",\"headimgurl\":"
                     "\"https:\\/\\/thirdwx.qlogo.cn\\/mmopen\\/vi_32\\/x\\/132\","
                     "\"privilege\":[]}";
    wechat_userinfo_t u;
    wx_err_t err = {0};
    assert_int_equal(wechat_parse_userinfo(ui, strlen(ui), &u, &err), WX_OK);
    assert_string_equal(u.nickname, "爱丽丝");
    assert_string_equal(u.headimgurl, "https://thirdwx.qlogo.cn/mmopen/vi_32/x/132");
    assert_string_equal(u.unionid, "");
    assert_int_equal(u.sex, 0);
    assert_string_equal(u.raw, ui);          /* kept verbatim for data.oauth */
    const char *min = "{\"openid\":\"o1\"}"; /* everything else optional */
    assert_int_equal(wechat_parse_userinfo(min, strlen(min), &u, &err), WX_OK);
    const char *e = "{\"errcode\":48001,\"errmsg\":\"api unauthorized, rid: 1-2-3\"}";
    assert_int_equal(wechat_parse_userinfo(e, strlen(e), &u, &err), WX_EUPSTREAM);
    assert_int_equal(err.code, 48001);
}

/* A profile that is not UTF-8 (a nickname cut inside a character) still logs in: the bad
 * bytes become U+FFFD in the fields and the raw JSON, which the store then accepts. */
static void
test_parse_userinfo_bad_utf8(void **state)
{
    const char ui[] = "{\"openid\":\"oABC\",\"nickname\":\"\xE7\x88\xB1\xE4\xB8\",\"city\":"
                      "\"\xFF\xC0\xAF\"}";
    wechat_userinfo_t u;
    wx_err_t err = {0};
    assert_int_equal(wechat_parse_userinfo(ui, strlen(ui), &u, &err), WX_OK);
    assert_string_equal(u.nickname, "\xE7\x88\xB1\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_string_equal(u.city, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(wx_utf8_valid(u.raw, strlen(u.raw)));
    assert_non_null(strstr(u.raw, "\"nickname\":\"\xE7\x88\xB1\xEF\xBF\xBD"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize_url),
        cmocka_unit_test(test_qrconnect_url),
        cmocka_unit_test(test_parse_token),
        cmocka_unit_test(test_parse_userinfo),
        cmocka_unit_test(test_parse_userinfo_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
