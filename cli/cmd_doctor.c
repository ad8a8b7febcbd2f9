/* `wxauth doctor`: what usually goes wrong when a WeChat official account is set up, checked
 * against the running server, each with the fix in plain words:
 *   server    the admin API answers and takes the credential
 *   clock     the server's clock agrees with this machine's (token times)
 *   keys      a current signing key exists
 * and for each connection, what the server's POST …/check reports (secret, callback,
 * pool-flow, txt-file, wechat, domain: proto/conn_check.c, the same the console shows). The
 * server makes those calls itself, so the secret never leaves it and the verification file
 * and the domain are seen from the server, as the console sees them.
 * Exit 0 when nothing FAILed (warnings allowed), 1 otherwise; 3/4 when the pool or connection
 * does not exist or the credential is refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLOCK_OK_S 5
#define CLOCK_WARN_S 30

typedef struct {
    cli_t *c;
    json_t *checks;
    int failed, warned;
} doctor_t;

typedef enum { ST_OK, ST_WARN, ST_FAIL } status_t;

static void report(doctor_t *d, status_t st, const char *check, const char *subject,
                   const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
report(doctor_t *d, status_t st, const char *check, const char *subject, const char *fix,
       const char *fmt, ...)
{
    static const char *const names[] = {"ok", "warn", "FAIL"};
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    d->failed += st == ST_FAIL;
    d->warned += st == ST_WARN;
    json_t *o = json_pack("{s:s,s:s,s:s}", "status", st == ST_OK ? "ok" : names[st], "check", check,
                          "message", msg);
    if (subject)
        json_object_set_new(o, "subject", json_string(subject));
    if (fix && st != ST_OK)
        json_object_set_new(o, "fix", json_string(fix));
    json_array_append_new(d->checks, o);
    if (d->c->json)
        return;
    printf("%-4s  %-8s  %s%s%s%s%s\n", names[st], check, subject ? subject : "",
           subject ? ": " : "", msg, fix && st != ST_OK ? " Fix: " : "",
           fix && st != ST_OK ? fix : "");
    fflush(stdout);
}

static const char *
jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- server-wide checks ---- */

static void
check_clock(doctor_t *d, const cli_resp_t *r)
{
    long skew = r->date_skew < 0 ? -r->date_skew : r->date_skew;
    const char *fix = "set both clocks from NTP (timedatectl set-ntp true, or chrony); tokens "
                      "carry times that backends compare with their own clock";
    if (!r->have_date)
        report(d, ST_WARN, "clock", NULL, "check that nothing in front of wxauthd strips Date",
               "the server sent no Date header, so its clock could not be compared");
    else if (skew <= CLOCK_OK_S)
        report(d, ST_OK, "clock", NULL, NULL,
               "the server's clock and this machine's agree (%ld s "
               "apart)",
               skew);
    else
        report(d, skew <= CLOCK_WARN_S ? ST_WARN : ST_FAIL, "clock", NULL, fix,
               "the server's clock is %ld s %s this machine's", skew,
               r->date_skew > 0 ? "ahead of" : "behind");
}

static void
check_keys(doctor_t *d)
{
    json_t *res = NULL;
    cli_resp_t r;
    if (cli_api_call(d->c, "GET", "/keys", NULL, &r) != CLI_OK) {
        report(d, ST_FAIL, "keys", NULL, "see the error above", "cannot list signing keys");
        return;
    }
    res = r.body;
    json_t *keys = json_object_get(res, "keys"), *k;
    size_t i;
    char current[300] = "";
    json_array_foreach(keys, i, k)
    {
        if (strcmp(jstr(k, "state"), "current") != 0)
            continue;
        size_t len = strlen(current);
        wx_snprintf(current + len, sizeof(current) - len, "%s%s %.12s", len ? ", " : "",
                    jstr(k, "alg"), jstr(k, "kid"));
    }
    if (r.status != 200)
        report(d, ST_FAIL, "keys", NULL, "see the server's log",
               "the server answered HTTP %ld to GET /keys", r.status);
    else if (!current[0])
        report(d, ST_FAIL, "keys", NULL,
               "run `wxauth keys rotate` (or `wxauth init` with the server's config)",
               "there is no current signing key: logins cannot sign tokens");
    else
        report(d, ST_OK, "keys", NULL, NULL, "current signing key: %s", current);
    cli_resp_free(&r);
}

/* ---- per connection: the server's checks (proto/conn_check.c, POST …/check) ---- */

static void
check_conn(doctor_t *d, const char *pool, const json_t *conn)
{
    char subj[200], path[512];
    cli_resp_t r;
    const char *ident = jstr(conn, "identifier");
    wx_snprintf(subj, sizeof(subj), "%s/%s", pool, ident);
    if (!cli_pathf(path, sizeof(path), "/pools/%s/connections/%s/check", pool, ident))
        return;
    if (cli_api_call(d->c, "POST", path, NULL, &r) != CLI_OK) {
        report(d, ST_FAIL, "check", subj, "see the error above", "the check did not run");
        return;
    }
    json_t *checks = json_object_get(r.body, "checks"), *k;
    if (r.status != 200 || !json_is_array(checks)) {
        report(d, ST_FAIL, "check", subj, "upgrade wxauthd or see its log",
               "the server answered HTTP %ld to the check, without its list of checks", r.status);
        cli_resp_free(&r);
        return;
    }
    size_t i;
    json_array_foreach(checks, i, k)
    {
        const char *st = jstr(k, "status"), *fix = json_string_value(json_object_get(k, "fix"));
        report(d,
               strcmp(st, "ok") == 0     ? ST_OK
               : strcmp(st, "warn") == 0 ? ST_WARN
                                         : ST_FAIL,
               jstr(k, "check"), subj, fix, "%s", jstr(k, "message"));
    }
    cli_resp_free(&r);
}

/* Connections of one pool (all, or the one asked for). Returns an exit code for 3/4. */
static int
check_pool(doctor_t *d, const char *pool)
{
    char path[300];
    json_t *conns = NULL, *conn;
    size_t i;
    int rc;
    const char *want = cli_opt(d->c, "identifier");
    if (!cli_pathf(path, sizeof(path), "/pools/%s/connections", pool))
        return CLI_USAGE;
    if ((rc = cli_api(d->c, "GET", path, NULL, &conns)) != CLI_OK)
        return rc;
    json_t *list = json_object_get(conns, "connections");
    bool found = false;
    json_array_foreach(list, i, conn)
    {
        if (want && strcmp(jstr(conn, "identifier"), want) != 0)
            continue;
        found = true;
        check_conn(d, pool, conn);
    }
    if (want && !found) {
        rc = cli_err(CLI_NOT_FOUND, "pool %s has no connection %s", pool, want);
    } else if (!found) {
        char fix[300];
        wx_snprintf(fix, sizeof(fix),
                    "wxauth connection set --pool %s --appid wx… --secret-env WX_SECRET "
                    "--callback URL",
                    pool);
        report(d, ST_WARN, "pool", pool, fix, "has no WeChat connection: nobody can log in");
    }
    json_decref(conns);
    return rc;
}

int
cli_doctor(cli_t *c)
{
    doctor_t d = {.c = c, .checks = json_array()};
    cli_resp_t r = {0};
    char path[300];
    const char *pool = cli_opt(c, "pool");
    int rc = CLI_OK;
    if (cli_opt(c, "identifier") && !pool) {
        rc = cli_err(CLI_USAGE, "--identifier goes with --pool");
        goto out;
    }
    if (pool ? !cli_pathf(path, sizeof(path), "/pools/%s", pool)
             : !wx_strlcpy(path, "/pools", sizeof(path))) {
        rc = CLI_USAGE;
        goto out;
    }
    if (cli_api_call(c, "GET", path, NULL, &r) != CLI_OK) {
        report(&d, ST_FAIL, "server", NULL,
               "start wxauthd, or point the CLI at it with --url, WXAUTH_URL or [cli] url",
               "no admin API answers at %s", c->target.url);
        goto done;
    }
    if (r.status != 200) {
        rc = cli_api_status_exit(&r);
        if (rc == CLI_AUTH || rc == CLI_NOT_FOUND) {
            report(&d, ST_FAIL, "server", NULL,
                   rc == CLI_AUTH ? "give the admin token wxauthd was started with "
                                    "(--token-file, WXAUTH_ADMIN_TOKEN or [cli] token_file)"
                                  : "check the pool id (wxauth pool list)",
                   "%s", rc == CLI_AUTH ? "the admin API refused the credential" : "no such pool");
            goto done;
        }
        report(&d, ST_FAIL, "server", NULL, "see the server's log",
               "the admin API answered HTTP %ld", r.status);
        goto done;
    }
    report(&d, ST_OK, "server", NULL, NULL, "the admin API at %s answers", c->target.url);
    check_clock(&d, &r);
    check_keys(&d);
    if (pool) {
        rc = check_pool(&d, pool);
    } else {
        json_t *p;
        size_t i;
        json_array_foreach(json_object_get(r.body, "pools"), i, p)
        {
            int prc = check_pool(&d, jstr(p, "id"));
            if (prc != CLI_OK)
                rc = prc;
        }
        if (json_array_size(json_object_get(r.body, "pools")) == 0)
            report(&d, ST_WARN, "pool", NULL, "wxauth pool create ID --name NAME",
                   "there is no user pool yet");
    }
done:
    if (c->json) {
        json_t *o = json_pack("{s:b,s:i,s:i,s:O}", "ok", d.failed == 0, "failed", d.failed,
                              "warnings", d.warned, "checks", d.checks);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s: %d failed, %d warning%s\n", d.failed ? "problems found" : "all good", d.failed,
               d.warned, d.warned == 1 ? "" : "s");
    }
    if (rc == CLI_OK && d.failed)
        rc = CLI_FAIL;
out:
    cli_resp_free(&r);
    json_decref(d.checks);
    return rc;
}
