/* Identifiers the emulator hands out: openids and unionids derived from a keyed hash (so a
 * person keeps them across restarts and the tests can predict them), random codes and
 * tokens shaped like WeChat's, and the "rid" request id WeChat appends to every errmsg. */
#ifndef EMU_IDS_H
#define EMU_IDS_H

#include <stdint.h>

#include "../util/wx.h"

#define EMU_OPENID_LEN 28 /* 'o' + 27 of [A-Za-z0-9_-] */
#define EMU_CODE_LEN 32   /* [A-Za-z0-9] */
#define EMU_TOKEN_LEN 96  /* [A-Za-z0-9_-], like WeChat's 89-110 */
#define EMU_RID_LEN 26    /* xxxxxxxx-xxxxxxxx-xxxxxxxx */

/* 'o' + the first 27 base64url characters of HMAC-SHA256(seed, kind|a|b). kind is "openid"
 * (a = appid, b = person), "unionid" (a = Open Platform id, b = person) or "snapshot"
 * (a = appid, b = person: the virtual openid of a snapshot-page user). */
wx_status_t emu_id_derive(const char *seed, const char *kind, const char *a, const char *b,
                          char out[EMU_OPENID_LEN + 1]);

wx_status_t emu_code_new(char out[EMU_CODE_LEN + 1]);
wx_status_t emu_token_new(char out[EMU_TOKEN_LEN + 1]);

/* "%08x-%08x-%08x": the emulated Unix time, then two random groups. */
void emu_rid_format(uint32_t t, uint32_t r1, uint32_t r2, char out[EMU_RID_LEN + 1]);
void emu_rid_new(int64_t now, char out[EMU_RID_LEN + 1]);

/* Unpadded base64url of n bytes into out (at least 4*ceil(n/3)+1 bytes); returns length. */
size_t emu_b64url(const unsigned char *in, size_t n, char *out);

#endif
