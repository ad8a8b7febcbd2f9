/* Integration-test harness: starts a real WeChat emulator and a real wxauthd on free loopback
 * ports with a fresh SQLite file and an admin token of its own, seeds them with the wxauth CLI
 * over the admin API (as an operator would), and drives them over HTTP like browsers do
 * (cookie jar per "browser", no automatic redirects). */
#ifndef WXT_HARNESS_H
#define WXT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define WXT_APPID "wx5d1e4a0b9c3f7e21"
#define WXT_APPID2 "wx8a9b0c1d2e3f4a5b"     /* second account, same Open Platform */
#define WXT_APPID_BASE "wx0123456789abcdef" /* account whose connection uses snsapi_base */
#define WXT_WECHAT_UA                                                                              \
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "    \
    "Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN"

typedef struct {
    int state_ttl;         /* 0: default */
    int wechat_timeout_ms; /* 0: default of the harness (2000) */
    int latency_ms;        /* WXEMU_LATENCY_MS for the emulator */
    int workers;           /* 0: 2 */
    int retries;           /* -1: default */
    int shutdown_grace_ms; /* 0: 3000 */
    /* NULL, or lines appended to wxauthd.ini as they are ("[gate]\ncookie = x\n") */
    const char *extra_config;
    /* false: the [limits] of wxauthd are all off (tests run many logins from one address);
     * true: none written, so wxauthd's defaults or extra_config's [limits] apply. */
    bool limits;
    /* public_url = https://127.0.0.1:PORT (what wxauthd tells browsers and WeChat; the env
     * still speaks plain http on that port: tests rewrite the scheme themselves). */
    bool public_https;
} wxt_opts_t;

typedef struct {
    char dir[512];
    char config[600];
    int auth_port, emu_port, admin_port;
    pid_t auth_pid, emu_pid;
    char auth[64];  /* http://127.0.0.1:PORT */
    char admin[64]; /* the admin API and console: http://127.0.0.1:PORT ([admin] listen) */
    char emu[64];
    char callback[128]; /* business callback (nothing listens there: tests read Location) */
    char secret[33];
    char admin_token[65]; /* wxauthd's WXAUTH_ADMIN_TOKEN; also in <dir>/admin.token (0600) */
    /* sqlite:<dir>/wxauth.db, or a fresh database on the run's PostgreSQL server when
     * WX_TEST_STORE_URL names one (tests/pg/with-postgres.sh) */
    char store_url[700];
} wxt_env_t;

typedef struct {
    long status;
    char *location; /* Location header or NULL */
    char *body;
    char *content_type;
    char *headers; /* every response header line, "Name: value\r\n" each */
} wxt_resp_t;

typedef struct wxt_browser wxt_browser_t;

/* A free loopback port for a server (below the kernel's ephemeral range). */
int wxt_free_port(void);
/* Start everything; returns 0 or fails the test. */
int wxt_setup(wxt_env_t *e, const wxt_opts_t *o);
/* Stop both servers with SIGTERM; fails the test if either exits non-zero (ASan/LSan). */
void wxt_teardown(wxt_env_t *e);
/* Kill wxauthd with SIGKILL (a crash), then start it again with the same config and store. */
void wxt_auth_kill9(wxt_env_t *e);
void wxt_auth_restart(wxt_env_t *e);
/* Run the wxauth CLI against the env: argv after the options that point it at the env
 * (--config, and --url / --token-file for the admin API). Returns exit code; stdout captured
 * into *out when out != NULL (caller frees). */
int wxt_cli(wxt_env_t *e, char **out, const char *const *argv);
/* Run the wxauth CLI with exactly argv (nothing added), stdin from /dev/null, extra
 * environment entries ("NAME=value", NULL-terminated, may be NULL). stdout and stderr are
 * captured into *out / *err when not NULL (caller frees). Returns the exit code. */
int wxt_cli_run(wxt_env_t *e, const char *const *argv, const char *const *env, char **out,
                char **err);

wxt_browser_t *wxt_browser_new(const char *user_agent);
void wxt_browser_free(wxt_browser_t *b);
int wxt_get(wxt_browser_t *b, const char *url, wxt_resp_t *out);
/* HEAD with the browser's cookies. */
int wxt_head(wxt_browser_t *b, const char *url, wxt_resp_t *out);
/* Connect from this local address (e.g. "127.0.0.2": another client to wxauthd). */
void wxt_browser_source(wxt_browser_t *b, const char *ip);
/* Put a cookie in the jar for host (as a script or a sibling site could plant it). */
void wxt_browser_cookie_set(wxt_browser_t *b, const char *host, const char *name,
                            const char *value);
/* The jar's value of cookie name (any host) into out; false when absent. */
bool wxt_browser_cookie_get(wxt_browser_t *b, const char *name, char *out, size_t n);
/* The value of response header name (case-insensitive) into out; false when absent. */
bool wxt_resp_header(const wxt_resp_t *r, const char *name, char *out, size_t n);
void wxt_resp_free(wxt_resp_t *r);
/* Plain requests without a browser (admin APIs). */
int wxt_http(const char *method, const char *url, const char *json_body, wxt_resp_t *out);
/* As wxt_http with "Authorization: Bearer <token>" (token NULL: none). */
int wxt_http_auth(const char *method, const char *url, const char *token, const char *json_body,
                  wxt_resp_t *out);
/* Any request: headers "Name: value" (NULL-terminated, may be NULL), body sent as is. */
int wxt_http_headers(const char *method, const char *url, const char *const *headers,
                     const char *body, wxt_resp_t *out);
/* wxauthd's admin API with the env's token: method on {auth}/api/admin/v1{path}. */
int wxt_admin(wxt_env_t *e, const char *method, const char *path, const char *json_body,
              wxt_resp_t *out);
/* POST JSON to the emulator admin API; asserts 2xx. */
void wxt_emu_admin(wxt_env_t *e, const char *method, const char *path, const char *json);
void wxt_emu_fault(wxt_env_t *e, const char *json);
/* Run one SQL statement on the env's store (SQLite file or PostgreSQL); fails the test on error. */
void wxt_store_exec(wxt_env_t *e, const char *sql);
void wxt_emu_clear_faults(wxt_env_t *e);
/* Number of calls the emulator saw on an endpoint ("access_token", "userinfo", ...). */
long wxt_emu_calls(wxt_env_t *e, const char *endpoint);
/* Expected openid / unionid of an emulated person for an appid (from the emulator's admin API). */
void wxt_emu_person_ids(wxt_env_t *e, const char *appid, const char *person, char *openid,
                        size_t on, char *unionid, size_t un);

/* A login through the emulator: GET start_url, follow to the emulator with
 * emu_person/emu_action appended, then to wxauthd's callback. Returns the final response
 * (the 302 to the business callback, or wxauthd's error page); the callback URL that WeChat
 * sent the browser to is copied into callback_url when not NULL. */
int wxt_login(wxt_browser_t *b, const char *start_url, const char *person, const char *action,
              wxt_resp_t *final, char *callback_url, size_t n);

typedef struct {
    int code;
    char message[512];
    json_t *data; /* NULL unless code 200 */
} wxt_result_t;

/* Parse code/message/data from a business-callback URL; returns false if it is not one. */
bool wxt_parse_result(const wxt_env_t *e, const char *location, wxt_result_t *out);
void wxt_result_free(wxt_result_t *r);

#endif
