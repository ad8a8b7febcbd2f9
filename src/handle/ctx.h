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
#include "../keys/keys.h"
#include "token_cache.h"

struct event;

typedef struct {
    const wx_config_t *cfg;
    wechat_cfg_t wechat;
    seal_key_t master;          /* opens the sealed keys and secrets in the store */
    admin_hash_t admin;         /* admin API credential (hash); unset: the admin API is off */
    admin_hash_t metrics;       /* scrape-only credential of /metrics; unset: the admin one */
    admin_fails_t *admin_fails; /* failed admin sign-ins, counted across the workers */
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
    admin_guard_t admin_guard;   /* admin sign-in cache and failure counters */
    admin_guard_t metrics_guard; /* the same for /metrics (its own last good token) */
    atomic_int logins_inflight;  /* logins of this worker waiting on WeChat (read by /metrics) */
    struct event *prune_ev;      /* worker 0 only: deletes old login states every minute */
    struct event *beat_ev;       /* worker 0 only: this process is alive (nodes table) */
} worker_ctx_t;

#define BIND_COOKIE "wxauth_bind"
#define BIND_COOKIE_LEN 43

static inline worker_ctx_t *
handle_ctx(http_req_t *r)
{
    return (worker_ctx_t *)r->worker->ctx;
}

/* The route table of wxauthd. */
extern const http_route_t handle_routes[];
extern const size_t handle_routes_count;

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
void handle_me(http_req_t *r);
void handle_login_status(http_req_t *r);
void handle_auth_check(http_req_t *r);
void handle_assets(http_req_t *r);  /* /sdk/ and /console/ (assets.h) */
void handle_metrics(http_req_t *r); /* Prometheus text (metrics.c) */

/* Worker context lifecycle (http_server_config_t hooks). */
wx_status_t handle_worker_init(http_worker_t *w, void *arg, void **ctx, wx_err_t *err);
void handle_worker_fini(http_worker_t *w, void *ctx);

/* May a login of this connection (app NULL: pool-level) send the browser to url? The start
 * checks redirect_url with it; the callback checks the stored target again (start.c). */
bool handle_redirect_allowed(const store_conn_t *conn, const store_app_t *app,
                             const store_pool_t *pool, const char *url);
/* The allowed patterns of the same lists, " , "-separated, for developer-facing refusals. */
void handle_redirect_patterns(wx_buf_t *b, const store_conn_t *conn, const store_app_t *app,
                              const store_pool_t *pool);

/* Identifier and id syntax checks shared by handlers. */
bool handle_valid_id(const char *s);          /* [A-Za-z0-9_-]{1,63} */
bool handle_valid_identifier(const char *s);  /* [A-Za-z0-9:_.-]{1,64} */
bool handle_txt_name_valid(const char *name); /* MP_verify_<alnum>.txt */

#endif
