/* wxsample: the sample business app of wxauth. Serves an entry page and a callback page that use
 * the browser SDK (sdk/wxmp.js, loaded from wxauthd), and GET /api/profile, which accepts a
 * wxauth token as "Authorization: Bearer" only after libwxauth has verified it offline against
 * wxauthd's JWKS. Shared declarations of main.c, pages.c and profile.c. */
#ifndef WXSAMPLE_H
#define WXSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/http.h>

#include "wxauth.h"

#define SAMPLE_URL_MAX 512     /* --wxauth and the URLs made from it */
#define SAMPLE_ID_MAX 128      /* --app, --pool, --identifier, --audience */
#define SAMPLE_FILE_MAX 262144 /* one page, script or style sheet */
#define SAMPLE_NFILES 4

typedef struct {
    const char *listen;     /* host:port, default 127.0.0.1:8000 */
    const char *wxauth;     /* wxauthd's public URL, e.g. http://127.0.0.1:8080 */
    const char *app_id;     /* application flow (@authing/wxmp 1.1+) when set */
    const char *pool_id;    /* pool flow (@authing/wxmp 1.0) when there is no app */
    const char *identifier; /* the connection, default wechat:webpage-authorization */
    const char *audience;   /* required "aud": default the app id, else the pool id */
    const char *public_dir; /* the pages */
    bool desktop_login;     /* let browsers outside WeChat log in (emulator UA check off) */
} sample_config_t;

/* One file of public/, read and filled in once at start-up. */
typedef struct {
    const char *name;  /* file name in public/ */
    const char *ctype; /* Content-Type */
    char *body;
    size_t len;
} sample_file_t;

typedef struct {
    sample_config_t cfg;
    char wxauth[SAMPLE_URL_MAX - 64]; /* cfg.wxauth without trailing "/" (url_ok bounds it) */
    char jwks_url[SAMPLE_URL_MAX];
    char issuer[SAMPLE_URL_MAX];
    char csp[2 * SAMPLE_URL_MAX];
    wxauth_verifier *verifier; /* NULL until the JWKS could be loaded */
    time_t verifier_retry_at;  /* no new attempt before this time */
    sample_file_t files[SAMPLE_NFILES];
} sample_app_t;

/* pages.c: load public/ (false and a reason in err when a file is missing or too large). */
bool sample_pages_load(sample_app_t *app, char *err, size_t errlen);
void sample_pages_free(sample_app_t *app);
/* Serve "/", "/callback", "/app.js", "/style.css" (and the .html names); false if not a page. */
bool sample_pages_serve(sample_app_t *app, struct evhttp_request *req, const char *path);

/* profile.c: make the verifier now if it can be (false and a reason in err if not yet). */
bool sample_verifier_ensure(sample_app_t *app, char *err, size_t errlen);
/* GET /api/profile. */
void sample_profile_serve(sample_app_t *app, struct evhttp_request *req);

/* main.c: reply helpers shared by the handlers; every reply says no-referrer and nosniff. */
void sample_reply(struct evhttp_request *req, int status, const char *ctype, const char *body,
                  size_t len);
void sample_log(struct evhttp_request *req, int status, const char *note);

#endif
