/* The emulated WeChat pushing an event to an account's message server (spec/wechat-oauth.md
 * §10), as the MP admin's 服务器配置 sets it: POST push_url?signature&timestamp&nonce&openid
 * with the XML event; in compat and safe modes also encrypt_type=aes&msg_signature and an
 * Encrypt element (AES-256-CBC, key and IV from the EncodingAESKey, PKCS#7 to 32 bytes,
 * plaintext = 16 random bytes, 4-byte big-endian length, XML, App ID). Written apart from
 * wxauthd's side (proto/wxmsg.c) on purpose: the two meet only through the wire format.
 * The last EMU_PUSH_RING pushes are kept with their answer for GET /emu/admin/pushes, so a
 * test can replay one exactly or forge a variant. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../http/client.h"
#include "../util/log.h"
#include "../util/rand.h"
#include "../util/url.h"

#define PUSH_TIMEOUT_MS 5000 /* WeChat waits 5 s for the answer */
#define PUSH_REPLY_MAX 16384 /* a passive reply: a text message of up to 2048 bytes, sealed */
#define PUSH_XML_MAX 4096

void
emu_original_id(const emu_account_t *a, char out[EMU_ORIGINAL_ID_MAX + 1])
{
    char h[65];
    if (a->original_id[0]) {
        wx_strlcpy(out, a->original_id, EMU_ORIGINAL_ID_MAX + 1);
        return;
    }
    if (wx_sha256_hex(a->appid, strlen(a->appid), h) != WX_OK)
        memset(h, '0', 12);
    wx_snprintf(out, EMU_ORIGINAL_ID_MAX + 1, "gh_%.12s", h);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sha1 hex of the sorted parts joined (n = 3 or 4). */
static bool
sign(const char **parts, size_t n, char out[41])
{
    const char *p[4];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    bool ok;
    memcpy(p, parts, n * sizeof(*p));
    qsort(p, n, sizeof(*p), cmp_str);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(c, p[i], strlen(p[i])) == 1;
    ok = ok && EVP_DigestFinal_ex(c, md, &len) == 1 && len == 20;
    EVP_MD_CTX_free(c);
    if (ok)
        wx_hex_encode(md, 20, out);
    return ok;
}

/* base64 of the encrypted envelope of xml for appid, malloc'd. The emulator's envelope code is
 * written apart from wxauthd's (proto/wxmsg.c) on purpose: it plays WeChat, so a mistake
 * shared by both sides would pass unseen. */
static char *
seal(const char *aes_key, const char *appid, const char *xml)
{
    unsigned char key[33], *pt = NULL, *ct = NULL;
    char k44[45], *b64 = NULL;
    size_t xl = strlen(xml), al = strlen(appid), n = 20 + xl + al, pad = 32 - n % 32;
    int l1 = 0, l2 = 0;
    EVP_CIPHER_CTX *c = NULL;
    wx_snprintf(k44, sizeof(k44), "%s=", aes_key);
    if (EVP_DecodeBlock(key, (const unsigned char *)k44, 44) != 33)
        goto out;
    pt = malloc(n + pad);
    ct = malloc(n + pad + 32);
    b64 = malloc(((n + pad + 32) / 3 + 1) * 4 + 1);
    if (!pt || !ct || !b64 || wx_rand_bytes(pt, 16) != WX_OK)
        goto fail;
    pt[16] = (unsigned char)(xl >> 24);
    pt[17] = (unsigned char)(xl >> 16);
    pt[18] = (unsigned char)(xl >> 8);
    pt[19] = (unsigned char)xl;
    memcpy(pt + 20, xml, xl);
    memcpy(pt + 20 + xl, appid, al);
    memset(pt + n, (int)pad, pad);
    c = EVP_CIPHER_CTX_new();
    if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, key) != 1 ||
        EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
        EVP_EncryptUpdate(c, ct, &l1, pt, (int)(n + pad)) != 1 ||
        EVP_EncryptFinal_ex(c, ct + l1, &l2) != 1)
        goto fail;
    EVP_EncodeBlock((unsigned char *)b64, ct, l1 + l2);
    goto out;
fail:
    free(b64);
    b64 = NULL;
out:
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof(key));
    free(pt);
    free(ct);
    return b64;
}

static emu_push_rec_t *
rec_find(emu_t *e, uint64_t seq)
{
    emu_push_rec_t *x = &e->pushes.r[(seq - 1) % EMU_PUSH_RING];
    return x->seq == seq ? x : NULL;
}

typedef struct {
    emu_t *e;
    uint64_t seq;
    emu_push_done_fn done;
    void *arg;
    /* what the phone needs to read the account's passive reply */
    int mode;
    char token[64];
    char aes_key[64];
    char appid[EMU_APPID_MAX + 1];
    char gh[EMU_ORIGINAL_ID_MAX + 1];
    char openid[128];
} push_call_t;

/* The value of <name> in xml (CDATA or plain text), malloc'd; NULL when absent. A small
 * reader of the flat XML WeChat exchanges, apart from wxauthd's parser on purpose. */
static char *
xml_get(const char *xml, const char *name)
{
    char open[80], close[80];
    wx_snprintf(open, sizeof(open), "<%s>", name);
    wx_snprintf(close, sizeof(close), "</%s>", name);
    const char *p = strstr(xml, open), *e;
    if (!p)
        return NULL;
    p += strlen(open);
    if (strncmp(p, "<![CDATA[", 9) == 0) {
        p += 9;
        e = strstr(p, "]]>");
        if (!e || strncmp(e + 3, close, strlen(close)) != 0)
            return NULL;
    } else if (!(e = strstr(p, close))) {
        return NULL;
    }
    char *v = malloc((size_t)(e - p) + 1);
    if (v) {
        memcpy(v, p, (size_t)(e - p));
        v[e - p] = '\0';
    }
    return v;
}

/* Open an Encrypt value of the account (AES-256-CBC, PKCS#7 to 32, the App ID at the end):
 * the XML, malloc'd; NULL when it does not open or names another App ID. */
static char *
unseal(const char *aes_key, const char *appid, const char *b64)
{
    unsigned char key[33], *ct = NULL, *pt = NULL;
    char k44[45], *xml = NULL;
    size_t bl = strlen(b64);
    int l1 = 0, l2 = 0, cl;
    EVP_CIPHER_CTX *c = NULL;
    wx_snprintf(k44, sizeof(k44), "%s=", aes_key);
    if (bl == 0 || bl % 4 || EVP_DecodeBlock(key, (const unsigned char *)k44, 44) != 33)
        goto out;
    ct = malloc(bl);
    pt = malloc(bl + 32);
    if (!ct || !pt || (cl = EVP_DecodeBlock(ct, (const unsigned char *)b64, (int)bl)) < 0)
        goto out;
    cl -= b64[bl - 1] == '=' ? (b64[bl - 2] == '=' ? 2 : 1) : 0;
    c = EVP_CIPHER_CTX_new();
    if (cl < 32 || cl % 16 || !c || EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, key, key) != 1 ||
        EVP_CIPHER_CTX_set_padding(c, 0) != 1 || EVP_DecryptUpdate(c, pt, &l1, ct, cl) != 1 ||
        EVP_DecryptFinal_ex(c, pt + l1, &l2) != 1)
        goto out;
    size_t n = (size_t)(l1 + l2), pad = pt[n - 1];
    if (pad < 1 || pad > 32 || pad + 20 > n)
        goto out;
    n -= pad;
    size_t xl = ((size_t)pt[16] << 24) | ((size_t)pt[17] << 16) | ((size_t)pt[18] << 8) | pt[19];
    if (xl > n - 20 || n - 20 - xl != strlen(appid) || memcmp(pt + 20 + xl, appid, n - 20 - xl))
        goto out;
    if ((xml = malloc(xl + 1))) {
        memcpy(xml, pt + 20, xl);
        xml[xl] = '\0';
    }
out:
    EVP_CIPHER_CTX_free(c);
    OPENSSL_cleanse(key, sizeof(key));
    free(ct);
    free(pt);
    return xml;
}

/* The account's passive reply, read as a WeChat client would: in compat and safe mode the
 * Encrypt envelope (MsgSignature over Token, TimeStamp, Nonce, Encrypt), a text message
 * from the account to the follower. x->message, or x->reply_error. */
static void
read_reply(push_call_t *pc, emu_push_rec_t *x, const char *body)
{
    char *enc = xml_get(body, "Encrypt"), *xml = NULL, *sig = NULL, *ts = NULL, *nonce = NULL;
    char *to = NULL, *from = NULL, *type = NULL, *content = NULL, want[41];
    const char *why = NULL;
    if (enc) {
        sig = xml_get(body, "MsgSignature");
        ts = xml_get(body, "TimeStamp");
        nonce = xml_get(body, "Nonce");
        const char *p4[4] = {pc->token, ts, nonce, enc};
        if (!sig || !ts || !nonce || !sign(p4, 4, want) || strcmp(want, sig) != 0)
            why = "MsgSignature does not match the Token";
        else if (!(xml = unseal(pc->aes_key, pc->appid, enc)))
            why = "Encrypt does not open with the EncodingAESKey and App ID";
    } else if (pc->mode == EMU_PUSH_SAFE) {
        why = "safe mode: the reply must be encrypted";
    } else {
        xml = strdup(body);
    }
    if (!why && xml) {
        to = xml_get(xml, "ToUserName");
        from = xml_get(xml, "FromUserName");
        type = xml_get(xml, "MsgType");
        content = xml_get(xml, "Content");
        if (!to || strcmp(to, pc->openid) != 0 || !from || strcmp(from, pc->gh) != 0)
            why = "ToUserName/FromUserName are not the follower and the account";
        else if (!type || strcmp(type, "text") != 0 || !content)
            why = "not a text message (the emulator shows text replies only)";
    } else if (!why) {
        why = "out of memory";
    }
    if (why) {
        wx_strlcpy(x->outcome, "bad_reply", sizeof(x->outcome));
        wx_strlcpy(x->reply_error, why, sizeof(x->reply_error));
    } else {
        wx_strlcpy(x->outcome, "reply", sizeof(x->outcome));
        x->message = content;
        content = NULL;
    }
    free(enc);
    free(xml);
    free(sig);
    free(ts);
    free(nonce);
    free(to);
    free(from);
    free(type);
    free(content);
}

static void
on_answer(const http_client_result_t *res, void *arg)
{
    push_call_t *pc = arg;
    emu_push_rec_t gone = {0}, *x = rec_find(pc->e, pc->seq);
    if (!x)
        x = &gone; /* its slot was reused meanwhile: still tell the caller */
    x->done = true;
    if (res->outcome == HTTP_CLIENT_OK) {
        size_t n = res->body_len < sizeof(x->reply) - 1 ? res->body_len : sizeof(x->reply) - 1;
        x->status = res->status;
        memcpy(x->reply, res->body, n);
        x->reply[n] = '\0';
        /* WeChat takes "success" or an empty body as "received, no reply". */
        const char *o = res->status != 200                  ? "http_error"
                        : res->body_len == 0                ? "empty"
                        : strcmp(res->body, "success") == 0 ? "success"
                                                            : "other";
        wx_strlcpy(x->outcome, o, sizeof(x->outcome));
        /* Anything else that is XML is a passive reply: the account's message to the user. */
        if (strcmp(o, "other") == 0 && strncmp(res->body, "<xml>", 5) == 0 && x != &gone)
            read_reply(pc, x, res->body);
    } else {
        wx_strlcpy(x->outcome, http_client_outcome_str(res->outcome), sizeof(x->outcome));
    }
    char st[16];
    wx_snprintf(st, sizeof(st), "%ld", x->status);
    wx_log(WX_LOG_INFO, "push_answered", "appid", x->appid, "event", x->event, "outcome",
           x->outcome, "#status", st, NULL);
    pc->done(x, pc->arg);
    free(pc);
}

static void
xml_field(wx_buf_t *b, const char *name, const char *v, bool cdata)
{
    if (cdata)
        wx_buf_printf(b, "<%s><![CDATA[%s]]></%s>", name, v, name);
    else
        wx_buf_printf(b, "<%s>%s</%s>", name, v, name);
}

wx_status_t
emu_push_event(emu_t *e, http_client_t *c, const emu_account_t *a, const char *openid,
               const char *event, const char *event_key, const char *ticket, emu_push_done_fn done,
               void *arg, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    wx_buf_t xml, body, url;
    char gh[EMU_ORIGINAL_ID_MAX + 1], ts[24], nonce[16], sig[41], msig[41];
    char *enc = NULL;
    push_call_t *pc = NULL;
    uint32_t rnd = 0;
    int64_t now = emu_now(e);

    wx_buf_init(&xml, PUSH_XML_MAX);
    wx_buf_init(&body, PUSH_XML_MAX * 3);
    wx_buf_init(&url, EMU_PUSH_URL_MAX + 512);
    if (!a->push_url[0]) {
        rc = wx_err_set(err, WX_ECONFIG, "account %s has no push_url", a->appid);
        goto out;
    }
    emu_original_id(a, gh);
    wx_snprintf(ts, sizeof(ts), "%lld", (long long)now);
    if (wx_rand_bytes(&rnd, sizeof(rnd)) != WX_OK) {
        rc = wx_err_set(err, WX_ECRYPTO, "no random bytes");
        goto out;
    }
    wx_snprintf(nonce, sizeof(nonce), "%u", 100000000u + rnd % 900000000u);

    wx_buf_puts(&xml, "<xml>");
    xml_field(&xml, "ToUserName", gh, true);
    xml_field(&xml, "FromUserName", openid, true);
    xml_field(&xml, "CreateTime", ts, false);
    xml_field(&xml, "MsgType", "event", true);
    xml_field(&xml, "Event", event, true);
    if (event_key)
        xml_field(&xml, "EventKey", event_key, true);
    if (ticket)
        xml_field(&xml, "Ticket", ticket, true);
    if (wx_buf_puts(&xml, "</xml>") != WX_OK) {
        rc = wx_err_set(err, WX_ETOOBIG, "event too large");
        goto out;
    }

    const char *p3[3] = {a->push_token, ts, nonce};
    if (!sign(p3, 3, sig)) {
        rc = wx_err_set(err, WX_ECRYPTO, "sha1 failed");
        goto out;
    }
    wx_buf_puts(&url, a->push_url);
    wx_buf_puts(&url, strchr(a->push_url, '?') ? "&" : "?");
    wx_buf_printf(&url, "signature=%s&timestamp=%s&nonce=%s&openid=", sig, ts, nonce);
    wx_url_encode(&url, openid);
    if (a->push_mode == EMU_PUSH_PLAIN) {
        wx_buf_append(&body, xml.data, xml.len);
    } else {
        enc = seal(a->push_aes_key, a->appid, wx_buf_str(&xml));
        const char *p4[4] = {a->push_token, ts, nonce, enc};
        if (!enc || !sign(p4, 4, msig)) {
            rc = wx_err_set(err, WX_ECRYPTO, "cannot encrypt the event");
            goto out;
        }
        wx_buf_printf(&url, "&encrypt_type=aes&msg_signature=%s", msig);
        if (a->push_mode == EMU_PUSH_SAFE) {
            wx_buf_puts(&body, "<xml>");
            xml_field(&body, "ToUserName", gh, true);
        } else { /* compat: the plain fields, then Encrypt */
            wx_buf_append(&body, xml.data, xml.len - strlen("</xml>"));
        }
        xml_field(&body, "Encrypt", enc, true);
        wx_buf_puts(&body, "</xml>");
    }
    if (!wx_buf_str(&body)[0] || !wx_buf_str(&url)[0]) {
        rc = wx_err_set(err, WX_ETOOBIG, "push too large");
        goto out;
    }

    pc = calloc(1, sizeof(*pc));
    if (!pc) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t seq = ++e->pushes.seq;
    emu_push_rec_t *x = &e->pushes.r[(seq - 1) % EMU_PUSH_RING];
    free(x->url);
    free(x->body);
    free(x->message);
    memset(x, 0, sizeof(*x));
    x->seq = seq;
    x->at = now;
    wx_strlcpy(x->appid, a->appid, sizeof(x->appid));
    wx_strlcpy(x->event, event, sizeof(x->event));
    x->url = strdup(wx_buf_str(&url));
    x->body = strdup(wx_buf_str(&body));
    *pc = (push_call_t){.e = e, .seq = seq, .done = done, .arg = arg, .mode = a->push_mode};
    wx_strlcpy(pc->token, a->push_token, sizeof(pc->token));
    wx_strlcpy(pc->aes_key, a->push_aes_key, sizeof(pc->aes_key));
    wx_strlcpy(pc->appid, a->appid, sizeof(pc->appid));
    wx_strlcpy(pc->gh, gh, sizeof(pc->gh));
    wx_strlcpy(pc->openid, openid, sizeof(pc->openid));
    if (!x->url || !x->body) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    rc = http_client_post(c, x->url, "text/xml", x->body, PUSH_TIMEOUT_MS, PUSH_REPLY_MAX,
                          on_answer, pc, err);
    if (rc == WX_OK) {
        pc = NULL;
        wx_log(WX_LOG_INFO, "push_sent", "appid", a->appid, "event", event, "mode",
               a->push_mode == EMU_PUSH_PLAIN    ? "plain"
               : a->push_mode == EMU_PUSH_COMPAT ? "compat"
                                                 : "safe",
               NULL);
    }
out:
    free(pc);
    free(enc);
    wx_buf_free(&xml);
    wx_buf_free(&body);
    wx_buf_free(&url);
    return rc;
}

json_t *
emu_pushes_to_json(const emu_t *e)
{
    json_t *arr = json_array();
    uint64_t last = e->pushes.seq, first = last > EMU_PUSH_RING ? last - EMU_PUSH_RING + 1 : 1;
    for (uint64_t s = first; arr && s <= last && s > 0; s++) {
        const emu_push_rec_t *x = &e->pushes.r[(s - 1) % EMU_PUSH_RING];
        if (x->seq != s)
            continue;
        json_array_append_new(
            arr, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:b,s:i,s:s,s:s,s:s?,s:s}", "seq",
                           (json_int_t)x->seq, "at", (json_int_t)x->at, "appid", x->appid, "event",
                           x->event, "url", x->url ? x->url : "", "body", x->body ? x->body : "",
                           "done", x->done, "status", (int)x->status, "reply", x->reply, "outcome",
                           x->outcome, "message", x->message, "reply_error", x->reply_error));
    }
    return json_pack("{s:o*}", "pushes", arr);
}

void
emu_pushes_free(emu_t *e)
{
    for (size_t i = 0; i < EMU_PUSH_RING; i++) {
        free(e->pushes.r[i].url);
        free(e->pushes.r[i].body);
        free(e->pushes.r[i].message);
    }
    memset(&e->pushes, 0, sizeof(e->pushes));
}
