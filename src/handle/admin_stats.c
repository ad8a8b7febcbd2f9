/* Admin resource: GET /pools/{id}/stats?hours=N — what the console's dashboard shows: logins
 * per hour by outcome, new and total users, the top reasons logins failed. Read from the audit
 * row each login end writes, so every node's logins count. */
#include "admin.h"

#include <string.h>

#include "../util/clock.h"

#define STATS_TOP 5

typedef struct {
    json_t *hours;    /* [{hour, ok, new_users, failed}] oldest first, every hour of the window */
    json_t *failures; /* {outcome: count} */
    int64_t first_hour, ok, new_users, failed;
} stats_t;

static json_t *
hour_slot(stats_t *s, int64_t hour)
{
    size_t i = (size_t)(hour - s->first_hour);
    return json_array_get(s->hours, i);
}

static void
add(json_t *o, const char *key, int64_t n)
{
    json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

static bool
stat_row(const store_login_stat_t *r, void *arg)
{
    stats_t *s = arg;
    json_t *slot = hour_slot(s, r->hour);
    bool ok = strncmp(r->outcome, "ok", 2) == 0;
    if (ok) {
        s->ok += r->count;
        if (strcmp(r->outcome, "ok:new_user") == 0)
            s->new_users += r->count;
    } else {
        s->failed += r->count;
        add(s->failures, r->outcome, r->count);
    }
    if (slot) {
        add(slot, ok ? "ok" : "failed", r->count);
        if (strcmp(r->outcome, "ok:new_user") == 0)
            add(slot, "new_users", r->count);
    }
    return true;
}

/* The failure reasons, most frequent first, at most STATS_TOP. */
static json_t *
top_failures(json_t *failures)
{
    json_t *out = json_array();
    for (int k = 0; k < STATS_TOP; k++) {
        const char *best = NULL, *key;
        json_int_t n = 0;
        json_t *v;
        json_object_foreach(failures, key, v)
        {
            if (json_integer_value(v) > n) {
                n = json_integer_value(v);
                best = key;
            }
        }
        if (!best)
            break;
        json_array_append_new(out, json_pack("{s:s,s:I}", "outcome", best, "count", n));
        json_object_del(failures, best);
    }
    return out;
}

bool
admin_stats(admin_req_t *a)
{
    wx_err_t err = {0};
    store_pool_t pool;
    int64_t hours = 0, users = 0;
    stats_t s = {0};
    if (strcmp(a->seg[0], "pools") != 0 || a->nseg != 3 || strcmp(a->seg[2], "stats") != 0)
        return false;
    if (strcmp(a->r->method, "GET") != 0 && strcmp(a->r->method, "HEAD") != 0) {
        admin_error(a, 405, "use GET on /pools/{id}/stats");
        return true;
    }
    if (!admin_query_int(a, "hours", 1, 24 * 31, 24, &hours))
        return true;
    if (store_pool_get(a->st, a->seg[1], &pool, &err) != WX_OK) {
        admin_store_error(a, &err);
        return true;
    }
    int64_t now_hour = wx_now() / 3600;
    s.first_hour = now_hour - hours + 1;
    s.hours = json_array();
    s.failures = json_object();
    for (int64_t h = s.first_hour; h <= now_hour; h++)
        json_array_append_new(s.hours,
                              json_pack("{s:I,s:i,s:i,s:i}", "hour", (json_int_t)(h * 3600), "ok",
                                        0, "new_users", 0, "failed", 0));
    if (store_login_stats(a->st, pool.id, s.first_hour * 3600, stat_row, &s, &err) != WX_OK ||
        store_user_count(a->st, pool.id, &users, &err) != WX_OK) {
        json_decref(s.hours);
        json_decref(s.failures);
        admin_store_error(a, &err);
        return true;
    }
    a->r->outcome = "ok";
    admin_reply(a, 200,
                json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "pool_id", pool.id, "since",
                          (json_int_t)(s.first_hour * 3600), "logins", (json_int_t)s.ok,
                          "new_users", (json_int_t)s.new_users, "failed", (json_int_t)s.failed,
                          "users_total", (json_int_t)users, "window_hours", (json_int_t)hours,
                          "hours", s.hours, "top_failures", top_failures(s.failures)));
    json_decref(s.failures);
    return true;
}
