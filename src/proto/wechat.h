/* The WeChat webpage-authorization client (spec/wechat-oauth.md): builds the authorize URL in
 * the exact parameter order WeChat demands, and makes the sns API calls asynchronously on the
 * worker's loop. Replies are parsed as JSON whatever their Content-Type, and errors are keyed
 * off errcode, never errmsg (WeChat appends a request id to it). */
#ifndef WX_PROTO_WECHAT_H
#define WX_PROTO_WECHAT_H

#include "../http/client.h"
#include "../store/store.h"

typedef struct {
    const char *authorize_url; /* https://open.weixin.qq.com/connect/oauth2/authorize */
    const char *qrconnect_url; /* https://open.weixin.qq.com/connect/qrconnect */
    const char *api_base;      /* https://api.weixin.qq.com */
    long timeout_ms;
    int retries; /* extra attempts on errcode -1, HTTP 5xx, or a failed connection */
    const char *lang;
} wechat_cfg_t;

typedef struct {
    char access_token[512];
    long expires_in;
    char refresh_token[512];
    char openid[STORE_OPENID_MAX];
    char scope[64];
    char unionid[STORE_OPENID_MAX];
    bool is_snapshotuser;
} wechat_token_t;

typedef struct {
    char openid[STORE_OPENID_MAX];
    char nickname[STORE_NAME_MAX];
    int sex; /* 0 unknown, 1 male, 2 female */
    char country[STORE_NAME_MAX];
    char province[STORE_NAME_MAX];
    char city[STORE_NAME_MAX];
    char headimgurl[STORE_URL_MAX];
    char unionid[STORE_OPENID_MAX];
    char raw[STORE_PROFILE_MAX]; /* the JSON as WeChat sent it */
} wechat_userinfo_t;

/* A client-credential (account) access token: only its existence matters to wxauth, as proof
 * that WeChat accepts an App ID and secret. */
typedef struct {
    char access_token[512];
    long expires_in;
} wechat_client_token_t;

/* Append the authorize URL: appid, redirect_uri, response_type, scope, state, in that order,
 * then #wechat_redirect. */
wx_status_t wechat_authorize_url(wx_buf_t *out, const wechat_cfg_t *cfg, const char *appid,
                                 const char *redirect_uri, const char *scope, const char *state);

/* Append the QR-code login URL of an Open Platform website app (spec §9): the same five
 * parameters in the same order, scope snsapi_login, then #wechat_redirect. */
wx_status_t wechat_qrconnect_url(wx_buf_t *out, const wechat_cfg_t *cfg, const char *appid,
                                 const char *redirect_uri, const char *state);

/* Pure parsers (the async calls use them; unit tests too). A body with a non-zero errcode gives
 * WX_EUPSTREAM with err->code = errcode. */
wx_status_t wechat_parse_token(const char *body, size_t len, wechat_token_t *out, wx_err_t *err);
wx_status_t wechat_parse_userinfo(const char *body, size_t len, wechat_userinfo_t *out,
                                  wx_err_t *err);
wx_status_t wechat_parse_client_token(const char *body, size_t len, wechat_client_token_t *out,
                                      wx_err_t *err);

/* Outcome of an async call: rc WX_OK with the result, or an error:
 *   WX_EUPSTREAM  WeChat answered with errcode err->code (or an HTTP error, code 0)
 *   WX_ETIMEOUT   no answer in time
 *   WX_EIO        could not connect / connection reset / unreadable answer */
typedef void (*wechat_token_cb)(wx_status_t rc, const wechat_token_t *tok, const wx_err_t *err,
                                void *arg);
typedef void (*wechat_userinfo_cb)(wx_status_t rc, const wechat_userinfo_t *ui, const wx_err_t *err,
                                   void *arg);

wx_status_t wechat_code_exchange(http_client_t *c, struct event_base *base, const wechat_cfg_t *cfg,
                                 const char *appid, const char *secret, const char *code,
                                 wechat_token_cb cb, void *arg, wx_err_t *err);
wx_status_t wechat_userinfo(http_client_t *c, struct event_base *base, const wechat_cfg_t *cfg,
                            const char *access_token, const char *openid, wechat_userinfo_cb cb,
                            void *arg, wx_err_t *err);

/* Ask WeChat for the account's access token (POST cgi-bin/stable_token, client_credential,
 * force_refresh false), to check that it accepts appid + secret. Errors as above: 40013
 * unknown appid, 40125 wrong secret, 40164 this server's IP is not on the account's IP
 * whitelist. */
typedef void (*wechat_client_token_cb)(wx_status_t rc, const wechat_client_token_t *tok,
                                       const wx_err_t *err, void *arg);
wx_status_t wechat_client_token(http_client_t *c, struct event_base *base, const wechat_cfg_t *cfg,
                                const char *appid, const char *secret, wechat_client_token_cb cb,
                                void *arg, wx_err_t *err);

/* The same with force_refresh (true: a new token, the old one still valid for 5 minutes;
 * WeChat limits these calls per day). */
wx_status_t wechat_stable_token(http_client_t *c, struct event_base *base, const wechat_cfg_t *cfg,
                                const char *appid, const char *secret, bool force_refresh,
                                wechat_client_token_cb cb, void *arg, wx_err_t *err);

/* A parametric QR code (POST cgi-bin/qrcode/create, QR_STR_SCENE, spec/wechat-oauth.md §10):
 * url is what the code holds (wxauth draws it), ticket what showqrcode takes. 40001 / 42001:
 * the access token is not (or no longer) valid. */
typedef struct {
    char ticket[512];
    long expire_seconds;
    char url[1024];
} wechat_qrcode_t;
typedef void (*wechat_qrcode_cb)(wx_status_t rc, const wechat_qrcode_t *qr, const wx_err_t *err,
                                 void *arg);
wx_status_t wechat_parse_qrcode(const char *body, size_t len, wechat_qrcode_t *out, wx_err_t *err);
wx_status_t wechat_qrcode_create(http_client_t *c, struct event_base *base, const wechat_cfg_t *cfg,
                                 const char *access_token, const char *scene, long expire_seconds,
                                 wechat_qrcode_cb cb, void *arg, wx_err_t *err);

/* WeChat's "errmsg, rid: ..." without the request-id suffix, for messages shown to people. */
void wechat_errmsg_clean(const char *errmsg, char *out, size_t n);

#endif
