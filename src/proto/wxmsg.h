/* WeChat's message push to an official account's server (spec/wechat-oauth.md §10): the
 * signature of the query (sha1 of the sorted Token, timestamp, nonce [, Encrypt]), the AES
 * "safe mode" envelope (AES-256-CBC, key = base64(EncodingAESKey + "="), IV = its first 16
 * bytes, PKCS#7 to 32; plaintext = 16 random bytes, 4-byte big-endian length, XML, App ID),
 * and a small strict parser for the flat XML WeChat sends. Pure functions, no I/O: the push
 * endpoint (handle/push.c) and the fuzz driver call them. */
#ifndef WX_PROTO_WXMSG_H
#define WX_PROTO_WXMSG_H

#include "../util/wx.h"

#define WXMSG_BODY_MAX 65536 /* a push body; events are a few hundred bytes */
#define WXMSG_AES_KEY_LEN 43 /* EncodingAESKey: 43 base64 characters */
#define WXMSG_TOKEN_MAX 32   /* MP admin: Token is 3-32 letters and digits */
#define WXMSG_FIELD_MAX 256  /* the fields we keep (ids, scene strings, tickets) */
#define WXMSG_ENCRYPT_MAX (WXMSG_BODY_MAX)

/* The fields of a message or event that wxauth reads; absent ones are "". */
typedef struct {
    char to_user[WXMSG_FIELD_MAX];   /* ToUserName: the account's original id (gh_…) */
    char from_user[WXMSG_FIELD_MAX]; /* FromUserName: the sender's openid for the account */
    char create_time[24];            /* CreateTime, digits */
    char msg_type[32];               /* MsgType: event, text, ... */
    char event[32];                  /* Event: subscribe, SCAN, unsubscribe, ... */
    char event_key[WXMSG_FIELD_MAX]; /* EventKey: qrscene_<scene> (subscribe) or <scene> (SCAN) */
    char ticket[WXMSG_FIELD_MAX];    /* Ticket of the QR code scanned */
    char msg_id[32];                 /* MsgId (messages; events have none) */
    char *encrypt;                   /* Encrypt (safe mode), malloc'd; NULL when absent */
    size_t encrypt_len;
    unsigned too_long; /* WXMSG_F_* bits: fields longer than their buffer (left "") */
} wxmsg_t;

/* wxmsg_t.too_long bits, one per field above (in that order). */
#define WXMSG_F_TO_USER (1u << 0)
#define WXMSG_F_FROM_USER (1u << 1)
#define WXMSG_F_CREATE_TIME (1u << 2)
#define WXMSG_F_MSG_TYPE (1u << 3)
#define WXMSG_F_EVENT (1u << 4)
#define WXMSG_F_EVENT_KEY (1u << 5)
#define WXMSG_F_TICKET (1u << 6)
#define WXMSG_F_MSG_ID (1u << 7)

void wxmsg_free(wxmsg_t *m);

/* Parse WeChat's XML: one <xml> root, child elements whose content is text or one CDATA
 * section (entities &lt; &gt; &amp; &quot; &apos; decoded in text), nested elements skipped
 * (depth <= 4), no attributes, no DTD or processing instruction but an optional leading
 * "<?xml …?>". A known field longer than its buffer is left "" and its bit set in too_long
 * (the caller decides: an authentic message with a long field it does not need is still
 * taken); a repeated known field, or anything else malformed, is WX_EINVAL: refused rather
 * than guessed at. */
wx_status_t wxmsg_parse(const char *xml, size_t len, wxmsg_t *out, wx_err_t *err);

/* Lowercase hex sha1 of the sorted, concatenated strings (3 for signature, 4 with Encrypt for
 * msg_signature). */
wx_status_t wxmsg_signature(const char *token, const char *timestamp, const char *nonce,
                            const char *encrypt, char out[41], wx_err_t *err);
/* Constant-time check of a received signature against the one computed. */
bool wxmsg_signature_ok(const char *token, const char *timestamp, const char *nonce,
                        const char *encrypt, const char *given);

/* The 32-byte key of an EncodingAESKey (43 characters of base64). WX_EINVAL otherwise. */
wx_status_t wxmsg_aes_key(const char *encoding_aes_key, unsigned char key[32], wx_err_t *err);

/* Open an Encrypt value: base64, AES-256-CBC, PKCS#7 (1..32), then the 16 random bytes, the
 * length, the XML and the App ID, which must equal appid (WX_EDENIED when it does not).
 * *out is malloc'd and NUL-terminated, *out_len its length. */
wx_status_t wxmsg_decrypt(const unsigned char key[32], const char *b64, size_t b64_len,
                          const char *appid, char **out, size_t *out_len, wx_err_t *err);

/* Seal xml for appid (the inverse of wxmsg_decrypt): 16 random bytes (random16, or fresh
 * ones when NULL: a test gives WeChat's sample's to reproduce its ciphertext), the length,
 * the XML, the App ID, PKCS#7 to 32, AES-256-CBC, base64. *out malloc'd, NUL-terminated. */
wx_status_t wxmsg_encrypt(const unsigned char key[32], const char *xml, size_t len,
                          const char *appid, const unsigned char *random16, char **out,
                          wx_err_t *err);

#define WXMSG_CONTENT_MAX 2048 /* a text message's Content (WeChat's limit, in bytes) */

/* A passive reply (被动回复) to a push: a text message from the account (from_user, its
 * original id gh_…) to the sender (to_user, the openid), Content content (no "]]>", at most
 * WXMSG_CONTENT_MAX bytes). With key (safe or compat mode) the envelope WeChat wants:
 * <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>, the signature over token,
 * timestamp, nonce and Encrypt; without it the plain XML. *out malloc'd. */
wx_status_t wxmsg_reply_text(const char *to_user, const char *from_user, int64_t now,
                             const char *content, const char *token, const unsigned char *key,
                             const char *appid, char **out, wx_err_t *err);

#endif
