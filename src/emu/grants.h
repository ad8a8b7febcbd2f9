/* Codes, access tokens and refresh tokens the emulator has issued: three bounded hash tables
 * keyed by the code/token string. Each keeps its entries in expiry order (a list; an access
 * token whose expiry a refresh extends moves to the end), so the oldest is always first: past
 * the cap, or once expired for longer than the table keeps them, the first ones go. A load
 * test can therefore never exhaust memory. Times are on the emulated clock. */
#ifndef EMU_GRANTS_H
#define EMU_GRANTS_H

#include <stdint.h>

#include "ids.h"
#include "model.h"

#define EMU_CODE_TTL 300
#define EMU_CODE_TTL_WEBSITE 600 /* snsapi_login codes: 10 minutes */
#define EMU_ACCESS_TTL 7200
#define EMU_REFRESH_TTL (30 * 86400)
#define EMU_GRANTS_CAP_DEFAULT 100000
#define EMU_SCENE_MAX 64 /* scene_str: 1-64 characters */

typedef struct emu_grant {
    struct emu_grant *hnext;       /* bucket chain */
    struct emu_grant *prev, *next; /* expiry order */
    uint32_t hash;
    int64_t expires; /* emulated Unix seconds */
    char key[EMU_TOKEN_LEN + 1];
    char appid[EMU_APPID_MAX + 1];
    char person[EMU_PERSON_ID_MAX + 1];
    char openid[EMU_OPENID_LEN + 1];
    unsigned scope;
    bool snapshot;
    bool used;                      /* code: exchanged already */
    bool stable;                    /* client token: from stable_token (else cgi-bin/token) */
    char access[EMU_TOKEN_LEN + 1]; /* refresh token: its current access token */
    char scene[EMU_SCENE_MAX + 1];  /* QR code: its scene (scene_str, or scene_id in digits) */
    bool permanent;                 /* QR code: QR_LIMIT_* (no expiry) */
} emu_grant_t;

typedef struct {
    emu_grant_t **buckets;
    size_t nbuckets; /* power of two */
    emu_grant_t *head, *tail;
    size_t count, cap;
    int64_t keep; /* seconds an expired entry stays (answers "expired", not "unknown") */
    uint64_t evicted;
} emu_tab_t;

typedef struct {
    emu_tab_t codes, access, refresh;
    emu_tab_t client;  /* account access tokens (cgi-bin/token, stable_token); appid only */
    emu_tab_t qrcodes; /* parametric QR codes (qrcode/create), keyed by the code of their url */
    emu_tab_t follows; /* who follows which account since start, keyed by openid */
} emu_grants_t;

wx_status_t emu_tab_init(emu_tab_t *t, size_t cap, int64_t keep, wx_err_t *err);
void emu_tab_free(emu_tab_t *t);
emu_grant_t *emu_tab_find(const emu_tab_t *t, const char *key);
/* Copy g (key and expires set by the caller) into the table; *out points at the copy. */
wx_status_t emu_tab_add(emu_tab_t *t, int64_t now, const emu_grant_t *g, emu_grant_t **out,
                        wx_err_t *err);
/* Move to the end of the expiry order (after its expiry was extended). */
void emu_tab_touch(emu_tab_t *t, emu_grant_t *g);
void emu_tab_remove(emu_tab_t *t, emu_grant_t *g);

wx_status_t emu_grants_init(emu_grants_t *g, size_t cap, wx_err_t *err);
void emu_grants_free(emu_grants_t *g);

#endif
