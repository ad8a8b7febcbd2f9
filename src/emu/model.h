/* The emulated world: official accounts (appid, secret, webpage-authorization domains,
 * allowed scopes, Open Platform binding, banned flag) and the people who use WeChat. Filled
 * from the config file, grown at run time through the admin API. Fields are fixed-size so an
 * account or a person is one plain struct with nothing to free. */
#ifndef EMU_MODEL_H
#define EMU_MODEL_H

#include "../util/wx.h"

#define EMU_APPID_MAX 32     /* [A-Za-z0-9_-] */
#define EMU_PERSON_ID_MAX 64 /* [A-Za-z0-9_.-] */
#define EMU_NAME_MAX 128     /* bytes of UTF-8 */
#define EMU_SECRET_MAX 128
#define EMU_DOMAINS_MAX 8
#define EMU_DOMAIN_MAX 270 /* host (253) + ":65535" */
#define EMU_PLATFORM_MAX 64
#define EMU_AVATAR_MAX 512
/* A person's avatar drawn by the emulator (avatar.c): a path on the emulator, the default. */
#define EMU_AVATAR_DRAWN "/mmopen/vi_32/%s/132"
#define EMU_PLACE_MAX 64
#define EMU_CROWD_PREFIX "crowd-"
#define EMU_CROWD_MAX 10000000
#define EMU_ACCOUNTS_MAX 1000
#define EMU_PUSH_URL_MAX 1024
#define EMU_PUSH_TOKEN_MAX 32  /* MP admin: 3-32 letters and digits */
#define EMU_AES_KEY_LEN 43     /* EncodingAESKey */
#define EMU_ORIGINAL_ID_MAX 32 /* gh_ + 12 hex */

/* How the account's server receives pushes (MP admin: 消息加解密方式). */
typedef enum {
    EMU_PUSH_PLAIN = 0, /* 明文模式 */
    EMU_PUSH_COMPAT,    /* 兼容模式: the plain fields and Encrypt */
    EMU_PUSH_SAFE,      /* 安全模式: Encrypt only */
} emu_push_mode_t;
#define EMU_PEOPLE_MAX 10000

/* Scope bits. */
#define EMU_SCOPE_BASE 1u
#define EMU_SCOPE_USERINFO 2u
#define EMU_SCOPE_LOGIN 4u /* snsapi_login: Open Platform website apps only */

typedef struct {
    char appid[EMU_APPID_MAX + 1];
    char name[EMU_NAME_MAX + 1];
    char secret[EMU_SECRET_MAX + 1];
    char domains[EMU_DOMAINS_MAX][EMU_DOMAIN_MAX + 1];
    size_t ndomains;
    unsigned scopes;                          /* EMU_SCOPE_* bits allowed */
    char open_platform[EMU_PLATFORM_MAX + 1]; /* "" = not bound: never a unionid */
    bool banned;
    /* type = website: an Open Platform website app (connect/qrconnect, snsapi_login), whose
     * domain is its 授权回调域; else a service account (webpage authorization). */
    bool website;
    /* The message server (服务器配置): pushes go to push_url, signed with push_token, and
     * encrypted with push_aes_key unless the mode is plain. Empty push_url: none. */
    char push_url[EMU_PUSH_URL_MAX + 1];
    char push_token[EMU_PUSH_TOKEN_MAX + 1];
    char push_aes_key[EMU_AES_KEY_LEN + 1];
    emu_push_mode_t push_mode;
    char original_id[EMU_ORIGINAL_ID_MAX + 1]; /* ToUserName of pushes; default derived */
} emu_account_t;

typedef struct {
    char id[EMU_PERSON_ID_MAX + 1];
    char nickname[EMU_NAME_MAX + 1];
    char avatar[EMU_AVATAR_MAX + 1];
    bool follower; /* gets snsapi_userinfo without the consent screen */
    bool snapshot; /* snapshot-page virtual user */
    int sex;       /* 0 unknown, 1 male, 2 female (only shown with legacy_profile) */
    char country[EMU_PLACE_MAX + 1];
    char province[EMU_PLACE_MAX + 1];
    char city[EMU_PLACE_MAX + 1];
} emu_person_t;

typedef struct {
    emu_account_t *accounts;
    size_t naccounts, acap;
    emu_person_t *people;
    size_t npeople, pcap;
    size_t crowd; /* crowd-0 .. crowd-{crowd-1}: generated people, for load tests */
} emu_model_t;

void emu_model_free(emu_model_t *m);
/* Lookups; the pointers stay valid until the next add to the same list. */
emu_account_t *emu_model_account(const emu_model_t *m, const char *appid);
/* A configured person, else a member of the crowd (crowd-K, K < m->crowd, nickname "用户 K"):
 * crowd members live in one per-thread slot, valid until the next lookup of a crowd member. */
emu_person_t *emu_model_person(const emu_model_t *m, const char *id);

/* A fresh account/person with the defaults (both scopes, not banned, name = id). */
wx_status_t emu_account_init(emu_account_t *a, const char *appid, wx_err_t *err);
wx_status_t emu_person_init(emu_person_t *p, const char *id, wx_err_t *err);
/* Set one field from its config-file text ("domain" = comma-separated list, booleans
 * yes/no/on/off/true/false/1/0). Unknown keys and bad values fail with a clear message. */
wx_status_t emu_account_set(emu_account_t *a, const char *key, const char *value, wx_err_t *err);
wx_status_t emu_person_set(emu_person_t *p, const char *key, const char *value, wx_err_t *err);
/* Whole-object checks once every field is set (secret and domain are required). */
wx_status_t emu_account_check(const emu_account_t *a, wx_err_t *err);

/* Insert, or replace the one with the same appid / id. */
wx_status_t emu_model_put_account(emu_model_t *m, const emu_account_t *a, wx_err_t *err);
wx_status_t emu_model_put_person(emu_model_t *m, const emu_person_t *p, wx_err_t *err);

/* Small validators shared with the config and admin code. */
bool emu_appid_valid(const char *s);
bool emu_person_id_valid(const char *s);
bool emu_utf8_valid(const char *s);
bool emu_parse_bool(const char *s, bool *out);

#endif
