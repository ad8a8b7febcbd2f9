/* The commands that work without a running server: `init` (the store, the master key file,
 * the first signing key — what wxauthd needs before it can start) and `admin hash-token` (the
 * [admin] token_hash value the server's config holds instead of the token). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "keys/admin_hash.h"
#include "keys/keys.h"
#include "jose/b64url.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/rand.h"

static int
store_fail(const wx_err_t *err)
{
    fprintf(stderr, "wxauth: %s%s%s\n", err->msg, err->detail[0] ? ": " : "", err->detail);
    return err->status == WX_ENOENT                                ? CLI_NOT_FOUND
           : err->status == WX_EINVAL || err->status == WX_ETOOBIG ? CLI_USAGE
                                                                   : CLI_FAIL;
}

int
cli_init(cli_t *c)
{
    static wx_config_t cfg;
    wx_err_t err = {0};
    store_t *st = NULL;
    seal_key_t mk = {0};
    int rc = CLI_OK;
    if (config_load(c->config_path, &cfg, &err) != WX_OK)
        return cli_err(CLI_USAGE, "%s", err.msg);
    if (c->store_url)
        wx_strlcpy(cfg.store_url, c->store_url, sizeof(cfg.store_url));
    if (store_open(cfg.store_url, &st, &err) != WX_OK) {
        rc = store_fail(&err);
        goto out;
    }
    const char *env_key = getenv("WXAUTH_MASTER_KEY");
    if ((!env_key || !env_key[0]) && cfg.master_key_file[0] &&
        access(cfg.master_key_file, F_OK) != 0) {
        if (seal_key_create_file(cfg.master_key_file, &err) != WX_OK) {
            rc = store_fail(&err);
            goto out;
        }
        if (!c->json)
            printf("master key created in %s (mode 0600): back it up; without it the stored "
                   "keys and secrets cannot be read\n",
                   cfg.master_key_file);
    }
    if (seal_key_load(env_key, cfg.master_key_file, &mk, &err) != WX_OK ||
        keys_ensure(st, &mk, "RS256", &err) != WX_OK) {
        rc = store_fail(&err);
        goto out;
    }
    if (c->json) {
        json_t *o = json_pack("{s:b,s:i,s:s}", "ok", 1, "schema_version", store_schema_version(st),
                              "master_key_file", cfg.master_key_file);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("store ready (schema version %d)\n", store_schema_version(st));
    }
out:
    seal_key_wipe(&mk);
    store_close(st);
    return rc;
}

/* 32 random bytes as base64url: 43 characters, well over the 16 the server requires. */
static int
generate_token(char *out, size_t n)
{
    unsigned char rnd[32];
    wx_buf_t b;
    wx_buf_init(&b, n - 1);
    int rc = CLI_OK;
    if (wx_rand_bytes(rnd, sizeof(rnd)) != WX_OK || b64url_encode(rnd, sizeof(rnd), &b) != WX_OK)
        rc = cli_err(CLI_FAIL, "cannot make a random token");
    else
        memcpy(out, b.data, b.len + 1);
    cli_wipe(rnd, sizeof(rnd));
    if (b.data)
        cli_wipe(b.data, b.len);
    wx_buf_free(&b);
    return rc;
}

static int
write_token_file(const char *path, const char *token)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return cli_err(errno == EEXIST ? CLI_USAGE : CLI_FAIL, "cannot create %s: %s%s", path,
                       strerror(errno), errno == EEXIST ? " (it is never overwritten)" : "");
    size_t len = strlen(token);
    bool ok = write(fd, token, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    ok = close(fd) == 0 && ok;
    return ok ? CLI_OK : cli_err(CLI_FAIL, "cannot write %s", path);
}

static int
read_token(const cli_t *c, char *out, size_t n)
{
    const char *var = cli_opt(c, "token-env");
    if (var) {
        const char *v = getenv(var);
        if (!v || !v[0])
            return cli_err(CLI_USAGE, "the environment variable %s is empty", var);
        if (!wx_strlcpy(out, v, n))
            return cli_err(CLI_USAGE, "%s is longer than %zu bytes", var, n - 1);
        return CLI_OK;
    }
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "admin token (not shown; end with Enter): ");
    if (!fgets(out, (int)n, stdin))
        return cli_err(CLI_USAGE, "no token on stdin (or use --token-env VAR, or --generate)");
    if (isatty(STDIN_FILENO))
        fputc('\n', stderr);
    size_t l = strlen(out);
    if (l == n - 1 && out[l - 1] != '\n')
        return cli_err(CLI_USAGE, "the token is longer than %zu bytes", n - 2);
    while (l > 0 && (out[l - 1] == '\n' || out[l - 1] == '\r'))
        out[--l] = '\0';
    return CLI_OK;
}

int
cli_admin_hash_token(cli_t *c)
{
    char token[CLI_TOKEN_MAX + 2] = "", hash[256];
    wx_err_t err = {0};
    int rc;
    bool gen = cli_flag(c, "generate");
    if (cli_opt(c, "out") && !gen)
        return cli_err(CLI_USAGE, "--out goes with --generate");
    if (gen && cli_opt(c, "token-env"))
        return cli_err(CLI_USAGE, "--generate makes its own token: drop --token-env");
    rc = gen ? generate_token(token, sizeof(token)) : read_token(c, token, sizeof(token));
    if (rc != CLI_OK)
        goto out;
    if (admin_hash_make(token, hash, sizeof(hash), &err) != WX_OK) {
        rc = cli_err(err.status == WX_EINVAL ? CLI_USAGE : CLI_FAIL, "%s", err.msg);
        goto out;
    }
    if (gen && cli_opt(c, "out") && (rc = write_token_file(cli_opt(c, "out"), token)) != CLI_OK)
        goto out;
    bool show_token = gen && !cli_opt(c, "out");
    if (c->json) {
        json_t *o = json_pack("{s:s}", "token_hash", hash);
        if (show_token)
            json_object_set_new(o, "token", json_string(token));
        if (gen && cli_opt(c, "out"))
            json_object_set_new(o, "token_file", json_string(cli_opt(c, "out")));
        cli_print_json(o);
        json_decref(o);
    } else if (gen) {
        if (show_token)
            printf("admin token (give it to the CLI and the console; it is not stored "
                   "anywhere):\n%s\n",
                   token);
        else
            printf("admin token written to %s (mode 0600)\n", cli_opt(c, "out"));
        printf("put this in wxauthd's config:\n[admin]\ntoken_hash = %s\n", hash);
    } else {
        printf("%s\n", hash);
    }
out:
    cli_wipe(token, sizeof(token));
    return rc;
}
