/* Tests for src/proto/wxmsg.c: the push signatures, the safe-mode envelope against the
 * known-answer vector WeChat publishes with its message-crypto samples (Token "spamtest",
 * EncodingAESKey "abc…EFG", App ID wx2c2769f8efd9abc2), and the strict XML parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/wxmsg.h"

#define KAT_KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define KAT_TOKEN "spamtest"
#define KAT_TS "1409735669"
#define KAT_NONCE "1320562132"
#define KAT_APPID "wx2c2769f8efd9abc2"
#define KAT_SIG "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
#define KAT_ENC                                                                                    \
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG" \
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6" \
    "tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp" \
    "3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhv" \
    "Ql+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="

static void
test_signature(void **state)
{
    (void)state;
    char sig[41];
    wx_err_t err = {0};
    assert_int_equal(wxmsg_signature(KAT_TOKEN, KAT_TS, KAT_NONCE, KAT_ENC, sig, &err), WX_OK);
    assert_string_equal(sig, KAT_SIG);
    assert_true(wxmsg_signature_ok(KAT_TOKEN, KAT_TS, KAT_NONCE, KAT_ENC, KAT_SIG));
    /* One changed character anywhere: refused. */
    assert_false(wxmsg_signature_ok(KAT_TOKEN, KAT_TS, KAT_NONCE, KAT_ENC,
                                    "5d197aaffba7e9b25a30732f161a50dee96bd5fb"));
    assert_false(wxmsg_signature_ok("spamtesT", KAT_TS, KAT_NONCE, KAT_ENC, KAT_SIG));
    assert_false(wxmsg_signature_ok(KAT_TOKEN, "1409735670", KAT_NONCE, KAT_ENC, KAT_SIG));
    assert_false(wxmsg_signature_ok(KAT_TOKEN, KAT_TS, KAT_NONCE, KAT_ENC, ""));
    assert_false(wxmsg_signature_ok("", KAT_TS, KAT_NONCE, KAT_ENC, KAT_SIG));
    /* Three parts (URL verification, plain messages): sha1 of the sorted strings. */
    assert_int_equal(wxmsg_signature("tok", "2", "1", NULL, sig, &err), WX_OK);
    /* sha1("12tok") */
    assert_string_equal(sig, "865ab4720dd2cb687cfeb7cca144897b03682d7a");
}

static void
test_decrypt_kat(void **state)
{
    (void)state;
    unsigned char key[32];
    char *xml = NULL;
    size_t len = 0;
    wx_err_t err = {0};
    wxmsg_t m;
    assert_int_equal(wxmsg_aes_key(KAT_KEY, key, &err), WX_OK);
    assert_int_equal(wxmsg_decrypt(key, KAT_ENC, strlen(KAT_ENC), KAT_APPID, &xml, &len, &err),
                     WX_OK);
    assert_int_equal(len, 0x118);
    assert_int_equal(wxmsg_parse(xml, len, &m, &err), WX_OK);
    assert_string_equal(m.to_user, "gh_10f6c3c3ac5a");
    assert_string_equal(m.from_user, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    assert_string_equal(m.create_time, "1409735668");
    assert_string_equal(m.msg_type, "text");
    assert_string_equal(m.msg_id, "6054768590064713728");
    wxmsg_free(&m);
    free(xml);
    /* Another App ID in the envelope: refused as such. */
    assert_int_equal(
        wxmsg_decrypt(key, KAT_ENC, strlen(KAT_ENC), "wx2c2769f8efd9abc3", &xml, &len, &err),
        WX_EDENIED);
    assert_null(xml);
    /* Another key: bad padding or length, never a message. */
    unsigned char other[32];
    assert_int_equal(wxmsg_aes_key("bbcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", other, &err),
                     WX_OK);
    assert_int_not_equal(
        wxmsg_decrypt(other, KAT_ENC, strlen(KAT_ENC), KAT_APPID, &xml, &len, &err), WX_OK);
    assert_null(xml);
    /* Not base64, or cut. */
    assert_int_equal(wxmsg_decrypt(key, "abc", 3, KAT_APPID, &xml, &len, &err), WX_EINVAL);
    assert_int_equal(wxmsg_decrypt(key, "a*cd", 4, KAT_APPID, &xml, &len, &err), WX_EINVAL);
    assert_int_not_equal(wxmsg_decrypt(key, KAT_ENC, 44, KAT_APPID, &xml, &len, &err), WX_OK);
}

static void
test_aes_key(void **state)
{
    (void)state;
    unsigned char key[32];
    wx_err_t err = {0};
    assert_int_equal(wxmsg_aes_key("short", key, &err), WX_EINVAL);
    assert_int_equal(wxmsg_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=", key, &err),
                     WX_EINVAL);
    assert_int_equal(wxmsg_aes_key("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH", key, &err),
                     WX_EINVAL);
}

static wx_status_t
parse(const char *xml, wxmsg_t *m)
{
    wx_err_t err = {0};
    return wxmsg_parse(xml, strlen(xml), m, &err);
}

static void
test_parse(void **state)
{
    (void)state;
    wxmsg_t m;
    assert_int_equal(
        parse("<?xml version=\"1.0\"?>\n<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n"
              "<FromUserName><![CDATA[oAbc]]></FromUserName><CreateTime>123</CreateTime>"
              "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
              "<EventKey><![CDATA[qrscene_a<b]]></EventKey><Ticket>t&amp;1</Ticket>"
              "<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType></ScanCodeInfo></xml>\n",
              &m),
        WX_OK);
    assert_string_equal(m.event, "subscribe");
    assert_string_equal(m.event_key, "qrscene_a<b");
    assert_string_equal(m.ticket, "t&1");
    assert_null(m.encrypt);
    wxmsg_free(&m);
    assert_int_equal(parse("<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[QUJD]]>"
                           "</Encrypt></xml>",
                           &m),
                     WX_OK);
    assert_string_equal(m.encrypt, "QUJD");
    wxmsg_free(&m);
    /* Refused: attributes, wrong root, mismatched tags, a repeated field, an unknown entity,
     * a field too long, nesting too deep, trailing data, a DTD, a NUL, an unclosed CDATA. */
    static const char *bad[] = {
        "<xml a=\"1\"></xml>",
        "<foo></foo>",
        "<xml><Event>x</Evnt></xml>",
        "<xml><Event>x</Event><Event>y</Event></xml>",
        "<xml><Event>&nbsp;</Event></xml>",
        "<xml><a><b><c><d><e>x</e></d></c></b></a></xml>",
        "<xml></xml><xml></xml>",
        "<!DOCTYPE x [<!ENTITY e \"e\">]><xml></xml>",
        "<xml><Event><![CDATA[x]></Event></xml>",
        "<xml><Event>x",
        "<xml><Event>x</Event>",
        "<xml><a>text<b>x</b></a></xml>",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &m) == WX_OK)
            fail_msg("accepted: %s", bad[i]);
    }
    char big[400];
    memset(big, 'a', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    char doc[600];
    snprintf(doc, sizeof(doc), "<xml><EventKey>%s</EventKey></xml>", big);
    assert_int_not_equal(parse(doc, &m), WX_OK);
    wx_err_t err = {0};
    assert_int_not_equal(wxmsg_parse("<xml>\0</xml>", 12, &m, &err), WX_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_decrypt_kat),
        cmocka_unit_test(test_aes_key),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
