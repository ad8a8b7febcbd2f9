/* Fuzz driver: WeChat's JSON replies (src/proto/wechat.c): the token, userinfo and client-token
 * parsers, and the errmsg cleaner. Every field they keep must end up NUL-terminated in its
 * bounded buffer. */
#include "fuzz.h"
#include "proto/wechat.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    wx_err_t err = {0};
    wechat_token_t *tok = calloc(1, sizeof(*tok));
    wechat_userinfo_t *ui = calloc(1, sizeof(*ui));
    wechat_client_token_t *ct = calloc(1, sizeof(*ct));
    if (!tok || !ui || !ct)
        abort();
    if (wechat_parse_token(body, size, tok, &err) == WX_OK) {
        FUZZ_CHECK(memchr(tok->openid, 0, sizeof(tok->openid)) != NULL);
        FUZZ_CHECK(memchr(tok->access_token, 0, sizeof(tok->access_token)) != NULL);
    }
    if (wechat_parse_userinfo(body, size, ui, &err) == WX_OK) {
        FUZZ_CHECK(memchr(ui->nickname, 0, sizeof(ui->nickname)) != NULL);
        FUZZ_CHECK(memchr(ui->raw, 0, sizeof(ui->raw)) != NULL);
    }
    (void)wechat_parse_client_token(body, size, ct, &err);
    char *s = fuzz_str(data, size), clean[128];
    wechat_errmsg_clean(s, clean, sizeof(clean));
    FUZZ_CHECK(strlen(clean) < sizeof(clean));
    free(s);
    free(tok);
    free(ui);
    free(ct);
    return 0;
}
