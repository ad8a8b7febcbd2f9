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

#include <openssl/evp.h>

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

static wx_status_t
parse(const char *xml, wxmsg_t *m)
{
    wx_err_t err = {0};
    return wxmsg_parse(xml, strlen(xml), m, &err);
}

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

/* Our encryption reproduces WeChat's published ciphertext byte for byte when given its
 * sample's 16 random bytes (read back from the sample itself), and what we seal opens. */
static void
test_encrypt_kat(void **state)
{
    (void)state;
    unsigned char key[32], ct[1024], pt[1024];
    char *xml = NULL, *enc = NULL;
    size_t len = 0;
    int n = 0, fin = 0;
    wx_err_t err = {0};
    assert_int_equal(wxmsg_aes_key(KAT_KEY, key, &err), WX_OK);
    assert_int_equal(wxmsg_decrypt(key, KAT_ENC, strlen(KAT_ENC), KAT_APPID, &xml, &len, &err),
                     WX_OK);
    int ctlen = EVP_DecodeBlock(ct, (const unsigned char *)KAT_ENC, (int)strlen(KAT_ENC)) - 1;
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_DecryptInit_ex(cx, EVP_aes_256_cbc(), NULL, key, key), 1);
    EVP_CIPHER_CTX_set_padding(cx, 0);
    assert_int_equal(EVP_DecryptUpdate(cx, pt, &n, ct, ctlen), 1);
    assert_int_equal(EVP_DecryptFinal_ex(cx, pt + n, &fin), 1);
    EVP_CIPHER_CTX_free(cx);
    assert_int_equal(wxmsg_encrypt(key, xml, len, KAT_APPID, pt, &enc, &err), WX_OK);
    assert_string_equal(enc, KAT_ENC);
    free(enc);
    /* Fresh random bytes: another ciphertext, the same message. */
    char *back = NULL;
    size_t blen = 0;
    assert_int_equal(wxmsg_encrypt(key, xml, len, KAT_APPID, NULL, &enc, &err), WX_OK);
    assert_string_not_equal(enc, KAT_ENC);
    assert_int_equal(wxmsg_decrypt(key, enc, strlen(enc), KAT_APPID, &back, &blen, &err), WX_OK);
    assert_int_equal(blen, len);
    assert_memory_equal(back, xml, len);
    free(back);
    free(enc);
    free(xml);
}

/* A passive reply in safe mode: signed over Token, TimeStamp, Nonce and Encrypt; the Encrypt
 * opens to the text message; in plain mode the text message itself. */
static void
test_reply_text(void **state)
{
    (void)state;
    unsigned char key[32];
    char *out = NULL, *xml = NULL;
    size_t len = 0;
    wx_err_t err = {0};
    wxmsg_t outer, m;
    const char *content = "确认登录 <a href=\"https://id.example.com/desktop/scan?t=abc\">确认</a>";
    assert_int_equal(wxmsg_aes_key(KAT_KEY, key, &err), WX_OK);
    assert_int_equal(wxmsg_reply_text("oUser", "gh_1", 1409735669, content, KAT_TOKEN, key,
                                      KAT_APPID, &out, &err),
                     WX_OK);
    assert_int_equal(parse(out, &outer), WX_OK);
    assert_non_null(outer.encrypt);
    const char *ts = strstr(out, "<TimeStamp>") + strlen("<TimeStamp>");
    assert_int_equal(strncmp(ts, "1409735669<", 11), 0);
    const char *nonce = strstr(out, "<Nonce><![CDATA[") + strlen("<Nonce><![CDATA[");
    const char *sig = strstr(out, "<MsgSignature><![CDATA[") + strlen("<MsgSignature><![CDATA[");
    char nonce_s[16], sig_s[41];
    snprintf(nonce_s, sizeof(nonce_s), "%.*s", (int)strcspn(nonce, "]"), nonce);
    snprintf(sig_s, sizeof(sig_s), "%.40s", sig);
    assert_true(wxmsg_signature_ok(KAT_TOKEN, "1409735669", nonce_s, outer.encrypt, sig_s));
    assert_false(wxmsg_signature_ok("other", "1409735669", nonce_s, outer.encrypt, sig_s));
    assert_int_equal(
        wxmsg_decrypt(key, outer.encrypt, outer.encrypt_len, KAT_APPID, &xml, &len, &err), WX_OK);
    assert_non_null(strstr(xml, content));
    assert_int_equal(parse(xml, &m), WX_OK);
    assert_string_equal(m.to_user, "oUser");
    assert_string_equal(m.from_user, "gh_1");
    assert_string_equal(m.msg_type, "text");
    wxmsg_free(&m);
    wxmsg_free(&outer);
    free(xml);
    free(out);
    /* Plain mode: the message itself. */
    assert_int_equal(
        wxmsg_reply_text("oUser", "gh_1", 1, "hi", KAT_TOKEN, NULL, KAT_APPID, &out, &err), WX_OK);
    assert_non_null(strstr(out, "<Content><![CDATA[hi]]></Content>"));
    free(out);
    /* A "]]>" would end the CDATA section: refused. */
    assert_int_equal(
        wxmsg_reply_text("oUser", "gh_1", 1, "a]]>b", KAT_TOKEN, NULL, KAT_APPID, &out, &err),
        WX_EINVAL);
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
    /* A field too long for us: taken, said in too_long (the caller decides), left empty. */
    snprintf(doc, sizeof(doc), "<xml><EventKey>%s</EventKey><Event>SCAN</Event></xml>", big);
    assert_int_equal(parse(doc, &m), WX_OK);
    assert_int_equal(m.too_long, WXMSG_F_EVENT_KEY);
    assert_string_equal(m.event_key, "");
    assert_string_equal(m.event, "SCAN");
    wxmsg_free(&m);
    snprintf(doc, sizeof(doc), "<xml><Ticket><![CDATA[%s]]></Ticket></xml>", big);
    assert_int_equal(parse(doc, &m), WX_OK);
    assert_int_equal(m.too_long, WXMSG_F_TICKET);
    wxmsg_free(&m);
    /* ... but a bad entity in it is still malformed. */
    big[10] = '&';
    snprintf(doc, sizeof(doc), "<xml><Ticket>%s</Ticket></xml>", big);
    assert_int_not_equal(parse(doc, &m), WX_OK);
    wx_err_t err = {0};
    assert_int_not_equal(wxmsg_parse("<xml>\0</xml>", 12, &m, &err), WX_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature),   cmocka_unit_test(test_decrypt_kat),
        cmocka_unit_test(test_encrypt_kat), cmocka_unit_test(test_reply_text),
        cmocka_unit_test(test_aes_key),     cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
