/* wxauth: the command-line tool. Until the admin API exists (issue 6) it works on the store
 * directly, which is also what `init` will always do: point it at the same config file (or
 * store URL) as wxauthd. Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "handle/ctx.h"
#include "handle/keys.h"
#include "proto/redirect.h"
#include "store/store.h"
#include "util/clock.h"

#define MAX_OPTS 32

typedef struct {
    const char *name;
    const char *values[MAX_OPTS];
    int count;
} opt_t;

typedef struct {
    opt_t opts[MAX_OPTS];
    int nopts;
    const char *pos[8];
    int npos;
    bool json;
} args_t;

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: wxauth [--config FILE | --store URL] [--json] COMMAND ...\n"
            "\n"
            "  init                                   create/migrate the store, make the master\n"
            "                                         key file (if configured) and a signing key\n"
            "  pool create ID [--name N] [--redirect URL]... [--token-ttl SECONDS]\n"
            "                 [--alg RS256|ES256|EdDSA]\n"
            "  pool get ID\n"
            "  app create ID --pool P [--name N] [--redirect URL]... [--token-alg HS256|pool]\n"
            "                                         (prints the new app secret once)\n"
            "  app get ID\n"
            "  app reset-secret ID                    print a new app secret\n"
            "  keys list                              signing keys (never the private part)\n"
            "  keys rotate [--alg RS256|ES256|EdDSA]  new signing key; the old one stays\n"
            "                                         published until its tokens expire\n"
            "  connection set --pool P --appid WXID [--identifier I] [--name N]\n"
            "                 [--secret S | --secret-env VAR | --secret-file FILE]\n"
            "                 --callback URL|# [--scope snsapi_userinfo|snsapi_base]\n"
            "                 [--txt-filename MP_verify_x.txt --txt-content TEXT]\n"
            "  connection get --pool P [--identifier I]   (the App Secret is never shown)\n"
            "  user get --pool P ID\n"
            "  user count --pool P\n"
            "\n"
            "The store is the one of --config (or WXAUTH_CONFIG), or --store URL\n"
            "(sqlite:/path/file.db). Exit codes: 0 ok, 1 failure, 2 usage, 3 not found.\n");
}

static const char *
opt1(const args_t *a, const char *name)
{
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return a->opts[i].values[a->opts[i].count - 1];
    return NULL;
}

static const opt_t *
optn(const args_t *a, const char *name)
{
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0)
            return &a->opts[i];
    return NULL;
}

static int die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wxauth: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return code;
}

static int
fail(const wx_err_t *err)
{
    fprintf(stderr, "wxauth: %s%s%s\n", err->msg, err->detail[0] ? ": " : "", err->detail);
    return err->status == WX_ENOENT                                ? 3
           : err->status == WX_EINVAL || err->status == WX_ETOOBIG ? 2
                                                                   : 1;
}

/* The master key, loaded on first need (read-only commands work without one). */
static const wx_config_t *cli_cfg;
static seal_key_t cli_master_key;

static int
need_master(const seal_key_t **out)
{
    wx_err_t err = {0};
    if (!cli_master_key.set && seal_key_load(getenv("WXAUTH_MASTER_KEY"), cli_cfg->master_key_file,
                                             &cli_master_key, &err) != WX_OK)
        return fail(&err);
    *out = &cli_master_key;
    return 0;
}

/* Join repeated --redirect values into the newline-separated list the store keeps. */
static int
join_redirects(const args_t *a, char *out, size_t n)
{
    const opt_t *o = optn(a, "redirect");
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; o && i < o->count; i++) {
        wx_err_t err = {0};
        if (redirect_validate_pattern(o->values[i], &err) != WX_OK) {
            fprintf(stderr, "wxauth: --redirect %s: %s\n", o->values[i], err.msg);
            return 2;
        }
        size_t l = strlen(o->values[i]);
        if (len + l + 2 > n)
            return die(2, "%s", "too many --redirect values");
        if (len)
            out[len++] = '\n';
        memcpy(out + len, o->values[i], l + 1);
        len += l;
    }
    return 0;
}

static int
print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
    return 0;
}

static int
cmd_pool(store_t *st, args_t *a)
{
    wx_err_t err = {0};
    store_pool_t p = {0};
    if (a->npos < 3)
        return die(2, "%s", "usage: wxauth pool create|get ID");
    const char *id = a->pos[2];
    if (!handle_valid_id(id) || strcmp(id, "callback") == 0)
        return die(2, "pool id '%s' must be 1-63 of [A-Za-z0-9_-] (and not 'callback')", id);
    if (strcmp(a->pos[1], "get") == 0) {
        if (store_pool_get(st, id, &p, &err) != WX_OK)
            return fail(&err);
        return print_json(json_pack("{s:s,s:s,s:I,s:s,s:s}", "id", p.id, "name", p.name,
                                    "token_ttl", (json_int_t)p.token_ttl, "alg",
                                    p.alg[0] ? p.alg : "RS256", "redirect_urls", p.redirect_urls));
    }
    if (strcmp(a->pos[1], "create") != 0)
        return die(2, "unknown pool command '%s'", a->pos[1]);
    if (store_pool_get(st, id, &p, &err) != WX_OK) {
        memset(&p, 0, sizeof(p));
        wx_strlcpy(p.id, id, sizeof(p.id));
        wx_strlcpy(p.name, id, sizeof(p.name));
    }
    if (opt1(a, "name") && !wx_strlcpy(p.name, opt1(a, "name"), sizeof(p.name)))
        return die(2, "%s", "--name is too long");
    if (opt1(a, "alg")) {
        if (!keys_alg_valid(opt1(a, "alg")) || !opt1(a, "alg")[0])
            return die(2, "--alg must be RS256, ES256 or EdDSA, not '%s'", opt1(a, "alg"));
        wx_strlcpy(p.alg, opt1(a, "alg"), sizeof(p.alg));
    }
    if (opt1(a, "token-ttl")) {
        long ttl;
        if (!wx_parse_long(opt1(a, "token-ttl"), 60, 31536000, &ttl))
            return die(2, "%s", "--token-ttl must be 60..31536000 seconds");
        p.token_ttl = ttl;
    }
    if (optn(a, "redirect")) {
        int rc = join_redirects(a, p.redirect_urls, sizeof(p.redirect_urls));
        if (rc)
            return rc;
    }
    if (store_pool_put(st, &p, &err) != WX_OK)
        return fail(&err);
    if (!a->json)
        printf("pool %s saved\n", id);
    return 0;
}

static int
cmd_app(store_t *st, args_t *a)
{
    wx_err_t err = {0};
    store_app_t app = {0};
    store_pool_t pool;
    if (a->npos < 3)
        return die(2, "%s", "usage: wxauth app create|get ID");
    const char *id = a->pos[2];
    if (!handle_valid_id(id))
        return die(2, "app id '%s' must be 1-63 of [A-Za-z0-9_-]", id);
    if (strcmp(a->pos[1], "get") == 0) {
        if (store_app_get(st, id, &app, &err) != WX_OK)
            return fail(&err);
        return print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", app.id, "pool", app.pool_id,
                                    "name", app.name, "redirect_urls", app.redirect_urls,
                                    "token_alg", app.token_alg[0] ? app.token_alg : "pool",
                                    "secret", app.secret[0] ? "set" : "not set"));
    }
    const seal_key_t *mk = NULL;
    char secret[65] = "";
    int mrc;
    if (strcmp(a->pos[1], "reset-secret") == 0) {
        if (store_app_get(st, id, &app, &err) != WX_OK)
            return fail(&err);
        if ((mrc = need_master(&mk)) != 0)
            return mrc;
        if (keys_app_secret_new(mk, app.id, secret, sizeof(secret), app.secret, sizeof(app.secret),
                                &err) != WX_OK ||
            store_app_put(st, &app, &err) != WX_OK)
            return fail(&err);
        printf("%s\n", secret); /* shown once: tokens signed with the old one stop verifying */
        return 0;
    }
    if (strcmp(a->pos[1], "create") != 0)
        return die(2, "unknown app command '%s'", a->pos[1]);
    const char *pool_id = opt1(a, "pool");
    if (!pool_id)
        return die(2, "%s", "app create needs --pool");
    if (store_pool_get(st, pool_id, &pool, &err) != WX_OK)
        return fail(&err);
    if (store_app_get(st, id, &app, &err) != WX_OK) {
        memset(&app, 0, sizeof(app));
        wx_strlcpy(app.id, id, sizeof(app.id));
        wx_strlcpy(app.name, id, sizeof(app.name));
    }
    wx_strlcpy(app.pool_id, pool_id, sizeof(app.pool_id));
    if (opt1(a, "name") && !wx_strlcpy(app.name, opt1(a, "name"), sizeof(app.name)))
        return die(2, "%s", "--name is too long");
    if (optn(a, "redirect")) {
        int rc = join_redirects(a, app.redirect_urls, sizeof(app.redirect_urls));
        if (rc)
            return rc;
    }
    if (opt1(a, "token-alg")) {
        const char *ta = opt1(a, "token-alg");
        if (strcmp(ta, "HS256") != 0 && strcmp(ta, "pool") != 0)
            return die(2, "--token-alg must be HS256 (Authing compatibility) or pool, not '%s'",
                       ta);
        wx_strlcpy(app.token_alg, strcmp(ta, "pool") == 0 ? "" : ta, sizeof(app.token_alg));
    }
    bool new_secret = !app.secret[0];
    if (new_secret) { /* every application has a secret (introspection, HS256 tokens) */
        if ((mrc = need_master(&mk)) != 0)
            return mrc;
        if (keys_app_secret_new(mk, app.id, secret, sizeof(secret), app.secret, sizeof(app.secret),
                                &err) != WX_OK)
            return fail(&err);
    }
    if (store_app_put(st, &app, &err) != WX_OK)
        return fail(&err);
    if (!a->json)
        printf("application %s saved in pool %s\n", id, pool_id);
    if (new_secret)
        printf("%sapp secret (shown once): %s\n", a->json ? "" : "", secret);
    return 0;
}

static bool
valid_appid(const char *s)
{
    if (strlen(s) != 18 || s[0] != 'w' || s[1] != 'x')
        return false;
    for (int i = 2; i < 18; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int
read_secret(const args_t *a, char *out, size_t n)
{
    const char *v = opt1(a, "secret");
    if (opt1(a, "secret-env")) {
        v = getenv(opt1(a, "secret-env"));
        if (!v || !*v)
            return die(2, "environment variable %s is empty", opt1(a, "secret-env"));
    }
    if (opt1(a, "secret-file")) {
        FILE *f = fopen(opt1(a, "secret-file"), "r");
        if (!f)
            return die(1, "cannot read %s", opt1(a, "secret-file"));
        size_t r = fread(out, 1, n - 1, f);
        fclose(f);
        out[r] = '\0';
        while (r > 0 && (out[r - 1] == '\n' || out[r - 1] == '\r'))
            out[--r] = '\0';
        return 0;
    }
    if (v && !wx_strlcpy(out, v, n))
        return die(2, "%s", "the App Secret is too long");
    return 0;
}

static int
cmd_connection(store_t *st, args_t *a)
{
    wx_err_t err = {0};
    store_conn_t c = {0};
    store_pool_t pool;
    if (a->npos < 2)
        return die(2, "%s", "usage: wxauth connection set|get ...");
    const char *pool_id = opt1(a, "pool");
    const char *ident =
        opt1(a, "identifier") ? opt1(a, "identifier") : "wechat:webpage-authorization";
    if (!pool_id)
        return die(2, "%s", "connection commands need --pool");
    if (!handle_valid_identifier(ident))
        return die(2, "identifier '%s' may use letters, digits and : _ . - (1-64)", ident);
    if (strcmp(a->pos[1], "get") == 0) {
        if (store_conn_get(st, pool_id, ident, &c, &err) != WX_OK)
            return fail(&err);
        return print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "pool", c.pool_id,
                                    "identifier", c.identifier, "name", c.display_name, "appid",
                                    c.appid, "app_secret", c.app_secret[0] ? "set" : "not set",
                                    "scope", c.scope, "callback_url", c.callback_url,
                                    "txt_filename", c.txt_filename, "txt_content", c.txt_content));
    }
    if (strcmp(a->pos[1], "set") != 0)
        return die(2, "unknown connection command '%s'", a->pos[1]);
    if (store_pool_get(st, pool_id, &pool, &err) != WX_OK)
        return fail(&err);
    if (store_conn_get(st, pool_id, ident, &c, &err) != WX_OK) {
        memset(&c, 0, sizeof(c));
        wx_strlcpy(c.pool_id, pool_id, sizeof(c.pool_id));
        wx_strlcpy(c.identifier, ident, sizeof(c.identifier));
        wx_strlcpy(c.display_name, "WeChat", sizeof(c.display_name));
        wx_strlcpy(c.scope, "snsapi_userinfo", sizeof(c.scope));
    }
    char plain[STORE_SECRET_PLAIN_MAX + 1] = "";
    int rc = read_secret(a, plain, sizeof(plain));
    if (rc)
        return rc;
    c.app_secret[0] = '\0'; /* empty keeps the stored one */
    if (plain[0]) {
        const seal_key_t *mk = NULL;
        if ((rc = need_master(&mk)) != 0)
            return rc;
        if (keys_conn_secret_seal(mk, &c, plain, c.app_secret, sizeof(c.app_secret), &err) != WX_OK)
            return fail(&err);
    }
    if (opt1(a, "appid")) {
        if (!valid_appid(opt1(a, "appid")))
            return die(2, "App ID '%s' is not wx followed by 16 lowercase hex digits",
                       opt1(a, "appid"));
        wx_strlcpy(c.appid, opt1(a, "appid"), sizeof(c.appid));
    }
    if (!c.appid[0])
        return die(2, "%s", "connection set needs --appid");
    if (opt1(a, "name") && !wx_strlcpy(c.display_name, opt1(a, "name"), sizeof(c.display_name)))
        return die(2, "%s", "--name is too long");
    if (opt1(a, "scope")) {
        const char *s = opt1(a, "scope");
        if (strcmp(s, "snsapi_userinfo") != 0 && strcmp(s, "snsapi_base") != 0)
            return die(2, "--scope must be snsapi_userinfo or snsapi_base, not '%s'", s);
        wx_strlcpy(c.scope, s, sizeof(c.scope));
    }
    if (opt1(a, "callback")) {
        if (redirect_validate_pattern(opt1(a, "callback"), &err) != WX_OK) {
            fprintf(stderr, "wxauth: --callback: %s\n", err.msg);
            return 2;
        }
        wx_strlcpy(c.callback_url, opt1(a, "callback"), sizeof(c.callback_url));
    }
    if (!c.callback_url[0])
        return die(2, "%s", "connection set needs --callback (a URL, a pattern, or #)");
    if (opt1(a, "txt-filename")) {
        if (!handle_txt_name_valid(opt1(a, "txt-filename")))
            return die(2, "--txt-filename '%s' must look like MP_verify_<letters/digits>.txt",
                       opt1(a, "txt-filename"));
        wx_strlcpy(c.txt_filename, opt1(a, "txt-filename"), sizeof(c.txt_filename));
    }
    if (opt1(a, "txt-content") &&
        !wx_strlcpy(c.txt_content, opt1(a, "txt-content"), sizeof(c.txt_content)))
        return die(2, "--txt-content is longer than %d bytes", STORE_TXT_CONTENT_MAX - 1);
    if (store_conn_put(st, &c, &err) != WX_OK)
        return fail(&err);
    if (!a->json)
        printf("connection %s of pool %s saved (App Secret %s)\n", ident, pool_id,
               opt1(a, "secret") || opt1(a, "secret-env") || opt1(a, "secret-file") ? "updated"
                                                                                    : "unchanged");
    return 0;
}

static bool
key_row(const store_key_t *k, void *arg)
{
    json_array_append_new(arg, json_pack("{s:s,s:s,s:I,s:I,s:I,s:s}", "kid", k->kid, "alg", k->alg,
                                         "created_at", (json_int_t)k->created_at, "retired_at",
                                         (json_int_t)k->retired_at, "publish_until",
                                         (json_int_t)k->publish_until, "state",
                                         k->retired_at == 0            ? "current"
                                         : k->publish_until > wx_now() ? "retired, published"
                                                                       : "retired"));
    return true;
}

static int
cmd_keys(store_t *st, args_t *a)
{
    wx_err_t err = {0};
    const seal_key_t *mk = NULL;
    if (a->npos < 2)
        return die(2, "%s", "usage: wxauth keys list | keys rotate [--alg RS256|ES256|EdDSA]");
    if (strcmp(a->pos[1], "list") == 0) {
        json_t *arr = json_array();
        if (store_key_each(st, key_row, arr, &err) != WX_OK) {
            json_decref(arr);
            return fail(&err);
        }
        return print_json(json_pack("{s:o}", "keys", arr));
    }
    if (strcmp(a->pos[1], "rotate") != 0)
        return die(2, "unknown keys command '%s'", a->pos[1]);
    const char *alg = opt1(a, "alg") ? opt1(a, "alg") : "RS256";
    if (!keys_alg_valid(alg) || !alg[0])
        return die(2, "--alg must be RS256, ES256 or EdDSA, not '%s'", alg);
    int rc = need_master(&mk);
    if (rc)
        return rc;
    /* The retired key stays published as long as the longest-lived token it may have signed. */
    int64_t ttl = 0, now = wx_now();
    if (store_pool_max_ttl(st, &ttl, &err) != WX_OK)
        return fail(&err);
    if (ttl < cli_cfg->token_ttl)
        ttl = cli_cfg->token_ttl;
    char kid[STORE_ID_MAX];
    if (keys_rotate(st, mk, alg, now + ttl + cli_cfg->token_leeway, kid, sizeof(kid), &err) !=
        WX_OK)
        return fail(&err);
    printf("new %s signing key %s; the previous one stays in the JWKS for %lld s\n", alg, kid,
           (long long)(ttl + cli_cfg->token_leeway));
    return 0;
}

static int
cmd_user(store_t *st, args_t *a)
{
    wx_err_t err = {0};
    const char *pool_id = opt1(a, "pool");
    if (a->npos < 2 || !pool_id)
        return die(2, "%s", "usage: wxauth user get|count --pool P [ID]");
    if (strcmp(a->pos[1], "count") == 0) {
        int64_t n = 0;
        if (store_user_count(st, pool_id, &n, &err) != WX_OK)
            return fail(&err);
        printf("%lld\n", (long long)n);
        return 0;
    }
    if (strcmp(a->pos[1], "get") != 0 || a->npos < 3)
        return die(2, "%s", "usage: wxauth user get --pool P ID");
    store_user_t u;
    if (store_user_get(st, pool_id, a->pos[2], &u, &err) != WX_OK)
        return fail(&err);
    return print_json(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:b}", "id", u.id, "pool", u.pool_id,
                                "username", u.username, "nickname", u.nickname, "photo", u.photo,
                                "gender", u.gender, "logins_count", (json_int_t)u.logins_count,
                                "blocked", u.blocked));
}

int
main(int argc, char **argv)
{
    args_t a = {0};
    const char *config_path = getenv("WXAUTH_CONFIG"), *store_url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(s, "--json") == 0) {
            a.json = true;
        } else if (strncmp(s, "--", 2) == 0) {
            if (i + 1 >= argc)
                return die(2, "option %s needs a value", s);
            const char *name = s + 2, *val = argv[++i];
            if (strcmp(name, "config") == 0) {
                config_path = val;
                continue;
            }
            if (strcmp(name, "store") == 0) {
                store_url = val;
                continue;
            }
            opt_t *o = NULL;
            for (int k = 0; k < a.nopts; k++)
                if (strcmp(a.opts[k].name, name) == 0)
                    o = &a.opts[k];
            if (!o) {
                if (a.nopts == MAX_OPTS)
                    return die(2, "%s", "too many options");
                o = &a.opts[a.nopts++];
                o->name = name;
            }
            if (o->count == MAX_OPTS)
                return die(2, "too many --%s", name);
            o->values[o->count++] = val;
        } else {
            if (a.npos == 8)
                return die(2, "%s", "too many arguments");
            a.pos[a.npos++] = s;
        }
    }
    if (a.npos == 0) {
        usage(stderr);
        return 2;
    }
    if (strcmp(a.pos[0], "version") == 0) {
        printf("wxauth 0.1.0\n");
        return 0;
    }
    static wx_config_t cfg;
    wx_err_t err = {0};
    if (config_load(config_path, &cfg, &err) != WX_OK)
        return die(2, "%s", err.msg);
    if (store_url)
        wx_strlcpy(cfg.store_url, store_url, sizeof(cfg.store_url));
    cli_cfg = &cfg;
    store_t *st = NULL;
    if (store_open(cfg.store_url, &st, &err) != WX_OK)
        return fail(&err);
    int rc;
    if (strcmp(a.pos[0], "init") == 0) {
        const seal_key_t *mk = NULL;
        rc = 0;
        const char *env_key = getenv("WXAUTH_MASTER_KEY");
        if ((!env_key || !env_key[0]) && cfg.master_key_file[0] &&
            access(cfg.master_key_file, F_OK) != 0) {
            if (seal_key_create_file(cfg.master_key_file, &err) != WX_OK)
                rc = fail(&err);
            else
                printf("master key created in %s (mode 0600): back it up; without it the "
                       "stored keys and secrets cannot be read\n",
                       cfg.master_key_file);
        }
        if (rc == 0)
            rc = need_master(&mk);
        if (rc == 0)
            rc = keys_ensure(st, mk, "RS256", &err) == WX_OK ? 0 : fail(&err);
        if (rc == 0)
            printf("store ready (schema version %d)\n", store_schema_version(st));
    } else if (strcmp(a.pos[0], "pool") == 0) {
        rc = cmd_pool(st, &a);
    } else if (strcmp(a.pos[0], "app") == 0) {
        rc = cmd_app(st, &a);
    } else if (strcmp(a.pos[0], "connection") == 0) {
        rc = cmd_connection(st, &a);
    } else if (strcmp(a.pos[0], "user") == 0) {
        rc = cmd_user(st, &a);
    } else if (strcmp(a.pos[0], "keys") == 0) {
        rc = cmd_keys(st, &a);
    } else {
        usage(stderr);
        rc = 2;
    }
    store_close(st);
    seal_key_wipe(&cli_master_key);
    return rc;
}
