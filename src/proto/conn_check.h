/* The checks of one WeChat connection's set-up (secret, callback, pool flow, verification
 * file, WeChat's answer, domain), each as {check, status, message, fix, message_zh, fix_zh}:
 * the one place these rules and words live. The admin API's POST …/check (handle/admin_check.c)
 * runs them; `wxauth doctor` and the console show what it returns. Pure: the caller does the
 * store reads and the HTTP calls and hands the results in. */
#ifndef WX_PROTO_CONN_CHECK_H
#define WX_PROTO_CONN_CHECK_H

#include <jansson.h>

#include "../store/store.h"

#define CONN_CHECK_URL_MAX 1200
/* The state the domain probe sends to the authorize page (WeChat's rule: 1-128 alnum). */
#define CONN_CHECK_PROBE_STATE "wxauthdomaincheck"
/* Bounds of the checks' own HTTP calls. */
#define CONN_CHECK_TXT_MAX_BODY 4096
#define CONN_CHECK_PROBE_MAX_BODY (256 * 1024)
#define CONN_CHECK_HTTP_TIMEOUT_MS 5000

typedef enum { CONN_CHECK_OK, CONN_CHECK_WARN, CONN_CHECK_FAIL } conn_check_status_t;

/* What the checks know about the connection. */
typedef struct {
    const store_conn_t *conn;
    char txt_url[CONN_CHECK_URL_MAX];      /* public_url + "/" + Txt Filename ("" when none) */
    char redirect_uri[CONN_CHECK_URL_MAX]; /* where WeChat returns: its host is the domain */
    char push_url[CONN_CHECK_URL_MAX];     /* the message server URL (follow to log in) */
    char set_cmd[300];                     /* "wxauth connection set --pool …" for the fixes */
} conn_check_t;

/* An HTTP answer (or its absence) the caller got. */
typedef struct {
    bool answered;     /* an HTTP response came (any status) */
    bool timeout;      /* no answer in time */
    bool too_big;      /* an answer over the limit */
    long status;       /* when answered */
    const char *body;  /* NUL-terminated, when answered */
    size_t body_len;   /* its length (a NUL inside is part of what WeChat would read) */
    const char *error; /* transport error text otherwise */
} conn_check_http_t;

void conn_check_init(conn_check_t *x, const store_conn_t *c, const char *public_url);

/* Checks that need no network; append to arr. pool_plain / app_plain: whether the pool / some
 * application of the pool has a plain (no '*') registered callback. A connection with a
 * message server Token (follow to log in) also gets conn_check_follow's entries. */
void conn_check_static(json_t *arr, const conn_check_t *x, bool pool_plain, bool app_plain);
/* Follow to log in (a message server Token set): the Token, the EncodingAESKey (safe mode),
 * and the URL to enter in the MP admin's 服务器配置. */
void conn_check_follow(json_t *arr, const conn_check_t *x);
/* GET txt_url's answer (not called when there is no Txt Filename: see conn_check_static). */
void conn_check_txt(json_t *arr, const conn_check_t *x, const conn_check_http_t *h);
/* WeChat's token call: reason and message as POST …/check returns them. */
void conn_check_wechat(json_t *arr, const conn_check_t *x, const char *api_base, const char *reason,
                       const char *message);
/* Whether the domain probe applies: the authorize page is not real WeChat's (which lets
 * only its own app in, so a server cannot ask it). */
bool conn_check_probe_wanted(const char *authorize_url);
/* The domain: static rules for real WeChat (no port, no IP), and when probed (h != NULL) the
 * authorize page's answer to redirect_uri. */
void conn_check_domain(json_t *arr, const conn_check_t *x, const char *api_base,
                       const conn_check_http_t *h);
/* An Open Platform website app (STORE_CONN_OPEN): its domain entry. It has no txt-file entry:
 * the Open Platform asks for no verification file; its domain is the website app's 授权回调域. */
void conn_check_website(json_t *arr, const conn_check_t *x);
/* Counts of failed and warned entries of arr. */
void conn_check_count(const json_t *arr, int *failed, int *warned);

#endif
