/* Admin API entry: authenticate, split the path, dispatch to a resource; plus the small
 * resources (sign-in, signing keys, audit log). Every change is written to the audit trail;
 * changes reach running workers through the store (each reads it per login). */
#include "admin.h"

#include "version.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../http/reply.h"
#include "../util/clock.h"
#include "../util/log.h"
#include "admin_auth.h"
#include "reads.h"

void
admin_reply(admin_req_t *a, int status, json_t *body)
{
    if (!a->st) {
        http_reply_json(a->r, status, body);
        return;
    }
    if (a->replied) { /* one reply per request, as on the loop */
        json_decref(body);
        return;
    }
    a->replied = true;
    a->reply_status = status;
    a->reply_json = body;
}

void
admin_error(admin_req_t *a, int status, const char *message)
{
    a->r->outcome = status == 404 ? "not_found" : "error";
    if (!a->st) {
        http_reply_error(a->r, status, status, message);
        return;
    }
    admin_reply(a, status, json_pack("{s:i,s:s}", "code", status, "message", message));
}

void
admin_invalid(admin_req_t *a, json_t *errors)
{
    a->r->outcome = "invalid";
    admin_reply(a, 400,
                json_pack("{s:i,s:s,s:o}", "code", 400, "message", "some fields are not valid",
                          "errors", errors));
}

void
admin_conflict(admin_req_t *a, const char *field, const char *message)
{
    a->r->outcome = "conflict";
    admin_reply(
        a, 409,
        json_pack("{s:i,s:s,s:{s:s}}", "code", 409, "message", message, "errors", field, message));
}

void
admin_store_error(admin_req_t *a, const wx_err_t *err)
{
    switch (err->status) {
    case WX_ENOENT:
        admin_error(a, 404, err->msg);
        return;
    case WX_EEXIST:
        admin_error(a, 409, err->msg);
        return;
    case WX_EINVAL:
    case WX_ETOOBIG:
        admin_error(a, 400, err->msg);
        return;
    default:
        wx_log(WX_LOG_ERROR, "admin_store_failed", "rid", a->r->id, "error", err->msg, "detail",
               err->detail, NULL);
        admin_error(a, 500, "the store failed; nothing was changed");
    }
}

json_t *
admin_body(admin_req_t *a)
{
    size_t len = 0;
    json_error_t je;
    const char *ct = a->content_type; /* read on the loop (handle_admin) */
    if (strncmp(ct, "application/json", 16) != 0) {
        admin_error(a, 415, "send a JSON body with Content-Type: application/json");
        return NULL;
    }
    (void)len;
    json_t *j = a->body ? json_loadb(a->body, a->body_len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        admin_error(a, 400, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* An audit row written from the loop: handed off, its end only logged. */
typedef struct {
    char rid[17];
    char pool_id[STORE_ID_MAX], actor[96], action[64], subject[128], outcome[128];
    int64_t at;
} audit_job_t;

static wx_status_t
audit_job_run(store_t *st, void *arg, wx_err_t *err)
{
    audit_job_t *j = arg;
    store_audit_t ev = {.at = j->at,
                        .pool_id = j->pool_id,
                        .actor = j->actor,
                        .action = j->action,
                        .subject = j->subject,
                        .outcome = j->outcome};
    return store_audit_add(st, &ev, err);
}

static void
audit_job_done(wx_status_t rc, const wx_err_t *err, void *arg)
{
    audit_job_t *j = arg;
    if (rc != WX_OK)
        wx_log(WX_LOG_ERROR, "audit_failed", "rid", j->rid, "action", j->action, "error", err->msg,
               NULL);
    free(j);
}

void
admin_audit(admin_req_t *a, const char *pool_id, const char *action, const char *subject,
            const char *outcome)
{
    wx_err_t err = {0};
    store_audit_t ev = {.at = wx_now(),
                        .pool_id = pool_id,
                        .actor = a->actor,
                        .action = action,
                        .subject = subject,
                        .outcome = outcome};
    if (!a->st) {
        audit_job_t *j = calloc(1, sizeof(*j));
        if (j) {
            wx_strlcpy(j->rid, a->r->id, sizeof(j->rid));
            wx_strlcpy(j->pool_id, pool_id ? pool_id : "", sizeof(j->pool_id));
            wx_strlcpy(j->actor, a->actor, sizeof(j->actor));
            wx_strlcpy(j->action, action, sizeof(j->action));
            wx_strlcpy(j->subject, subject ? subject : "", sizeof(j->subject));
            wx_strlcpy(j->outcome, outcome, sizeof(j->outcome));
            j->at = ev.at;
            handle_read(a->r->worker, audit_job_run, audit_job_done, j);
        } else {
            wx_log(WX_LOG_ERROR, "audit_failed", "rid", a->r->id, "action", action, "error",
                   "out of memory", NULL);
        }
    } else if (store_audit_add(a->st, &ev, &err) != WX_OK) {
        wx_log(WX_LOG_ERROR, "audit_failed", "rid", a->r->id, "action", action, "error", err.msg,
               NULL);
    }
    wx_log(WX_LOG_INFO, "admin_change", "rid", a->r->id, "actor", a->actor, "action", action,
           "subject", subject ? subject : "", "outcome", outcome, NULL);
}

bool
admin_query_int(admin_req_t *a, const char *name, int64_t lo, int64_t hi, int64_t dflt,
                int64_t *out)
{
    const char *v = wx_query_get(&a->r->query, name);
    long n;
    *out = dflt;
    if (!v || !v[0])
        return true;
    if (!wx_parse_long(v, (long)lo, (long)hi, &n)) {
        char msg[128];
        wx_snprintf(msg, sizeof(msg), "%s must be a whole number from %lld to %lld", name,
                    (long long)lo, (long long)hi);
        admin_error(a, 400, msg);
        return false;
    }
    *out = n;
    return true;
}

static bool
is(const char *m, const char *want)
{
    return strcmp(m, want) == 0;
}

/* ---- keys ---- */

static bool
key_row(const store_key_t *k, void *arg)
{
    int64_t now = wx_now();
    json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "kid", k->kid, "alg", k->alg,
                                         "created_at", (json_int_t)k->created_at, "retired_at",
                                         (json_int_t)k->retired_at, "publish_until",
                                         (json_int_t)k->publish_until, "state",
                                         k->retired_at == 0       ? "current"
                                         : k->publish_until > now ? "retired, published"
                                                                  : "retired"));
    return true;
}

static void
admin_keys(admin_req_t *a)
{
    wx_err_t err = {0};
    const wx_config_t *cfg = a->ctx->app->cfg;
    if (a->nseg == 1 && is(a->r->method, "GET")) {
        json_t *arr = json_array();
        if (store_key_each(a->st, key_row, arr, &err) != WX_OK) {
            json_decref(arr);
            admin_store_error(a, &err);
            return;
        }
        a->r->outcome = "ok";
        admin_reply(a, 200, json_pack("{s:o}", "keys", arr));
        return;
    }
    if (a->nseg == 2 && is(a->seg[1], "rotate") && is(a->r->method, "POST")) {
        json_t *body = admin_body(a);
        if (!body)
            return;
        const char *alg = json_string_value(json_object_get(body, "alg"));
        if (!alg)
            alg = "RS256";
        if (!keys_alg_valid(alg) || !alg[0]) {
            json_decref(body);
            admin_invalid(a, json_pack("{s:s}", "alg", "must be RS256, ES256 or EdDSA"));
            return;
        }
        int64_t ttl = 0, now = wx_now();
        char kid[STORE_ID_MAX];
        if (store_pool_max_ttl(a->st, &ttl, &err) == WX_OK) {
            if (ttl < cfg->token_ttl)
                ttl = cfg->token_ttl;
            keys_rotate(a->st, &a->ctx->app->master, alg, now + ttl + cfg->token_leeway, kid,
                        sizeof(kid), &err);
        }
        if (err.status != WX_OK) {
            json_decref(body);
            admin_audit(a, NULL, "keys.rotate", alg, "failed");
            admin_store_error(a, &err);
            return;
        }
        keys_cache_changed(a->ctx->keys); /* every worker signs with the new key at once */
        admin_audit(a, NULL, "keys.rotate", kid, "ok");
        a->r->outcome = "ok";
        admin_reply(a, 200, json_pack("{s:s,s:s}", "kid", kid, "alg", alg));
        json_decref(body);
        return;
    }
    admin_error(a, 405, "use GET /keys or POST /keys/rotate");
}

/* ---- audit log ---- */

static bool
audit_row(const store_audit_row_t *e, void *arg)
{
    json_array_append_new(arg, json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)e->id,
                                         "at", (json_int_t)e->at, "pool_id", e->pool_id, "actor",
                                         e->actor, "action", e->action, "subject", e->subject,
                                         "outcome", e->outcome));
    return true;
}

static void
admin_audit_list(admin_req_t *a)
{
    wx_err_t err = {0};
    int64_t since, until, offset, limit, total = 0;
    if (!is(a->r->method, "GET") || a->nseg != 1) {
        admin_error(a, 405, "use GET /audit");
        return;
    }
    if (!admin_query_int(a, "since", 0, INT64_MAX / 2, 0, &since) ||
        !admin_query_int(a, "until", 0, INT64_MAX / 2, 0, &until) ||
        !admin_query_int(a, "offset", 0, 1000000000, 0, &offset) ||
        !admin_query_int(a, "limit", 1, 1000, 100, &limit))
        return;
    store_audit_query_t q = {.pool_id = wx_query_get(&a->r->query, "pool"),
                             .action = wx_query_get(&a->r->query, "action"),
                             .actor = wx_query_get(&a->r->query, "actor"),
                             .since = since,
                             .until = until,
                             .offset = offset,
                             .limit = limit};
    json_t *arr = json_array();
    if (store_audit_list(a->st, &q, audit_row, arr, &total, &err) != WX_OK) {
        json_decref(arr);
        admin_store_error(a, &err);
        return;
    }
    a->r->outcome = "ok";
    admin_reply(a, 200,
                json_pack("{s:o,s:I,s:I,s:I}", "events", arr, "total", (json_int_t)total, "offset",
                          (json_int_t)offset, "limit", (json_int_t)limit));
}

/* ---- entry ---- */

static void admin_signed_in(http_req_t *r, admin_auth_result_t res, const admin_auth_info_t *info);

/* The request's store work, off the loop: route and run it (replies are kept in a). */
static wx_status_t
admin_run(store_t *st, void *arg, wx_err_t *err)
{
    admin_req_t *a = arg;
    (void)err;
    a->st = st;
    const app_t *app = a->ctx->app;
    if (is(a->seg[0], "session") && a->nseg == 1) {
        if (!is(a->r->method, "POST")) {
            admin_error(a, 405, "use POST /session");
        } else {
            admin_audit(a, NULL, "admin.sign_in", NULL, "ok");
            a->r->outcome = "ok";
            /* public_url: the console runs on the admin listener, so its own origin is not the
             * address browsers log in at. */
            admin_reply(a, 200,
                        json_pack("{s:b,s:s,s:s}", "ok", 1, "actor", a->actor, "public_url",
                                  app->cfg->public_url));
        }
    } else if (is(a->seg[0], "server") && a->nseg == 1) {
        /* What the console's snippets and checklist need to know about this wxauthd. */
        char jwks[700];
        wx_snprintf(jwks, sizeof(jwks), "%s/.well-known/jwks.json", app->issuer);
        a->r->outcome = "ok";
        admin_reply(a, 200,
                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "version", WXAUTH_VERSION, "public_url",
                              app->cfg->public_url, "issuer", app->issuer, "jwks_uri", jwks,
                              "wechat_api", app->cfg->api_base));
    } else if (is(a->seg[0], "keys")) {
        admin_keys(a);
    } else if (is(a->seg[0], "audit")) {
        admin_audit_list(a);
    } else if (!(admin_stats(a) || admin_desktop(a) || admin_pools(a) || admin_apps(a) ||
                 admin_conns(a) || admin_users(a))) {
        admin_error(a, 404, "no such admin resource");
    }
    a->st = NULL; /* back on the loop from here */
    return WX_OK;
}

static void
admin_free(void *p)
{
    admin_req_t *a = p;
    json_decref(a->reply_json);
    free(a->body);
    if (a->check)
        OPENSSL_cleanse(a->check, sizeof(*a->check)); /* the sealed App Secret */
    free(a->check);
    json_decref(a->check_static);
    free(a);
}

/* Back on the loop: send what the request made, or start its WeChat check. */
static void
admin_ran(wx_status_t rc, const wx_err_t *err, void *arg)
{
    admin_req_t *a = arg;
    http_req_t *r = a->r;
    if (rc != WX_OK) { /* never ran: stopping, out of memory */
        r->outcome = "error";
        http_reply_error(r, 503, 503, err->msg[0] ? err->msg : "the server is stopping");
        return;
    }
    if (a->check && !a->replied) {
        store_conn_t *c = a->check;
        a->check = NULL;
        r->data = NULL; /* admin_conn_check takes the request's data over */
        r->data_free = NULL;
        json_decref(a->reply_json);
        a->reply_json = NULL;
        json_t *checks = a->check_static;
        a->check_static = NULL;
        admin_conn_check(a, c, checks);
        OPENSSL_cleanse(c, sizeof(*c));
        free(c);
        admin_free(a);
        return;
    }
    json_t *body = a->reply_json;
    a->reply_json = NULL;
    if (!a->replied) {
        r->outcome = "error";
        http_reply_error(r, 500, 500, "the admin request made no reply");
        return;
    }
    http_reply_json(r, a->reply_status, body); /* frees a (request data) */
}

void
handle_admin(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    http_add_header(r, "Cache-Control", "no-store");
    admin_authenticate_async(&ctx->admin_guard, &ctx->app->admin, r, admin_signed_in);
}

/* The rest of handle_admin, once the token is checked (maybe after a derivation off the loop). */
static void
admin_signed_in(http_req_t *r, admin_auth_result_t res, const admin_auth_info_t *info_)
{
    worker_ctx_t *ctx = handle_ctx(r);
    char ip[64];
    static const char prefix[] = "/api/admin/v1/";
    admin_auth_info_t info = *info_;
    admin_req_t *a = calloc(1, sizeof(*a));
    if (!a) {
        http_reply_error(r, 503, 503, "out of memory");
        return;
    }
    a->r = r;
    a->ctx = ctx;
    r->data = a;
    r->data_free = admin_free;
    if (info.report > 0) {
        /* Failed sign-ins reach the trail aggregated: at most one row per address per minute,
         * with the number of wrong tokens since the last row. */
        char subject[64];
        wx_snprintf(a->actor, sizeof(a->actor), "unknown@%s", info.ip);
        wx_snprintf(subject, sizeof(subject), "%d failed", info.report);
        admin_audit(a, NULL, "admin.sign_in", subject, "denied");
    }
    switch (res) {
    case ADMIN_AUTH_OK:
        break;
    case ADMIN_AUTH_DISABLED:
        r->outcome = "disabled";
        http_reply_error(r, 403, 403,
                         "the admin API is off: set [admin] token_hash or WXAUTH_ADMIN_TOKEN_HASH");
        return;
    case ADMIN_AUTH_LIMITED:
        r->outcome = "rate_limited";
        http_add_header(r, "Retry-After", "300");
        http_reply_error(r, 429, 429,
                         "too many wrong tokens from this address; wait 5 minutes (the right "
                         "token still works)");
        return;
    case ADMIN_AUTH_BUSY:
        r->outcome = "rate_limited";
        http_add_header(r, "Retry-After", "1");
        http_reply_error(r, 429, 429, "too many sign-in attempts right now; wait a second");
        return;
    default:
        r->outcome = "unauthorized";
        http_add_header(r, "WWW-Authenticate", "Bearer realm=\"wxauth-admin\"");
        http_reply_error(r, 401, 401, "send the admin token as Authorization: Bearer …");
        return;
    }
    wx_snprintf(a->actor, sizeof(a->actor), "admin@%s", http_req_ip(r, ip, sizeof(ip)));
    if (strncmp(r->path, prefix, sizeof(prefix) - 1) != 0 ||
        !wx_strlcpy(a->path, r->path + sizeof(prefix) - 1, sizeof(a->path))) {
        admin_error(a, 404, "no such admin resource");
        return;
    }
    /* Split on '/'; segments are ids and identifiers, already percent-decoded by http/. */
    for (char *p = a->path; *p && a->nseg < ADMIN_PATH_MAX_SEGS;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*p)
            a->seg[a->nseg++] = p;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (a->nseg == 0) {
        admin_error(a, 404, "no such admin resource");
        return;
    }
    /* Everything the request's store work reads, taken here (evhttp is not thread-safe): the
     * path (above), the query (parsed by http/), the body and its type. */
    const char *ct = http_req_header(r, "Content-Type");
    wx_strlcpy(a->content_type, ct ? ct : "", sizeof(a->content_type));
    if (!is(r->method, "GET") && !is(r->method, "HEAD"))
        a->body = http_req_body(r, &a->body_len);
    handle_read(r->worker, admin_run, admin_ran, a);
}
