/* WeChat message push: signatures, the AES safe-mode envelope, and the flat XML (wxmsg.h).
 * Everything here reads untrusted bytes from the network: every length is checked against
 * its buffer before a copy, and the parser never recurses deeper than XML_DEPTH_MAX. */
#include "wxmsg.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "../util/rand.h"

#define XML_DEPTH_MAX 4
#define XML_NAME_MAX 64

void
wxmsg_free(wxmsg_t *m)
{
    free(m->encrypt);
    m->encrypt = NULL;
    m->encrypt_len = 0;
}

typedef struct {
    const char *p, *end;
} xp_t;

static void
xp_ws(xp_t *x)
{
    while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' || *x->p == '\r' || *x->p == '\n'))
        x->p++;
}

static bool
xp_lit(xp_t *x, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(x->end - x->p) < n || memcmp(x->p, lit, n) != 0)
        return false;
    x->p += n;
    return true;
}

static bool
name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* "<Name>" (no attributes): name into out. */
static bool
xp_open(xp_t *x, char out[XML_NAME_MAX + 1])
{
    const char *s;
    size_t n;
    if (!xp_lit(x, "<"))
        return false;
    s = x->p;
    while (x->p < x->end && name_char(*x->p))
        x->p++;
    n = (size_t)(x->p - s);
    if (n == 0 || n > XML_NAME_MAX || !xp_lit(x, ">"))
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static bool
xp_close(xp_t *x, const char *name)
{
    return xp_lit(x, "</") && xp_lit(x, name) && xp_lit(x, ">");
}

/* Decode the text [s, e) into out (size n): the five predefined entities; a '&' that starts
 * anything else is refused. Returns the length, or -1. With out NULL only checks the
 * entities: -2 when they are well-formed, -1 when not. */
static long
text_decode(const char *s, const char *e, char *out, size_t n)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    while (s < e) {
        char c = *s;
        if (c == '&') {
            size_t i, k = WX_ARRAY_LEN(ents);
            for (i = 0; i < k; i++) {
                size_t l = strlen(ents[i].ent);
                if ((size_t)(e - s) >= l && memcmp(s, ents[i].ent, l) == 0)
                    break;
            }
            if (i == k)
                return -1;
            c = ents[i].c;
            s += strlen(ents[i].ent);
        } else {
            s++;
        }
        if (!out)
            continue;
        if (o + 1 >= n)
            return -1;
        out[o++] = c;
    }
    if (!out)
        return -2;
    out[o] = '\0';
    return (long)o;
}

/* One element after its "<Name>" was read: a CDATA section, text, or child elements
 * (skipped). A leaf's value goes to *vs and *ve (raw CDATA, or text still encoded: *is_text). */
static bool
xp_content(xp_t *x, const char *name, int depth, const char **vs, const char **ve, bool *is_text)
{
    *vs = *ve = NULL;
    *is_text = false;
    if (xp_lit(x, "<![CDATA[")) {
        const char *s = x->p;
        const char *e = NULL;
        for (const char *q = s; q + 3 <= x->end; q++)
            if (q[0] == ']' && q[1] == ']' && q[2] == '>') {
                e = q;
                break;
            }
        if (!e)
            return false;
        *vs = s;
        *ve = e;
        x->p = e + 3;
        return xp_close(x, name);
    }
    const char *s = x->p;
    while (x->p < x->end && *x->p != '<')
        x->p++;
    if (x->p >= x->end)
        return false;
    if ((size_t)(x->end - x->p) >= 2 && x->p[1] == '/') {
        *vs = s;
        *ve = x->p;
        *is_text = true;
        return xp_close(x, name);
    }
    /* Children: only white space between them. */
    for (const char *q = s; q < x->p; q++)
        if (*q != ' ' && *q != '\t' && *q != '\r' && *q != '\n')
            return false;
    if (depth >= XML_DEPTH_MAX)
        return false;
    for (;;) {
        char child[XML_NAME_MAX + 1];
        const char *cs, *ce;
        bool t;
        xp_ws(x);
        if ((size_t)(x->end - x->p) >= 2 && x->p[0] == '<' && x->p[1] == '/')
            return xp_close(x, name);
        if (!xp_open(x, child) || !xp_content(x, child, depth + 1, &cs, &ce, &t))
            return false;
    }
}

typedef struct {
    const char *name;
    size_t off, size;
} field_t;

#define F(n, m)                                                                                    \
    {                                                                                              \
        n, offsetof(wxmsg_t, m), sizeof(((wxmsg_t *)0)->m)                                         \
    }
static const field_t fields[] = {
    F("ToUserName", to_user),
    F("FromUserName", from_user),
    F("CreateTime", create_time),
    F("MsgType", msg_type),
    F("Event", event),
    F("EventKey", event_key),
    F("Ticket", ticket),
    F("MsgId", msg_id),
};
#undef F

static wx_status_t
set_value(wxmsg_t *out, const char *name, const char *vs, const char *ve, bool is_text,
          unsigned *seen, wx_err_t *err)
{
    size_t len = (size_t)(ve - vs);
    if (strcmp(name, "Encrypt") == 0) {
        if (out->encrypt)
            return wx_err_set(err, WX_EINVAL, "Encrypt appears twice");
        if (len == 0 || len > WXMSG_ENCRYPT_MAX)
            return wx_err_set(err, WX_EINVAL, "Encrypt is empty or too long");
        out->encrypt = malloc(len + 1);
        if (!out->encrypt)
            return wx_err_set(err, WX_ENOMEM, "out of memory");
        long n = is_text ? text_decode(vs, ve, out->encrypt, len + 1) : (long)len;
        if (n < 0)
            return wx_err_set(err, WX_EINVAL, "Encrypt: bad entity");
        if (!is_text)
            memcpy(out->encrypt, vs, len);
        out->encrypt[n] = '\0';
        out->encrypt_len = (size_t)n;
        return WX_OK;
    }
    for (size_t i = 0; i < WX_ARRAY_LEN(fields); i++) {
        if (strcmp(name, fields[i].name) != 0)
            continue;
        if (*seen & (1u << i))
            return wx_err_set(err, WX_EINVAL, "%s appears twice", name);
        *seen |= 1u << i;
        char *dst = (char *)out + fields[i].off;
        /* Too long for us: said, not refused (the message is WeChat's; a field the caller
         * does not need must not make WeChat retry it forever). Entities only shrink text. */
        if (len >= fields[i].size && (!is_text || !memchr(vs, '&', len))) {
            out->too_long |= 1u << i;
            dst[0] = '\0';
            return WX_OK;
        }
        if (is_text) {
            if (text_decode(vs, ve, dst, fields[i].size) < 0) {
                if (text_decode(vs, ve, NULL, 0) == -2) { /* well-formed, only too long */
                    out->too_long |= 1u << i;
                    dst[0] = '\0';
                    return WX_OK;
                }
                return wx_err_set(err, WX_EINVAL, "%s has a bad entity", name);
            }
        } else {
            memcpy(dst, vs, len);
            dst[len] = '\0';
        }
        return WX_OK;
    }
    return WX_OK; /* a field we do not read */
}

wx_status_t
wxmsg_parse(const char *xml, size_t len, wxmsg_t *out, wx_err_t *err)
{
    xp_t x = {xml, xml + len};
    unsigned seen = 0;
    wx_status_t rc = WX_OK;
    memset(out, 0, sizeof(*out));
    if (len > WXMSG_BODY_MAX)
        return wx_err_set(err, WX_ETOOBIG, "message over %d bytes", WXMSG_BODY_MAX);
    if (memchr(xml, '\0', len))
        return wx_err_set(err, WX_EINVAL, "message has a NUL byte");
    xp_ws(&x);
    if (xp_lit(&x, "<?xml")) {
        while (x.p < x.end && *x.p != '<' && !(x.p[0] == '?' && x.p + 1 < x.end && x.p[1] == '>'))
            x.p++;
        if (!xp_lit(&x, "?>"))
            return wx_err_set(err, WX_EINVAL, "bad XML declaration");
        xp_ws(&x);
    }
    if (!xp_lit(&x, "<xml>"))
        return wx_err_set(err, WX_EINVAL, "not a WeChat message: no <xml> root");
    for (;;) {
        char name[XML_NAME_MAX + 1];
        const char *vs, *ve;
        bool is_text;
        xp_ws(&x);
        if (xp_lit(&x, "</xml>"))
            break;
        if (!xp_open(&x, name) || !xp_content(&x, name, 1, &vs, &ve, &is_text)) {
            rc = wx_err_set(err, WX_EINVAL, "malformed XML near byte %ld", (long)(x.p - xml));
            goto out;
        }
        if (vs && (rc = set_value(out, name, vs, ve, is_text, &seen, err)) != WX_OK)
            goto out;
    }
    xp_ws(&x);
    if (x.p != x.end)
        rc = wx_err_set(err, WX_EINVAL, "data after </xml>");
out:
    if (rc != WX_OK)
        wxmsg_free(out);
    return rc;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

wx_status_t
wxmsg_signature(const char *token, const char *timestamp, const char *nonce, const char *encrypt,
                char out[41], wx_err_t *err)
{
    const char *parts[4] = {token, timestamp, nonce, encrypt};
    size_t n = encrypt ? 4 : 3;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    wx_status_t rc = WX_OK;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    qsort(parts, n, sizeof(parts[0]), cmp_str);
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
        rc = wx_err_set(err, WX_ECRYPTO, "sha1 unavailable");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) != 1) {
            rc = wx_err_set(err, WX_ECRYPTO, "sha1 failed");
            goto out;
        }
    if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20) {
        rc = wx_err_set(err, WX_ECRYPTO, "sha1 failed");
        goto out;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}

bool
wxmsg_signature_ok(const char *token, const char *timestamp, const char *nonce, const char *encrypt,
                   const char *given)
{
    char want[41];
    wx_err_t err = {0};
    if (!token || !token[0] || !timestamp || !nonce || !given)
        return false;
    if (wxmsg_signature(token, timestamp, nonce, encrypt, want, &err) != WX_OK)
        return false;
    return wx_ct_equal(want, 40, given, strlen(given));
}

static bool
b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

wx_status_t
wxmsg_aes_key(const char *k, unsigned char key[32], wx_err_t *err)
{
    char in[WXMSG_AES_KEY_LEN + 2];
    unsigned char raw[36];
    if (!k || strlen(k) != WXMSG_AES_KEY_LEN)
        return wx_err_set(err, WX_EINVAL, "EncodingAESKey must be 43 characters");
    for (size_t i = 0; i < WXMSG_AES_KEY_LEN; i++)
        if (!b64_char(k[i]))
            return wx_err_set(err, WX_EINVAL, "EncodingAESKey: only letters and digits");
    memcpy(in, k, WXMSG_AES_KEY_LEN);
    in[WXMSG_AES_KEY_LEN] = '=';
    in[WXMSG_AES_KEY_LEN + 1] = '\0';
    /* EVP_DecodeBlock ignores '=' padding in its count: 44 chars give 33 bytes, the last 0. */
    if (EVP_DecodeBlock(raw, (const unsigned char *)in, WXMSG_AES_KEY_LEN + 1) != 33)
        return wx_err_set(err, WX_EINVAL, "EncodingAESKey is not base64");
    memcpy(key, raw, 32);
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(in, sizeof(in));
    return WX_OK;
}

wx_status_t
wxmsg_decrypt(const unsigned char key[32], const char *b64, size_t b64_len, const char *appid,
              char **out, size_t *out_len, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    unsigned char *ct = NULL, *pt = NULL;
    EVP_CIPHER_CTX *cx = NULL;
    int n = 0, fin = 0, ctlen;
    size_t pad = 0, ptlen, xlen;
    *out = NULL;
    *out_len = 0;
    if (b64_len == 0 || b64_len % 4 != 0 || b64_len > WXMSG_ENCRYPT_MAX)
        return wx_err_set(err, WX_EINVAL, "Encrypt is not base64");
    for (size_t i = 0; i < b64_len; i++)
        if (!b64_char(b64[i]) && !(b64[i] == '=' && i + 2 >= b64_len))
            return wx_err_set(err, WX_EINVAL, "Encrypt is not base64");
    ct = malloc(b64_len);
    pt = malloc(b64_len + 32);
    if (!ct || !pt) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    ctlen = EVP_DecodeBlock(ct, (const unsigned char *)b64, (int)b64_len);
    if (ctlen < 0) {
        rc = wx_err_set(err, WX_EINVAL, "Encrypt is not base64");
        goto out;
    }
    if (b64[b64_len - 1] == '=')
        ctlen -= b64[b64_len - 2] == '=' ? 2 : 1;
    if (ctlen < 32 || ctlen % 16 != 0) {
        rc = wx_err_set(err, WX_EINVAL, "Encrypt has a bad length");
        goto out;
    }
    cx = EVP_CIPHER_CTX_new();
    if (!cx || EVP_DecryptInit_ex(cx, EVP_aes_256_cbc(), NULL, key, key) != 1 ||
        EVP_CIPHER_CTX_set_padding(cx, 0) != 1 || EVP_DecryptUpdate(cx, pt, &n, ct, ctlen) != 1 ||
        EVP_DecryptFinal_ex(cx, pt + n, &fin) != 1) {
        rc = wx_err_set(err, WX_ECRYPTO, "cannot decrypt");
        goto out;
    }
    ptlen = (size_t)(n + fin);
    /* PKCS#7 padded to 32 (not AES's 16): 1..32 bytes, all the same value. */
    pad = pt[ptlen - 1];
    if (pad < 1 || pad > 32 || pad > ptlen) {
        rc = wx_err_set(err, WX_EINVAL, "bad padding (wrong EncodingAESKey?)");
        goto out;
    }
    for (size_t i = 0; i < pad; i++)
        if (pt[ptlen - 1 - i] != pad) {
            rc = wx_err_set(err, WX_EINVAL, "bad padding (wrong EncodingAESKey?)");
            goto out;
        }
    ptlen -= pad;
    if (ptlen < 20) {
        rc = wx_err_set(err, WX_EINVAL, "decrypted message too short");
        goto out;
    }
    xlen = ((size_t)pt[16] << 24) | ((size_t)pt[17] << 16) | ((size_t)pt[18] << 8) | pt[19];
    if (xlen > ptlen - 20) {
        rc = wx_err_set(err, WX_EINVAL, "decrypted length out of range (wrong EncodingAESKey?)");
        goto out;
    }
    {
        const char *aid = (const char *)pt + 20 + xlen;
        size_t alen = ptlen - 20 - xlen;
        if (!appid || strlen(appid) != alen || memcmp(aid, appid, alen) != 0) {
            rc = wx_err_set(err, WX_EDENIED, "the message is for another App ID");
            goto out;
        }
    }
    *out = malloc(xlen + 1);
    if (!*out) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(*out, pt + 20, xlen);
    (*out)[xlen] = '\0';
    *out_len = xlen;
out:
    EVP_CIPHER_CTX_free(cx);
    if (pt)
        OPENSSL_cleanse(pt, b64_len + 32);
    free(pt);
    free(ct);
    return rc;
}

wx_status_t
wxmsg_encrypt(const unsigned char key[32], const char *xml, size_t len, const char *appid,
              const unsigned char *random16, char **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    unsigned char *pt = NULL, *ct = NULL;
    EVP_CIPHER_CTX *cx = NULL;
    size_t al = appid ? strlen(appid) : 0, n, pad, total = 0;
    int l1 = 0, l2 = 0;
    *out = NULL;
    if (!appid || al == 0 || len > WXMSG_BODY_MAX)
        return wx_err_set(err, WX_EINVAL, "nothing to encrypt, or no App ID");
    n = 20 + len + al;
    pad = 32 - n % 32; /* PKCS#7 to 32 bytes: 1..32, never 0 */
    total = n + pad;
    pt = malloc(total);
    ct = malloc(total + 32);
    *out = malloc((total + 2) / 3 * 4 + 1);
    if (!pt || !ct || !*out) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    if (random16)
        memcpy(pt, random16, 16);
    else if (wx_rand_bytes(pt, 16) != WX_OK) {
        rc = wx_err_set(err, WX_ECRYPTO, "no random bytes");
        goto out;
    }
    pt[16] = (unsigned char)(len >> 24);
    pt[17] = (unsigned char)(len >> 16);
    pt[18] = (unsigned char)(len >> 8);
    pt[19] = (unsigned char)len;
    memcpy(pt + 20, xml, len);
    memcpy(pt + 20 + len, appid, al);
    memset(pt + n, (int)pad, pad);
    cx = EVP_CIPHER_CTX_new();
    if (!cx || EVP_EncryptInit_ex(cx, EVP_aes_256_cbc(), NULL, key, key) != 1 ||
        EVP_CIPHER_CTX_set_padding(cx, 0) != 1 ||
        EVP_EncryptUpdate(cx, ct, &l1, pt, (int)total) != 1 ||
        EVP_EncryptFinal_ex(cx, ct + l1, &l2) != 1) {
        rc = wx_err_set(err, WX_ECRYPTO, "cannot encrypt");
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)*out, ct, l1 + l2);
out:
    if (rc != WX_OK) {
        free(*out);
        *out = NULL;
    }
    EVP_CIPHER_CTX_free(cx);
    if (pt)
        OPENSSL_cleanse(pt, total);
    free(pt);
    free(ct);
    return rc;
}

/* A CDATA value of ours: printable, no "]]>" (it would end the section). */
static bool
cdata_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return s && n <= max && !strstr(s, "]]>");
}

wx_status_t
wxmsg_reply_text(const char *to_user, const char *from_user, int64_t now, const char *content,
                 const char *token, const unsigned char *key, const char *appid, char **out,
                 wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    char *xml = NULL, *enc = NULL, ts[24], nonce[16], sig[41];
    size_t xn;
    uint32_t rnd = 0;
    *out = NULL;
    if (!cdata_ok(to_user, WXMSG_FIELD_MAX) || !cdata_ok(from_user, WXMSG_FIELD_MAX) ||
        !cdata_ok(content, WXMSG_CONTENT_MAX) || !to_user[0] || !from_user[0])
        return wx_err_set(err, WX_EINVAL, "reply fields missing, too long or holding \"]]>\"");
    xn = strlen(to_user) + strlen(from_user) + strlen(content) + 256;
    if (!(xml = malloc(xn)))
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    if (!wx_snprintf(xml, xn,
                     "<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]>"
                     "</FromUserName><CreateTime>%lld</CreateTime><MsgType><![CDATA[text]]>"
                     "</MsgType><Content><![CDATA[%s]]></Content></xml>",
                     to_user, from_user, (long long)now, content)) {
        rc = wx_err_set(err, WX_ETOOBIG, "reply too long");
        goto out;
    }
    if (!key) {
        *out = xml;
        xml = NULL;
        goto out;
    }
    if ((rc = wxmsg_encrypt(key, xml, strlen(xml), appid, NULL, &enc, err)) != WX_OK)
        goto out;
    if (wx_rand_bytes(&rnd, sizeof(rnd)) != WX_OK) {
        rc = wx_err_set(err, WX_ECRYPTO, "no random bytes");
        goto out;
    }
    wx_snprintf(ts, sizeof(ts), "%lld", (long long)now);
    wx_snprintf(nonce, sizeof(nonce), "%u", 100000000u + rnd % 900000000u);
    if ((rc = wxmsg_signature(token, ts, nonce, enc, sig, err)) != WX_OK)
        goto out;
    xn = strlen(enc) + 256;
    if (!(*out = malloc(xn))) {
        rc = wx_err_set(err, WX_ENOMEM, "out of memory");
        goto out;
    }
    wx_snprintf(*out, xn,
                "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]>"
                "</MsgSignature><TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>",
                enc, sig, ts, nonce);
out:
    if (xml) {
        OPENSSL_cleanse(xml, strlen(xml));
        free(xml);
    }
    free(enc);
    return rc;
}
