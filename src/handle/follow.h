/* Follow the service account to log in (关注公众号登录, docs/desktop-login.md): the account
 * access token every node shares, the parametric QR code of a desktop ticket, and the push
 * job of push.c: a subscribe / SCAN event whose scene is a follow ticket marks it scanned by
 * the follower (in the push's own transaction), and the account's passive reply asks the
 * follower to confirm on the phone (the link opens desktop.c's scan path). */
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
    char to_user[256];        /* ToUserName: the account's original id, the reply's sender */
    char scene[STORE_ID_MAX]; /* subscribe qrscene_<scene> or SCAN <scene>; "" otherwise */
    char push_key[65];        /* hex SHA-256 of what makes the push unique */
    char sig_key[65];         /* hex SHA-256 of its signed query: one use per signature */
    char follower[65];        /* desktop_follower_hash of the openid (with a scene) */
    char follower_state[STORE_ID_MAX];
    char record[STORE_TICKET_RECORD_MAX]; /* the follower's openid sealed for the scene */
    int64_t confirm_ttl;
    char ip[64];
    int64_t now;
    /* results */
    bool replay;
    const char *outcome; /* string literal for the log: "follower_scanned", "scene_unknown"... */
    store_ticket_t t;    /* the scene's ticket after the job (when outcome says one) */
} push_job_t;

/* Outcomes of a push job with a follow ticket's scene (push_job_t.outcome). */
#define FOLLOW_SCANNED "follower_scanned" /* the ticket waits for this follower's confirmation */

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

/* On the writer thread, inside the push's own transaction (push.c): the scene's ticket, if
 * it is a follow ticket of this connection, becomes SCANNED by the follower (a follower
 * scanning again: unchanged). j->outcome says what happened; a store error is returned (the
 * whole job, the push's "seen" rows with it, is rolled back and WeChat retries). Idempotent,
 * so a rerun after a lost COMMIT finds its own change. */
wx_status_t follow_push_run(store_t *st, push_job_t *j, wx_err_t *err);

/* On the loop, before the job: the follower's hash, state and sealed record for j->scene
 * (j->openid set). WX_OK or the reason the scene is skipped. */
wx_status_t follow_push_prepare(const app_t *app, push_job_t *j, wx_err_t *err);

/* start.c, for a desktop browser when the connection has a message server (push_token): as
 * desktop_start (desktop.h) but the ticket's method is "follow" and the page shows the
 * account's parametric QR code whose scene is the ticket id. */
void follow_desktop_start(http_req_t *r, const store_ticket_t *t, const store_conn_t *conn);

#endif
