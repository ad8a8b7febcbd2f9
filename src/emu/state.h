/* The emulator's whole state and what its handlers share. There is one emu_t per process,
 * used only on the server's single worker thread (workers = 1), so nothing here needs a
 * lock. Handlers of the emulated WeChat fill an emu_resp_t; serve.c applies the injected
 * faults and latency around them, logs the call and sends (or holds) the reply. */
#ifndef EMU_STATE_H
#define EMU_STATE_H

#include <jansson.h>

#include "../http/server.h"
#include "../util/buf.h"
#include "calls.h"
#include "config.h"
#include "faults.h"
#include "grants.h"
#include "held.h"
#include "model.h"

#define EMU_BODY_MAX (512 * 1024)
#define EMU_PUSH_RING 32 /* pushes kept for GET /emu/admin/pushes */

/* One push to an account's server (push.c), kept for tests: the exact request and the answer. */
typedef struct {
    uint64_t seq; /* 0: unused slot */
    int64_t at;
    char appid[EMU_APPID_MAX + 1];
    char event[16];
    char *url; /* push_url with the signed query */
    char *body;
    bool done;
    long status;          /* HTTP status of the answer; 0 when none */
    char reply[128];      /* the start of the answer's body */
    char outcome[24];     /* "success", "empty", "reply", "bad_reply", "other", or a transport
                             failure */
    char *message;        /* outcome "reply": the passive reply's Content, as the phone shows it
                             (opened and checked as WeChat does in safe/compat mode) */
    char reply_error[96]; /* outcome "bad_reply": why WeChat would drop it */
} emu_push_rec_t;

typedef struct {
    emu_push_rec_t r[EMU_PUSH_RING];
    uint64_t seq;
} emu_pushes_t;

typedef struct {
    emu_config_t cfg;
    emu_model_t model;
    int64_t clock_offset; /* emulated time = wall clock + offset (admin API moves it) */
    emu_grants_t grants;
    emu_faults_t faults;
    emu_calls_t calls;
    emu_held_t held;
    emu_pushes_t pushes;
} emu_t;

/* A reply being prepared. */
typedef struct {
    int status;        /* HTTP status (200 unless set) */
    const char *ctype; /* string literal */
    wx_buf_t body;
    int errcode;                   /* for the call log: WeChat or page error code, 0 = ok */
    char appid[EMU_APPID_MAX + 1]; /* for the call log */
    const char *outcome;           /* short word for the access log */
} emu_resp_t;

typedef void (*emu_handler_fn)(emu_t *e, http_req_t *r, emu_resp_t *out);

/* Emulated Unix time. */
int64_t emu_now(const emu_t *e);

/* serve.c: reply helpers. JSON goes out as WeChat sends it: compact, '/' escaped, raw
 * UTF-8, Content-Type text/plain. */
void emu_resp_json(emu_resp_t *out, json_t *obj);
/* {"errcode":N,"errmsg":"<message>, rid: ..."}. */
void emu_resp_wxerr(const emu_t *e, emu_resp_t *out, int errcode);
/* WeChat's errmsg for an API errcode / the text of an authorize-page error code. */
const char *emu_errmsg(int errcode);
const char *emu_page_errmsg(int code);
void emu_resp_set_appid(emu_resp_t *out, const char *appid);

/* Route handlers. */
void emu_route_authorize(http_req_t *r);
void emu_route_access_token(http_req_t *r);
void emu_route_refresh_token(http_req_t *r);
void emu_route_userinfo(http_req_t *r);
void emu_route_auth(http_req_t *r);
void emu_route_sns_unknown(http_req_t *r);
void emu_route_cgi_token(http_req_t *r);
void emu_route_cgi_stable_token(http_req_t *r);
void emu_route_healthz(http_req_t *r);
void emu_route_admin(http_req_t *r);
void emu_route_avatar(http_req_t *r); /* avatar.c: the people's drawn avatars */
/* qrcode.c: parametric QR codes, their image, and the phone's scan of one. */
void emu_route_qrcode_create(http_req_t *r);
void emu_route_showqrcode(http_req_t *r);
void emu_route_scan(http_req_t *r);

/* push.c: send an event to the account's server (a->push_url), signed (and encrypted unless
 * the account's mode is plain) as WeChat does. done(rec, arg) is called once, on the loop,
 * when the server answered or the push failed; WX_OK means it will be. */
typedef void (*emu_push_done_fn)(const emu_push_rec_t *rec, void *arg);
wx_status_t emu_push_event(emu_t *e, http_client_t *c, const emu_account_t *a, const char *openid,
                           const char *event, const char *event_key, const char *ticket,
                           emu_push_done_fn done, void *arg, wx_err_t *err);
json_t *emu_pushes_to_json(const emu_t *e);
json_t *emu_qrcodes_to_json(const emu_t *e, const char *scene); /* newest first */
void emu_pushes_free(emu_t *e);
/* The account's original id (gh_…): configured, else derived from its appid. */
void emu_original_id(const emu_account_t *a, char out[EMU_ORIGINAL_ID_MAX + 1]);
/* The headimgurl of p: its configured URL, or the emulator's own drawing (avatar.c). */
void emu_avatar_url(const emu_t *e, const emu_person_t *p, char *out, size_t n);

/* serve.c: run handler fn for endpoint ep with faults, latency, logging and the call ring. */
void emu_serve(http_req_t *r, emu_endpoint_t ep, emu_handler_fn fn);

/* Handlers behind the routes (authorize.c, sns.c). */
void emu_authorize(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_sns_access_token(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_sns_refresh_token(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_sns_userinfo(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_sns_auth(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_sns_unknown(emu_t *e, http_req_t *r, emu_resp_t *out);
/* cgi.c: the account access-token APIs. */
void emu_cgi_token(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_cgi_stable_token(emu_t *e, http_req_t *r, emu_resp_t *out);
/* The account of a valid client access token, or NULL after answering 41001/40001/42001. */
const emu_account_t *emu_cgi_token_account(emu_t *e, const char *access_token, emu_resp_t *out);

/* pages.c: the frame every page shares (title escaped; page_end sets CSP and type). */
void emu_page_begin(const emu_t *e, wx_buf_t *b, const char *title);
void emu_page_end(http_req_t *r, emu_resp_t *out);
/* pages.c: the HTML pages (authorize errors, the UA notice, person picker, consent). */
void emu_page_error(const emu_t *e, http_req_t *r, emu_resp_t *out, int code, const char *detail);
void emu_page_http_status(emu_resp_t *out, int status);
void emu_page_ua(const emu_t *e, http_req_t *r, emu_resp_t *out);
/* self: the authorize URL without emu_person / emu_action, to link back to. */
void emu_page_picker(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self);
void emu_page_consent(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self,
                      const emu_account_t *a, const emu_person_t *p, unsigned scope);

/* authorize.c, shared with qrconnect.c: the page's URL without emu_* parameters; the 302 back
 * to redirect_uri (code NULL: state only); a new single-use code for person p. */
wx_status_t emu_self_url(const http_req_t *r, const char *path, wx_buf_t *u);
void emu_redirect_back(http_req_t *r, emu_resp_t *out, const char *redirect_uri, const char *code,
                       const char *state);
wx_status_t emu_code_issue(emu_t *e, const emu_account_t *a, const emu_person_t *p, unsigned scope,
                           char code[EMU_CODE_LEN + 1], wx_err_t *err);
/* qrconnect.c: an Open Platform website app's QR-code login page. */
void emu_qrconnect(emu_t *e, http_req_t *r, emu_resp_t *out);
void emu_route_qrconnect(http_req_t *r);
/* pages.c: the QR page, its error page, and what the desktop shows after a scan. */
void emu_page_qr_error(const emu_t *e, http_req_t *r, emu_resp_t *out, int code,
                       const char *headline, const char *detail);
void emu_page_qr(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self,
                 const char *qr_text, const emu_account_t *a, const emu_person_t *scanned);
void emu_page_qr_cancelled(const emu_t *e, http_req_t *r, emu_resp_t *out, const char *self,
                           const emu_account_t *a);

/* The openid / unionid a person has for an account ("" unionid when none). */
wx_status_t emu_person_ids(const emu_t *e, const emu_account_t *a, const emu_person_t *p,
                           char openid[EMU_OPENID_LEN + 1], char unionid[EMU_OPENID_LEN + 1]);

/* emu.c: the emulator object. */
wx_status_t emu_new(const emu_config_t *cfg, emu_model_t *model, emu_t **out, wx_err_t *err);
void emu_free(emu_t *e);

#endif
