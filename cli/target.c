/* Where the admin API is and the admin token, for the commands that use it.
 *   URL:   --url, else WXAUTH_URL, else [cli] url of the config file, else http:// + the
 *          config's [admin] listen (by default 127.0.0.1 and the port after [server] listen's;
 *          [server] listen itself with admin.listen = public; a wildcard address becomes
 *          loopback), else the default http://127.0.0.1:8081.
 *   token: --token-file, else --token (accepted with a warning: argv is visible to every local
 *          user), else WXAUTH_ADMIN_TOKEN, else [cli] token_file of the config file.
 * The config file is wxauthd's own (--config or WXAUTH_CONFIG): one file serves both. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "config.h"
#include "util/ini.h"

/* http://host:port from a listen address: "0.0.0.0:8080", "[::]:8080", ":8080", "h:p". */
static bool
url_from_listen(const char *listen, char *out, size_t n)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || !colon[1])
        return false;
    const char *port = colon + 1;
    size_t hl = (size_t)(colon - listen);
    char host[200];
    if (hl >= sizeof(host))
        return false;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (hl == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
        wx_strlcpy(host, "127.0.0.1", sizeof(host));
    else if (strcmp(host, "[::]") == 0)
        wx_strlcpy(host, "[::1]", sizeof(host));
    return wx_snprintf(out, n, "http://%s:%s", host, port);
}

/* A path from the config file is relative to the file's folder. */
static void
config_relative(const char *config, const char *path, char *out, size_t n)
{
    const char *slash = config ? strrchr(config, '/') : NULL;
    if (path[0] == '/' || !slash)
        wx_strlcpy(out, path, n);
    else
        wx_snprintf(out, n, "%.*s/%s", (int)(slash - config), config, path);
}

static int
token_from_file(cli_t *c, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "wxauth: warning: %s can be read by other users; chmod 600 it\n", path);
    int rc = cli_read_line_file(path, c->target.token, sizeof(c->target.token));
    if (rc != CLI_OK)
        return rc;
    wx_snprintf(c->target.from, sizeof(c->target.from), "the token in %s", path);
    return CLI_OK;
}

int
cli_target_resolve(cli_t *c)
{
    wx_ini_t ini = {0};
    wx_err_t err = {0};
    const char *cli_url = NULL, *cli_token_file = NULL;
    char path[1024];
    int rc = CLI_OK;
    if (c->config_path && wx_ini_load(c->config_path, &ini, &err) != WX_OK) {
        rc = cli_err(CLI_USAGE, "%s", err.msg);
        goto out;
    }
    if (c->config_path) {
        cli_url = wx_ini_get(&ini, "cli", "url");
        cli_token_file = wx_ini_get(&ini, "cli", "token_file");
    }
    const char *env_url = getenv("WXAUTH_URL");
    if (c->url) {
        wx_strlcpy(c->target.url, c->url, sizeof(c->target.url));
    } else if (env_url && env_url[0]) {
        wx_strlcpy(c->target.url, env_url, sizeof(c->target.url));
    } else if (cli_url && cli_url[0]) {
        wx_strlcpy(c->target.url, cli_url, sizeof(c->target.url));
    } else {
        static wx_config_t cfg;
        if (config_load(c->config_path, &cfg, &err) != WX_OK) {
            rc = cli_err(CLI_USAGE, "%s", err.msg);
            goto out;
        }
        /* The admin API's own listener ([admin] listen, by default loopback on the port
         * after the server's), or the server's with admin.listen = public. */
        const char *listen =
            strcmp(cfg.admin_listen, "public") == 0 ? cfg.listen : cfg.admin_listen;
        if (!url_from_listen(listen, c->target.url, sizeof(c->target.url))) {
            rc = cli_err(CLI_USAGE, "cannot tell the admin API's URL from listen = %s: give --url",
                         listen);
            goto out;
        }
    }
    if (strncmp(c->target.url, "http://", 7) != 0 && strncmp(c->target.url, "https://", 8) != 0) {
        rc = cli_err(CLI_USAGE, "the admin API URL must start with http:// or https://, not '%s'",
                     c->target.url);
        goto out;
    }
    size_t n = strlen(c->target.url);
    while (n > 0 && c->target.url[n - 1] == '/')
        c->target.url[--n] = '\0';

    const char *env_token = getenv("WXAUTH_ADMIN_TOKEN");
    if (c->token_file) {
        rc = token_from_file(c, c->token_file);
    } else if (c->token_arg) {
        fprintf(stderr, "wxauth: warning: --token shows the admin token to every local user "
                        "(ps); use --token-file or WXAUTH_ADMIN_TOKEN\n");
        if (!wx_strlcpy(c->target.token, c->token_arg, sizeof(c->target.token)))
            rc = cli_err(CLI_USAGE, "--token is longer than %d bytes", CLI_TOKEN_MAX);
        wx_strlcpy(c->target.from, "--token", sizeof(c->target.from));
    } else if (env_token && env_token[0]) {
        if (!wx_strlcpy(c->target.token, env_token, sizeof(c->target.token)))
            rc = cli_err(CLI_USAGE, "WXAUTH_ADMIN_TOKEN is longer than %d bytes", CLI_TOKEN_MAX);
        wx_strlcpy(c->target.from, "WXAUTH_ADMIN_TOKEN", sizeof(c->target.from));
    } else if (cli_token_file && cli_token_file[0]) {
        config_relative(c->config_path, cli_token_file, path, sizeof(path));
        rc = token_from_file(c, path);
    } else {
        rc = cli_err(CLI_USAGE,
                     "no admin token: use --token-file FILE, set WXAUTH_ADMIN_TOKEN, or put "
                     "[cli] token_file in the config file (docs/admin.md, step 3)");
    }
out:
    wx_ini_free(&ini);
    return rc;
}

void
cli_target_wipe(cli_t *c)
{
    cli_wipe(c->target.token, sizeof(c->target.token));
}
