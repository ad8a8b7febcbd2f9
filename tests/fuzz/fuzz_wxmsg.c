/* Fuzz driver: WeChat's pushed XML and its safe-mode envelope (src/proto/wxmsg.c). The input
 * is parsed as a message; its Encrypt element (or the whole input) is opened with a fixed key
 * and App ID, and what that decrypts to is parsed again, as the push endpoint does. Every kept
 * field must end up NUL-terminated in its bounded buffer; nothing decrypted may claim another
 * App ID. */
#include "fuzz.h"
#include "proto/wxmsg.h"

#define KEY "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
#define APPID "wx2c2769f8efd9abc2"

static void
check_fields(const wxmsg_t *m)
{
    FUZZ_CHECK(memchr(m->from_user, 0, sizeof(m->from_user)) != NULL);
    FUZZ_CHECK(memchr(m->event_key, 0, sizeof(m->event_key)) != NULL);
    FUZZ_CHECK(memchr(m->create_time, 0, sizeof(m->create_time)) != NULL);
    FUZZ_CHECK(memchr(m->msg_id, 0, sizeof(m->msg_id)) != NULL);
    FUZZ_CHECK(!m->encrypt || strlen(m->encrypt) == m->encrypt_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wx_err_t err = {0};
    wxmsg_t m, inner;
    unsigned char key[32];
    char *xml = NULL, sig[41];
    size_t len = 0;
    FUZZ_CHECK(wxmsg_aes_key(KEY, key, &err) == WX_OK);
    const char *enc = (const char *)data;
    size_t enc_len = size;
    bool parsed = wxmsg_parse((const char *)data, size, &m, &err) == WX_OK;
    if (parsed) {
        check_fields(&m);
        if (m.encrypt)
            enc = m.encrypt, enc_len = m.encrypt_len;
    }
    if (wxmsg_decrypt(key, enc, enc_len, APPID, &xml, &len, &err) == WX_OK) {
        FUZZ_CHECK(strlen(xml) <= len);
        if (wxmsg_parse(xml, len, &inner, &err) == WX_OK) {
            check_fields(&inner);
            wxmsg_free(&inner);
        }
        free(xml);
    }
    char *s = fuzz_str(data, size);
    FUZZ_CHECK(wxmsg_signature("t", s, "n", NULL, sig, &err) == WX_OK && strlen(sig) == 40);
    free(s);
    if (parsed)
        wxmsg_free(&m);
    return 0;
}
