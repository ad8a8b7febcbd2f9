/* What every wxauthd handler gets: the process-wide, read-only app (config, WeChat settings)
 * and its worker's own context (store connection, signing-key cache). */
#ifndef WX_HANDLE_CTX_H
#define WX_HANDLE_CTX_H

#include "../config.h"
#include "../http/server.h"
#include "../proto/wechat.h"
#include "../store/store.h"
#include "../store/readers.h"
#include "../store/writer.h"
#include "admin_auth.h"
#include "conf_cache.h"
#include "login_limits.h"
#include "../keys/keys.h"
#include "../proto/login_record.h"
#include "token_cache.h"

struct event;

typedef struct {
    const wx_config_t *cfg;
    wechat_cfg_t wechat;
    seal_key_t master;             /* opens the sealed keys and secrets in the store */
    unsigned char bind_key[32];    /* MACs the browser-binding cookie (from master: every node) */
    admin_hash_t admin;            /* admin API credential (hash); unset: the admin API is off */
    admin_hash_t metrics;          /* scrape-only credential of /metrics; unset: the admin one */
    admin_fails_t *admin_fails;    /* failed admin sign-ins, counted across the workers */
    admin_fails_t *metrics_budget; /* /metrics' own budget of slow (PBKDF2) checks */
    /* The admin API has a listener of its own ([admin] listen): the public /metrics then
     * takes only the scrape-only token, and the admin listener serves /metrics (of
     * public_srv, the public listener). */
    bool admin_apart;
    http_server_t *public_srv;
    login_limits_t *limits;     /* the login endpoints' limits, shared by the workers */
    char issuer[600];           /* public_url + "/oidc" */
    keys_shared_t *keys_shared; /* the one thing the workers' key caches share (keys.h) */
    store_writer_t *writer;     /* the login path's writes (store/writer.h) */
    store_readers_t *readers;   /* the loops' reads, PostgreSQL only (handle/reads.h) */
    /* This process in the store's nodes table: claims name it, a heartbeat keeps it fresh. */
    char node_id[33];
    char host[STORE_NAME_MAX];
    int64_t pid;
} app_t;

/* A process that has not said it is alive for this long is taken for dead (its heartbeat is
 * every NODE_BEAT_S). */
#define NODE_BEAT_S 2
#define NODE_DEAD_S 12

typedef struct {
    const app_t *app;
    store_t *store;
    keys_cache_t *keys;          /* signing and verification keys (keys.h) */
    token_cache_t *verified;     /* tokens whose signature this worker checked (token_cache.h) */
    conf_cache_t *conf;          /* pools and connections the login path read (conf_cache.h) */
    struct cors_cache *cors;     /* registered web origins for preflights (cors.c); lazily made */
    admin_guard_t admin_guard;   /* admin sign-in cache and failure counters */
    admin_guard_t metrics_guard; /* the same for /metrics (its own last good token) */
    bool admin_listener;         /* a worker of the admin listener ([admin] listen) */
    atomic_int logins_inflight;  /* logins of this worker waiting on WeChat (read by /metrics) */
    int desktop_waits;           /* desktop long-polls open on this worker (desktop.c) */
    struct event *prune_ev;      /* worker 0 only: deletes old login states every minute */
    struct event *beat_ev;       /* worker 0 only: this process is alive (nodes table) */
} worker_ctx_t;

/* The browser-binding cookie: 22 random letters and digits, then 32 hex digits of their MAC
 * under app->bind_key, so only values this server (or another node of it) issued are used.
 * With an https public_url its name has the __Host- prefix (Secure, Path=/, no Domain), so
 * neither a sibling subdomain nor a plain-http page can plant one. */
#define BIND_COOKIE "wxauth_bind"
#define BIND_COOKIE_HOST "__Host-wxauth_bind"
#define BIND_RANDOM_LEN 22
#define BIND_COOKIE_LEN (BIND_RANDOM_LEN + 32)

static inline worker_ctx_t *
handle_ctx(http_req_t *r)
{
    return (worker_ctx_t *)r->worker->ctx;
}

/* The route table of wxauthd. */
extern const http_route_t handle_routes[];
extern const size_t handle_routes_count;
extern const http_route_t handle_admin_routes[];
extern const size_t handle_admin_routes_count;

void handle_start_pool(http_req_t *r);
void handle_social(http_req_t *r);
void handle_callback(http_req_t *r, const char *identifier);
void handle_txt(http_req_t *r);
void handle_healthz(http_req_t *r);
void handle_readyz(http_req_t *r);
void handle_discovery(http_req_t *r);
void handle_jwks(http_req_t *r);
void handle_validate_token(http_req_t *r);
void handle_introspection(http_req_t *r);
void handle_revocation(http_req_t *r);
void handle_logout(http_req_t *r);
void handle_logout_browser(http_req_t *r); /* GET /api/v2/logout, GET /logout (revoke.c) */
void handle_graphql(http_req_t *r);        /* POST /graphql/v2 (graphql.c) */
void handle_cors_preflight(http_req_t *r); /* OPTIONS of the SDK's endpoints (cors.c) */
/* The SDK's endpoints from pages of other origins (cors.c): the credentialed CORS headers when
 * the request's Origin is registered (web_origins) for its application, then next(r). */
void handle_cors(http_req_t *r, http_handler_fn next);
void handle_cors_cache_free(struct cors_cache *cc); /* worker_ctx_t.cors, at the worker's end */
/* Whether a QR code (/qrcode.svg) may point at origin: one of a registered URL of some pool,
 * application or connection, from the worker's origin set (cors.c, read at most once a
 * second). done(r, 1 | 0 | -1 when the set could not be read), maybe before this returns. */
void handle_qr_origin_check(http_req_t *r, const char *origin,
                            void (*done)(http_req_t *r, int verdict));
/* scheme://host[:port] of an http(s) URL, lowercased, default port dropped (cors.c). */
bool handle_url_origin(const char *url, char *out, size_t n);
/* End a popup-mode login (start.c's "popup=1") on the page that posts {code, message, data,
 * event} to its opener at the application's registered web origins (popup.c). */
void handle_popup_reply(http_req_t *r, const char *app_id, int code, const char *message,
                        const json_t *data);
void handle_me(http_req_t *r);
void handle_login_status(http_req_t *r);
void handle_auth_check(http_req_t *r);
void handle_assets(http_req_t *r);  /* /sdk/ and /console/ (assets.h) */
void handle_metrics(http_req_t *r); /* Prometheus text (metrics.c) */
void handle_qrcode(http_req_t *r);  /* GET /qrcode.svg?url= (qrcode.c) */
void handle_push(http_req_t *r);    /* the account's message push (push.c) */
/* GET /desktop/methods: a pool's desktop login methods, for sites (desktop_methods.c). */
void handle_desktop_methods(http_req_t *r);
/* OpenID Connect provider (docs/oidc.md). */
void handle_oidc_auth(http_req_t *r);        /* oidc_auth.c */
void handle_oidc_token(http_req_t *r);       /* oidc_token.c */
void handle_oidc_session_end(http_req_t *r); /* oidc_logout.c */
/* Start the WeChat login of an /oidc/auth request whose client and redirect_uri were checked
 * (start.c): the state carries the request (proto/oidc.h) to the callback. */
void handle_start_oidc(http_req_t *r, const char *pool_id, const char *app_id,
                       const char *redirect_uri, const char *request);

/* A login ready to end on its target (callback.c): what the token and the redirect are made
 * of. oidc: the /oidc/auth request (the client gets a code), else NULL. outcome: the access
 * log's word on success (NULL: "ok" / "ok_new_user"). */
typedef struct {
    const char *pool_id, *app_id, *conn_identifier, *redirect, *options, *oidc;
    const char *pool_alg; /* the pool's signing alg */
    const char *appid;    /* the connection's WeChat App ID */
    const char *outcome;
} handle_login_t;
/* Sign u's token for rec and send r to the target (business callback or OIDC client); every
 * login's end, the phone's and the desktop's. Replies to r. */
void handle_login_reply(http_req_t *r, worker_ctx_t *ctx, const handle_login_t *lg, store_user_t *u,
                        const login_record_t *rec, const char *raw_profile);

/* Worker context lifecycle (http_server_config_t hooks). */
wx_status_t handle_worker_init(http_worker_t *w, void *arg, void **ctx, wx_err_t *err);
wx_status_t handle_admin_worker_init(http_worker_t *w, void *arg, void **out, wx_err_t *err);
void handle_worker_fini(http_worker_t *w, void *ctx);
/* The stop's deadline came with requests open: those this worker holds (desktop long-polls)
 * answer now instead of being cut off. */
void handle_worker_drain(http_worker_t *w, void *ctx);

/* May a login of this connection (app NULL: pool-level) send the browser to url? The start
 * checks redirect_url with it; the callback checks the stored target again (start.c). */
bool handle_redirect_allowed(const store_conn_t *conn, const store_app_t *app,
                             const store_pool_t *pool, const char *url);
/* The allowed patterns of the same lists, " , "-separated, for developer-facing refusals. */
void handle_redirect_patterns(wx_buf_t *b, const store_conn_t *conn, const store_app_t *app,
                              const store_pool_t *pool);

/* The per-address rate limit of a login endpoint (login_limits.h): true when r may go on (key
 * gets the client's address key, wx_ip_client_key); false when r has been answered 429. */
bool handle_rate_allow(http_req_t *r, login_rate_kind_t kind, char *key, size_t n);
/* The login endpoints' 429 page, Retry-After included (start.c). */
void handle_reply_limited(http_req_t *r, int retry_after_s, const char *outcome);

/* The binding cookie's name for this config (start.c). */
const char *handle_bind_cookie_name(const wx_config_t *cfg);
/* app->bind_key from the master key (start.c). */
wx_status_t handle_bind_key_derive(const seal_key_t *master, unsigned char out[32], wx_err_t *err);

/* Identifier and id syntax checks shared by handlers. */
bool handle_valid_id(const char *s);          /* [A-Za-z0-9_-]{1,63} */
bool handle_valid_identifier(const char *s);  /* [A-Za-z0-9:_.-]{1,64} */
bool handle_txt_name_valid(const char *name); /* MP_verify_<alnum>.txt */

#endif
