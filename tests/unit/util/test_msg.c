/* Tests for src/util/msg.c: every entry of the catalogue is complete in both languages, every
 * page puts Chinese first and has its action, and the page's script is the one its CSP allows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "util/msg.h"

/* Does s hold a CJK ideograph (U+4E00..U+9FFF: three UTF-8 bytes E4..E9)? */
static bool
has_cjk(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0xE4 && *p <= 0xE9 && p[1] >= 0x80 && p[2] >= 0x80)
            return true;
    return false;
}

static bool
ascii(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p >= 0x80 && strncmp((const char *)p, "\xe2\x80\x94", 3) != 0) /* em dash ok */
            return false;
    return true;
}

static int
holes(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "{}")); p += 2)
        n++;
    return n;
}

static void
test_every_entry_complete(void **state)
{
    (void)state;
    int pages = 0, callbacks = 0;
    for (int id = WX_MSG_NONE + 1; id < WX_MSG_COUNT; id++) {
        const wx_msg_t *m = wx_msg((wx_msg_id_t)id);
        if (!m->key || m != wx_msg((wx_msg_id_t)id))
            fail_msg("id %d has no entry", id);
        assert_non_null(m->zh);
        assert_non_null(m->en);
        if (!has_cjk(m->zh))
            fail_msg("%s: the zh text has no Chinese: %s", m->key, m->zh);
        if (has_cjk(m->en) || !ascii(m->en) || strlen(m->en) < 8)
            fail_msg("%s: the en text is not English: %s", m->key, m->en);
        if (holes(m->zh) != holes(m->en))
            fail_msg("%s: zh and en have different {} holes", m->key);
        for (int other = WX_MSG_NONE + 1; other < id; other++)
            if (strcmp(wx_msg((wx_msg_id_t)other)->key, m->key) == 0)
                fail_msg("key %s used twice", m->key);
        if (m->kind == WX_MSG_KIND_PAGE) {
            pages++;
            assert_true(strncmp(m->key, "page.", 5) == 0);
            if (!m->title_zh || !has_cjk(m->title_zh) || !m->title_en || has_cjk(m->title_en))
                fail_msg("%s: a page needs a Chinese and an English title", m->key);
        } else if (m->kind == WX_MSG_KIND_TEXT) {
            assert_true(strncmp(m->key, "text.", 5) == 0);
            assert_true(strlen(m->zh) + strlen(m->en) < 256); /* one line */
        } else if (m->kind == WX_MSG_KIND_CHAT) {
            assert_true(strncmp(m->key, "chat.", 5) == 0);
            assert_true(strlen(m->zh) + strlen(m->en) < 1024); /* a chat message is short */
        } else {
            callbacks++;
            assert_true(strncmp(m->key, "cb.", 3) == 0);
            assert_string_equal(wx_msg_text((wx_msg_id_t)id), m->zh); /* Authing's language */
        }
    }
    assert_true(pages >= 25);
    assert_true(callbacks >= 25);
    /* Out of range: an entry all the same, never NULL. */
    assert_non_null(wx_msg(WX_MSG_COUNT)->key);
    assert_non_null(wx_msg(WX_MSG_NONE)->key);
}

static void
test_every_page_zh_first_with_action(void **state)
{
    (void)state;
    for (int id = WX_MSG_NONE + 1; id < WX_MSG_COUNT; id++) {
        const wx_msg_t *m = wx_msg((wx_msg_id_t)id);
        if (m->kind != WX_MSG_KIND_PAGE)
            continue;
        for (int with_url = 0; with_url < 2; with_url++) {
            wx_buf_t b;
            wx_buf_init(&b, 65536);
            wx_msg_page_t p = {.id = (wx_msg_id_t)id,
                               .status = 400,
                               .rid = "RID123",
                               .arg = "42",
                               .accept_language = "zh-CN,zh;q=0.9,en;q=0.8",
                               .action_url = with_url ? "https://x.example/start?a=1&b=2" : NULL};
            assert_int_equal(wx_msg_page_render(&b, &p), WX_OK);
            const char *h = wx_buf_str(&b);
            assert_non_null(strstr(h, "<html lang=\"zh-CN\">"));
            const char *zh = strstr(h, "<h1>"),
                       *en = strstr(h, "<div class=\"wx-alt\" lang=\"en\">");
            assert_non_null(zh);
            assert_non_null(en);
            assert_true(zh < en); /* Chinese first */
            assert_true(has_cjk(zh + 4) && strncmp(zh + 4, m->title_zh, strlen(m->title_zh)) == 0);
            /* One button, after both texts, with a label in both languages. */
            const char *btn = strstr(h, "<a class=\"wx-btn\"");
            assert_non_null(btn);
            assert_true(btn > en);
            assert_null(strstr(btn + 1, "<a class=\"wx-btn\""));
            assert_true(strstr(btn, "重新登录 · Log in again") || strstr(btn, "重试 · Try again") ||
                        strstr(btn, "返回 · Back"));
            if (with_url) {
                assert_non_null(strstr(btn, "href=\"https://x.example/start?a=1&amp;b=2\""));
                assert_null(strstr(btn, "id=\"wx-back\""));
            } else {
                /* No address given: back (the script), whatever the entry's action. */
                assert_non_null(strstr(btn, "id=\"wx-back\" href=\"#\">返回 · Back"));
            }
            if (holes(m->zh)) {
                assert_null(strstr(h, "{}"));
                assert_non_null(strstr(h, "42"));
            }
            assert_non_null(strstr(h, "请求编号 Request ID RID123"));
            assert_non_null(strstr(h, "HTTP 400"));
            wx_buf_free(&b);
        }
    }
}

static void
test_english_first_by_accept_language(void **state)
{
    (void)state;
    assert_false(wx_msg_english_first(NULL));
    assert_false(wx_msg_english_first("zh-CN,zh;q=0.9,en;q=0.8"));
    assert_false(wx_msg_english_first("eng"));
    assert_false(wx_msg_english_first("*"));
    assert_true(wx_msg_english_first("en-US,en;q=0.9"));
    assert_true(wx_msg_english_first(" EN"));
    assert_true(wx_msg_english_first("en;q=0.8"));
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    wx_msg_page_t p = {.id = WX_MSG_PAGE_UNKNOWN_STATE,
                       .status = 400,
                       .rid = "r",
                       .accept_language = "en-GB,en;q=0.9"};
    assert_int_equal(wx_msg_page_render(&b, &p), WX_OK);
    const char *h = wx_buf_str(&b);
    assert_non_null(strstr(h, "<html lang=\"en\">"));
    const char *en = strstr(h, "<h1>Unknown login link</h1>");
    const char *zh = strstr(h, "<div class=\"wx-alt\" lang=\"zh-CN\"><h2>登录链接无效或已过期");
    assert_non_null(en);
    assert_non_null(zh); /* the Chinese is still there, after */
    assert_true(en < zh);
    wx_buf_free(&b);
}

static void
test_detail_code_and_escaping(void **state)
{
    (void)state;
    wx_buf_t b;
    wx_buf_init(&b, 65536);
    wx_msg_page_t p = {.id = WX_MSG_PAGE_REDIRECT_NOT_ALLOWED,
                       .status = 400,
                       .rid = "<rid>",
                       .code = 40029,
                       .detail = "Refused redirect_url: https://e.example/<script>\"x",
                       .action_url = "javascript:\"><script>",
                       .outcome = "bad\"<x>"};
    assert_int_equal(wx_msg_page_render(&b, &p), WX_OK);
    const char *h = wx_buf_str(&b);
    assert_null(strstr(h, "<script>\""));
    assert_null(strstr(h, "<rid>"));
    assert_non_null(strstr(h, "https://e.example/&lt;script&gt;&quot;x"));
    assert_non_null(strstr(h, "给网站开发者 &middot; For the site&#39;s developer"));
    assert_non_null(strstr(h, "错误码 Code 40029"));
    /* The log's outcome on the heading (tests and scripts read it), escaped. */
    assert_non_null(strstr(h, "<h1 data-outcome=\"bad&quot;&lt;x&gt;\">"));
    assert_non_null(strstr(h, "href=\"javascript:&quot;&gt;&lt;script&gt;\""));
    assert_int_equal(strstr(h, "<script>") - h, strstr(h, "<script>(function") - h); /* ours only */
    wx_buf_free(&b);
    /* A buffer too small fails, never a cut page passed as whole. */
    wx_buf_init(&b, 512);
    assert_int_not_equal(wx_msg_page_render(&b, &p), WX_OK);
    wx_buf_free(&b);
}

/* The CSP names the script by its hash: a changed script without a changed hash would leave
 * the back button dead in every browser. */
static void
test_script_hash_matches_csp(void **state)
{
    (void)state;
    unsigned char md[32];
    unsigned int n = 0;
    char b64[64];
    assert_true(
        EVP_Digest(wx_msg_page_script, strlen(wx_msg_page_script), md, &n, EVP_sha256(), NULL));
    assert_int_equal(n, 32);
    assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, md, 32), 44);
    assert_string_equal(b64, WX_MSG_SCRIPT_SHA256);
    assert_non_null(strstr(WX_MSG_PAGE_CSP, b64));
    /* Scripts by hash only: no 'unsafe-inline' or 'unsafe-hashes' in script-src. */
    const char *src = strstr(WX_MSG_PAGE_CSP, "script-src ");
    assert_non_null(src);
    char dir[256];
    snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(src, ";"), src);
    assert_null(strstr(dir, "unsafe"));
}

static void
test_wechat_errcodes(void **state)
{
    (void)state;
    assert_int_equal(wx_msg_wechat(40029), WX_MSG_CB_WECHAT_BAD_CODE);
    assert_int_equal(wx_msg_wechat(40163), WX_MSG_CB_WECHAT_CODE_USED);
    assert_int_equal(wx_msg_wechat(40003), WX_MSG_CB_WECHAT_BAD_OPENID);
    assert_int_equal(wx_msg_wechat(45011), WX_MSG_CB_WECHAT_QUOTA);
    assert_int_equal(wx_msg_wechat(-1), WX_MSG_CB_WECHAT_SYSTEM);
    assert_int_equal(wx_msg_wechat(40125), WX_MSG_CB_WECHAT_BAD_SECRET);
    assert_int_equal(wx_msg_wechat(48001), WX_MSG_CB_WECHAT_UNAUTHORIZED);
    assert_int_equal(wx_msg_wechat(12345), WX_MSG_CB_WECHAT_OTHER);
    assert_string_equal(wx_msg_text(wx_msg_wechat(40029)), "微信登录凭证无效，请重新登录");
    assert_int_equal(wx_msg(wx_msg_wechat(40029))->kind, WX_MSG_KIND_CALLBACK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry_complete),
        cmocka_unit_test(test_every_page_zh_first_with_action),
        cmocka_unit_test(test_english_first_by_accept_language),
        cmocka_unit_test(test_detail_code_and_escaping),
        cmocka_unit_test(test_script_hash_matches_csp),
        cmocka_unit_test(test_wechat_errcodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
