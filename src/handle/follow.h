/* Follow the service account to log in (关注公众号登录, docs/desktop-login.md): the account
 * access token every node shares, the parametric QR code of a desktop ticket, and what a
 * subscribe / SCAN push event does to the ticket its scene names (push.c takes the push). */
#ifndef WX_HANDLE_FOLLOW_H
#define WX_HANDLE_FOLLOW_H

#include "ctx.h"

/* Refresh the shared access token when less than this is left (WeChat renews the stable
 * token in its last 5 minutes too). */
#define FOLLOW_TOKEN_REFRESH_S 300

/* A push being taken (push.c), and what it did. */
typedef struct {
    char pool_id[STORE_ID_MAX];
    char identifier[STORE_IDENT_MAX];
    char appid[STORE_ID_MAX];
    char openid[STORE_OPENID_MAX]; /* FromUserName */
    char msg_type[32];
    char event[32];
    char scene[STORE_ID_MAX]; /* subscribe qrscene_<scene> or SCAN <scene>; "" otherwise */
    char push_key[65];        /* hex SHA-256 of what makes the push unique */
    char sig_key[65];         /* hex SHA-256 of its signed query: one use per signature */
    char ip[64];
    int64_t now;
    /* results */
    bool replay;
    const char *outcome; /* string literal for the log: "login_completed", "scene_unknown"... */
} push_job_t;

/* The account access token of conn: from the store while it has more than
 * FOLLOW_TOKEN_REFRESH_S left (force: never), else a new one from stable_token (force_refresh
 * when force), stored sealed for every node. cb gets it on the loop (rc WX_OK), or the error
 * (WX_EUPSTREAM with err->code = WeChat's errcode, WX_ETIMEOUT, ...). WX_OK: cb will be called
 * exactly once. */
typedef void (*follow_token_cb)(wx_status_t rc, const char *token, const wx_err_t *err, void *arg);
wx_status_t follow_token(http_worker_t *w, const store_conn_t *conn, bool force, follow_token_cb cb,
                         void *arg, wx_err_t *err);

/* A temporary QR code of conn's account with scene (QR_STR_SCENE, expire_s), the access token
 * from follow_token; a token WeChat calls invalid or expired (40001, 42001, 40014) is replaced
 * once (force_refresh) and the call made again. */
typedef void (*follow_qrcode_cb)(wx_status_t rc, const char *url, long expire_seconds,
                                 const wx_err_t *err, void *arg);
wx_status_t follow_qrcode(http_worker_t *w, const store_conn_t *conn, const char *scene,
                          long expire_s, follow_qrcode_cb cb, void *arg, wx_err_t *err);

/* After a push was taken once: a subscribe / SCAN event whose scene is a follow ticket of
 * this connection completes that ticket for the openid (the user is created or updated as a
 * login does). done(arg) on the loop once it is decided (j->outcome says how). WX_OK:
 * done will be called. */
wx_status_t follow_event(http_worker_t *w, push_job_t *j, void (*done)(void *arg), void *arg,
                         wx_err_t *err);

/* start.c, for a desktop browser when the connection has a message server (push_token): as
 * desktop_start (desktop.h) but the ticket's method is "follow" and the page shows the
 * account's parametric QR code whose scene is the ticket id. */
void follow_desktop_start(http_req_t *r, const store_ticket_t *t, const store_conn_t *conn);

#endif
