/* Command-line parsing and help. Every command declares its options (cli_opt_t); anything
 * else is a usage error (exit 2), so a typo never silently does something else. Global
 * options (--config, --url, --token-file, --json, …) are accepted anywhere on the line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util/wx.h"

int
cli_err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wxauth: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

const char *
cli_opt(const cli_t *c, const char *name)
{
    const cli_val_t *v = cli_opts(c, name);
    return v && v->count > 0 ? v->values[v->count - 1] : NULL;
}

const cli_val_t *
cli_opts(const cli_t *c, const char *name)
{
    for (int i = 0; i < c->nvals; i++)
        if (strcmp(c->vals[i].name, name) == 0)
            return &c->vals[i];
    return NULL;
}

bool
cli_flag(const cli_t *c, const char *name)
{
    return cli_opts(c, name) != NULL;
}

typedef struct {
    const char *name;
    bool value;
    const char *arg, *help;
} global_t;

static const global_t globals[] = {
    {"url", true, "URL",
     "admin API base URL (else WXAUTH_URL, [cli] url, or the config's [admin] listen)"},
    {"token-file", true, "FILE",
     "file holding the admin token (else WXAUTH_ADMIN_TOKEN, or [cli] token_file)"},
    {"token", true, "TOKEN", "the admin token itself (visible in `ps`: prefer the two above)"},
    {"config", true, "FILE", "wxauthd's config file (else WXAUTH_CONFIG)"},
    {"store", true, "URL", "the store for init (else the config's [store] url)"},
    {"json", false, NULL, "print JSON instead of tables"},
};

bool
cli_global_opt(const char *s, bool *takes_value)
{
    if (strncmp(s, "--", 2) != 0)
        return false;
    s += 2;
    size_t n = strcspn(s, "=");
    for (size_t i = 0; i < WX_ARRAY_LEN(globals); i++)
        if (strlen(globals[i].name) == n && strncmp(globals[i].name, s, n) == 0) {
            *takes_value = globals[i].value;
            return true;
        }
    return false;
}

bool
cli_global_set(cli_t *c, const char *name, const char *value)
{
    if (strcmp(name, "url") == 0)
        c->url = value;
    else if (strcmp(name, "token-file") == 0)
        c->token_file = value;
    else if (strcmp(name, "token") == 0)
        c->token_arg = value;
    else if (strcmp(name, "config") == 0)
        c->config_path = value;
    else if (strcmp(name, "store") == 0)
        c->store_url = value;
    else if (strcmp(name, "json") == 0)
        c->json = true;
    else
        return false;
    return true;
}

static const cli_opt_t *
find_opt(const cli_cmd_t *cmd, const char *name, size_t n)
{
    for (const cli_opt_t *o = cmd->opts; o && o->name; o++)
        if (strlen(o->name) == n && strncmp(o->name, name, n) == 0)
            return o;
    return NULL;
}

static int
add_val(cli_t *c, const cli_opt_t *o, const char *value)
{
    cli_val_t *v = (cli_val_t *)cli_opts(c, o->name);
    if (!v) {
        if (c->nvals == CLI_MAX_OPTS)
            return cli_err(CLI_USAGE, "too many options");
        v = &c->vals[c->nvals++];
        v->name = o->name;
    } else if (!o->repeat && o->arg) {
        return cli_err(CLI_USAGE, "--%s given twice", o->name);
    }
    if (v->count == CLI_MAX_REPEAT)
        return cli_err(CLI_USAGE, "too many --%s", o->name);
    v->values[v->count++] = value;
    return CLI_OK;
}

static void
cmd_words(const cli_cmd_t *cmd, char *out, size_t n)
{
    wx_snprintf(out, n, "%s%s%s", cmd->group, cmd->name ? " " : "", cmd->name ? cmd->name : "");
}

int
cli_parse(cli_t *c, int argc, char **argv, int start)
{
    const cli_cmd_t *cmd = c->cmd;
    char words[64];
    cmd_words(cmd, words, sizeof(words));
    for (int i = start; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            cli_help_cmd(stdout, cmd);
            return CLI_DONE;
        }
        if (strcmp(s, "--") == 0) { /* the rest are positionals, even if they start with - */
            for (i++; i < argc; i++) {
                if (c->npos == CLI_MAX_POS)
                    return cli_err(CLI_USAGE, "too many arguments for '%s' (see --help)", words);
                c->pos[c->npos++] = argv[i];
            }
            break;
        }
        if (strncmp(s, "--", 2) != 0 || s[2] == '\0') {
            if (c->npos == CLI_MAX_POS || c->npos >= cmd->max_pos)
                return cli_err(CLI_USAGE,
                               "unexpected argument '%s' for '%s' (see wxauth %s --help)", s, words,
                               words);
            c->pos[c->npos++] = s;
            continue;
        }
        const char *name = s + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const char *value = eq ? eq + 1 : NULL;
        bool gv = false;
        if (cli_global_opt(s, &gv)) {
            if (gv && !value) {
                if (i + 1 >= argc)
                    return cli_err(CLI_USAGE, "--%.*s needs a value", (int)nl, name);
                value = argv[++i];
            } else if (!gv && value) {
                return cli_err(CLI_USAGE, "--%.*s takes no value", (int)nl, name);
            }
            char gname[32];
            wx_snprintf(gname, sizeof(gname), "%.*s", (int)nl, name);
            cli_global_set(c, gname, value);
            continue;
        }
        const cli_opt_t *o = find_opt(cmd, name, nl);
        if (!o)
            return cli_err(CLI_USAGE, "'%s' has no option --%.*s (see wxauth %s --help)", words,
                           (int)nl, name, words);
        if (o->arg && !value) {
            if (i + 1 >= argc)
                return cli_err(CLI_USAGE, "--%s needs a value (%s)", o->name, o->arg);
            value = argv[++i];
        } else if (!o->arg && value) {
            return cli_err(CLI_USAGE, "--%s takes no value", o->name);
        }
        int rc = add_val(c, o, value ? value : "");
        if (rc != CLI_OK)
            return rc;
    }
    if (c->npos < cmd->min_pos)
        return cli_err(CLI_USAGE, "'%s' needs %s (see wxauth %s --help)", words,
                       cmd->args ? cmd->args : "more arguments", words);
    return CLI_OK;
}

int
cli_opt_long(const cli_t *c, const char *name, long lo, long hi, long *out)
{
    const char *v = cli_opt(c, name);
    if (!v)
        return CLI_OK;
    if (!wx_parse_long(v, lo, hi, out))
        return cli_err(CLI_USAGE, "--%s must be a whole number from %ld to %ld, not '%s'", name, lo,
                       hi, v);
    return CLI_OK;
}

const char *
cli_need(const cli_t *c, const char *name)
{
    const char *v = cli_opt(c, name);
    if (!v || !v[0]) {
        char words[64];
        cmd_words(c->cmd, words, sizeof(words));
        cli_err(CLI_USAGE, "'%s' needs --%s (see wxauth %s --help)", words, name, words);
        return NULL;
    }
    return v;
}

bool
cli_confirm(const cli_t *c, const char *what, const char *id)
{
    char answer[128];
    if (cli_flag(c, "yes"))
        return true;
    if (!isatty(STDIN_FILENO)) {
        cli_err(CLI_USAGE, "deleting %s %s cannot be undone: add --yes to confirm", what, id);
        return false;
    }
    fprintf(stderr, "Delete %s %s? This cannot be undone. Type its id to confirm: ", what, id);
    if (!fgets(answer, sizeof(answer), stdin))
        return false;
    answer[strcspn(answer, "\r\n")] = '\0';
    if (strcmp(answer, id) != 0) {
        cli_err(CLI_USAGE, "not confirmed; nothing was deleted");
        return false;
    }
    return true;
}

void
cli_show(const cli_t *c, const json_t *obj, const char *const *keys)
{
    if (c->json)
        cli_print_json(obj);
    else
        cli_kv(obj, keys);
}

void
cli_body_str(const cli_t *c, json_t *body, const char *opt, const char *field)
{
    if (cli_opt(c, opt))
        json_object_set_new(body, field, json_string(cli_opt(c, opt)));
}

void
cli_body_list(const cli_t *c, json_t *body, const char *opt, const char *field)
{
    const cli_val_t *v = cli_opts(c, opt);
    if (!v)
        return;
    json_t *arr = json_array();
    for (int i = 0; i < v->count; i++)
        json_array_append_new(arr, json_string(v->values[i]));
    json_object_set_new(body, field, arr);
}

static void
print_opt(FILE *f, const char *name, const char *arg, const char *help, bool repeat)
{
    char left[64];
    wx_snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "", arg ? arg : "");
    fprintf(f, "  %-24s %s%s\n", left, help, repeat ? " (repeatable)" : "");
}

static void
print_globals(FILE *f, bool remote)
{
    fprintf(f, "\nglobal options:\n");
    for (size_t i = 0; i < WX_ARRAY_LEN(globals); i++) {
        if (!remote &&
            (strcmp(globals[i].name, "url") == 0 || strncmp(globals[i].name, "token", 5) == 0))
            continue;
        print_opt(f, globals[i].name, globals[i].arg, globals[i].help, false);
    }
    print_opt(f, "help", NULL, "this text (also -h)", false);
}

void
cli_help_cmd(FILE *f, const cli_cmd_t *cmd)
{
    char words[64];
    cmd_words(cmd, words, sizeof(words));
    fprintf(f, "usage: wxauth %s%s%s%s\n\n%s\n", words, cmd->args ? " " : "",
            cmd->args ? cmd->args : "", cmd->opts && cmd->opts->name ? " [options]" : "",
            cmd->summary);
    if (cmd->details)
        fprintf(f, "\n%s\n", cmd->details);
    if (cmd->opts && cmd->opts->name) {
        fprintf(f, "\noptions:\n");
        for (const cli_opt_t *o = cmd->opts; o->name; o++)
            print_opt(f, o->name, o->arg, o->help, o->repeat);
    }
    print_globals(f, cmd->remote);
    fprintf(f, "\nexit codes: 0 ok, 1 failure, 2 usage or invalid value, 3 not found, "
               "4 admin credential refused\n");
}

void
cli_help_group(FILE *f, const char *group)
{
    fprintf(f, "usage: wxauth %s COMMAND [options]   (wxauth %s COMMAND --help for more)\n\n",
            group, group);
    for (size_t i = 0; i < cli_ncmds; i++) {
        const cli_cmd_t *cmd = &cli_cmds[i];
        if (strcmp(cmd->group, group) != 0)
            continue;
        char left[64];
        wx_snprintf(left, sizeof(left), "%s%s%s", cmd->name ? cmd->name : "", cmd->args ? " " : "",
                    cmd->args ? cmd->args : "");
        fprintf(f, "  %-28s %s\n", left, cmd->summary);
    }
}

void
cli_help_all(FILE *f)
{
    fprintf(f, "usage: wxauth [global options] COMMAND [options]\n\n"
               "Set up and look after a wxauth server: user pools, applications, WeChat\n"
               "connections, users, signing keys and the audit log, through its admin API.\n\n"
               "commands:\n");
    for (size_t i = 0; i < cli_ncmds; i++) {
        const cli_cmd_t *cmd = &cli_cmds[i];
        char left[64];
        wx_snprintf(left, sizeof(left), "%s%s%s%s%s", cmd->group, cmd->name ? " " : "",
                    cmd->name ? cmd->name : "", cmd->args ? " " : "", cmd->args ? cmd->args : "");
        fprintf(f, "  %-30s %s\n", left, cmd->summary);
    }
    fprintf(f, "  %-30s %s\n", "token verify TOKEN",
            "verify a token offline with libwxauth "
            "(wxauth token --help)");
    print_globals(f, true);
    fprintf(f, "\n`wxauth COMMAND --help` tells more. docs/cli.md and docs/admin.md have the "
               "whole story.\n"
               "exit codes: 0 ok, 1 failure, 2 usage or invalid value, 3 not found, "
               "4 admin credential refused\n");
}
