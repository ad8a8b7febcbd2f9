/* The admin API under /api/admin/v1/: shared plumbing for its resource files
 * (admin_pools.c, admin_conns.c, admin_users.c, admin.c for keys, audit and sign-in). */
#ifndef WX_HANDLE_ADMIN_H
#define WX_HANDLE_ADMIN_H

#include <jansson.h>

#include "ctx.h"

#define ADMIN_PATH_MAX_SEGS 6

/* One admin request. Its store work runs off the loop (handle/reads.h: a reader thread with
 * PostgreSQL) with everything it needs read from the request first (path, query, body); the
 * reply it makes there is kept and sent on the loop (evhttp is not thread-safe). */
typedef struct {
    http_req_t *r;
    worker_ctx_t *ctx;
    const char *seg[ADMIN_PATH_MAX_SEGS]; /* path segments after /api/admin/v1/ */
    size_t nseg;
    char actor[96]; /* "admin@<ip>", for the audit trail */
    char path[512]; /* what seg[] points into */
    /* Off the loop: the store to use; NULL on the loop (replies go out at once, audit rows
     * are handed off). */
    store_t *st;
    char *body; /* the request body, read on the loop (NULL: none) */
    size_t body_len;
    char content_type[64];
    /* The reply made off the loop: a JSON body, or an error (status, message). */
    bool replied;
    int reply_status;
    json_t *reply_json;
    char reply_msg[512];
    store_conn_t *check;  /* a connection to check with WeChat, on the loop (admin_check.c) */
    json_t *check_static; /* with it, the results of the checks made with the store */
} admin_req_t;

/* Replies. */
void admin_reply(admin_req_t *a, int status, json_t *body);
void admin_error(admin_req_t *a, int status, const char *message);
/* 400 with {code, message, errors:{field: message}}; takes errors. */
void admin_invalid(admin_req_t *a, json_t *errors);
/* 409 for creating what exists, with the message also under errors.<field> so a form can show
 * it next to that field. */
void admin_conflict(admin_req_t *a, const char *field, const char *message);
/* Map a store error to a reply (404 for WX_ENOENT, 409 WX_EEXIST, 400 WX_EINVAL, else 500). */
void admin_store_error(admin_req_t *a, const wx_err_t *err);
/* The JSON object body, or NULL after replying 400. */
json_t *admin_body(admin_req_t *a);
/* Record a change in the audit trail. */
void admin_audit(admin_req_t *a, const char *pool_id, const char *action, const char *subject,
                 const char *outcome);
/* A query parameter as a bounded integer; false (after replying 400) when malformed. */
/* Whether a newline-separated list of redirect patterns has a plain (no '*') URL: one a
 * test login can come back to. */
bool admin_has_plain_url(const char *urls);
bool admin_query_int(admin_req_t *a, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                     int64_t *out);

/* Resources (return false when the path is not theirs). */
bool admin_pools(admin_req_t *a);
bool admin_apps(admin_req_t *a);
bool admin_conns(admin_req_t *a);
bool admin_users(admin_req_t *a);
bool admin_stats(admin_req_t *a);   /* GET /pools/{id}/stats (admin_stats.c) */
bool admin_desktop(admin_req_t *a); /* GET /pools/{id}/desktop (admin_desktop.c) */
/* The checks of c's set-up that need only the store (proto/conn_check.h conn_check_static):
 * secret, callback, pool flow. A new array. */
json_t *admin_conn_static_checks(admin_req_t *a, const store_pool_t *pool, const store_conn_t *c);
/* POST /pools/{id}/connections/{identifier}/check: replies later (admin_check.c); on the loop
 * only (admin_conns.c asks for it through a->check). Takes over checks (the results of the
 * checks made with the store, proto/conn_check.h). */
void admin_conn_check(admin_req_t *a, const store_conn_t *c, json_t *checks);

void handle_admin(http_req_t *r);

#endif
