/* The wxauth command line: what its files share. wxauth.c holds the command table and main;
 * args.c parses a command line against a command's options and prints help; target.c finds
 * the admin API and the admin token; api.c talks to it; table.c prints tables; secret.c reads
 * secrets without echo; cmd_*.c are the commands. Exit codes (CLI_*) are documented in
 * docs/cli.md and scripts rely on them. */
#ifndef WX_CLI_H
#define WX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "util/wx.h"

typedef enum {
    CLI_OK = 0,
    CLI_FAIL = 1,      /* server or network failure, a failed check, a conflict */
    CLI_USAGE = 2,     /* bad command line, or the API refused a value (400) */
    CLI_NOT_FOUND = 3, /* no such pool, application, connection, user */
    CLI_AUTH = 4,      /* the admin API refused the credential (401, 403, 429) */
} cli_exit_t;

/* Internal: parsing printed help and the program should exit 0. */
#define CLI_DONE (-1)

#define CLI_MAX_OPTS 24
#define CLI_MAX_REPEAT 32
#define CLI_MAX_POS 4
#define CLI_TOKEN_MAX 256

/* One option of a command: --name VALUE (arg names the value) or a flag (arg NULL). */
typedef struct {
    const char *name;
    const char *arg;
    const char *help;
    bool repeat;
} cli_opt_t;

typedef struct cli cli_t;

typedef struct {
    const char *group;     /* "pool"; the first word */
    const char *name;      /* "create"; NULL for a one-word command */
    const char *args;      /* positional synopsis ("ID"), NULL when none */
    int min_pos, max_pos;  /* positional count */
    const char *summary;   /* one line */
    const char *details;   /* more text for --help, or NULL */
    const cli_opt_t *opts; /* ends with {NULL} */
    bool remote;           /* talks to the admin API */
    int (*run)(cli_t *c);
} cli_cmd_t;

typedef struct {
    const char *name;
    const char *values[CLI_MAX_REPEAT];
    int count;
} cli_val_t;

/* A column of a table (table.c). */
typedef struct {
    const char *head; /* column title */
    const char *key;  /* member of each row object */
} cli_col_t;

/* Where the admin API is and the credential (target.c). */
typedef struct {
    char url[512];                 /* base URL, no trailing slash */
    char token[CLI_TOKEN_MAX + 1]; /* wiped at exit */
    char from[128];                /* where the token came from, for error messages */
} cli_target_t;

struct cli {
    const cli_cmd_t *cmd;
    /* global options */
    const char *config_path; /* --config or WXAUTH_CONFIG */
    const char *store_url;   /* --store (local commands) */
    const char *url;         /* --url */
    const char *token_file;  /* --token-file */
    const char *token_arg;   /* --token (warned about) */
    bool json;
    /* the command's options and words */
    cli_val_t vals[CLI_MAX_OPTS];
    int nvals;
    const char *pos[CLI_MAX_POS];
    int npos;
    cli_target_t target;
};

/* ---- args.c ---- */
/* Print "wxauth: <message>" to stderr and return code. */
int cli_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Last value of option name, or NULL. */
const char *cli_opt(const cli_t *c, const char *name);
/* Every value of a repeatable option (NULL when not given). */
const cli_val_t *cli_opts(const cli_t *c, const char *name);
bool cli_flag(const cli_t *c, const char *name);
/* Parse argv[start..] (options and positionals) for c->cmd; prints the error, returns exit. */
int cli_parse(cli_t *c, int argc, char **argv, int start);
/* Is s one of the options every command takes (--config, --url, ...)? *takes_value tells. */
bool cli_global_opt(const char *s, bool *takes_value);
/* Apply a global option (value may be NULL for flags); false when s is not one. */
bool cli_global_set(cli_t *c, const char *name, const char *value);
/* Help: of one command, of a group, or of everything. */
void cli_help_cmd(FILE *f, const cli_cmd_t *cmd);
void cli_help_group(FILE *f, const char *group);
void cli_help_all(FILE *f);
/* An integer option in [lo, hi]; *out keeps dflt when absent. Returns exit code. */
int cli_opt_long(const cli_t *c, const char *name, long lo, long hi, long *out);
/* A required option's value, or NULL after printing the usage error. */
const char *cli_need(const cli_t *c, const char *name);
/* Before deleting: --yes, or the answer typed on a terminal; false (after saying why) else. */
bool cli_confirm(const cli_t *c, const char *what, const char *id);
/* Print obj: JSON with --json, else "key: value" lines of keys (NULL: all). */
void cli_show(const cli_t *c, const json_t *obj, const char *const *keys);
/* Option --opt, when given, as the string member field of body. */
void cli_body_str(const cli_t *c, json_t *body, const char *opt, const char *field);
/* Every value of the repeatable option --opt, when given, as the array member field of body. */
void cli_body_list(const cli_t *c, json_t *body, const char *opt, const char *field);

/* ---- wxauth.c: the command table ---- */
extern const cli_cmd_t cli_cmds[];
extern const size_t cli_ncmds;

/* ---- target.c ---- */
/* Resolve c->target from flags, environment and the config file. Returns exit code. */
int cli_target_resolve(cli_t *c);
void cli_target_wipe(cli_t *c);

/* ---- api.c ---- */
typedef struct {
    long status;    /* HTTP status, 0 when no answer */
    json_t *body;   /* parsed JSON body or NULL */
    char *raw;      /* raw body (NUL-terminated) or NULL */
    long date_skew; /* server Date minus local time, seconds (0 when no Date header) */
    bool have_date;
    char ctype[128]; /* Content-Type */
    char location[512];
} cli_resp_t;

/* One admin API call: method on c->target.url + "/api/admin/v1" + path, body (may be NULL)
 * sent as JSON. The response is in *out (cli_resp_free it). Returns CLI_OK when an answer
 * came (whatever its status), else CLI_FAIL after printing why. */
int cli_api_call(cli_t *c, const char *method, const char *path, const json_t *body,
                 cli_resp_t *out);
/* Call, then turn a non-2xx answer into its exit code after printing the message and each
 * field error; on 2xx *json gets the body (caller decrefs). */
int cli_api(cli_t *c, const char *method, const char *path, const json_t *body, json_t **json);
/* The exit code of an HTTP status (after printing the API's message). */
int cli_api_status_exit(const cli_resp_t *r);
void cli_resp_free(cli_resp_t *r);
/* Percent-encode one path segment into out; false when it does not fit. */
bool cli_path_seg(const char *s, char *out, size_t n);
/* An API path from fmt where each %s is one path segment, percent-encoded. */
bool cli_pathf(char *out, size_t n, const char *fmt, ...);
/* Print a JSON value as the API sent it (indented) to stdout. */
void cli_print_json(const json_t *j);
/* The shapes the commands share. Each prints the answer as JSON with --json; the exit code. */
/* GET path: a table of the array member key of the answer. */
int cli_list(cli_t *c, const char *path, const cli_col_t *cols, size_t ncols, const char *key);
/* The same for one page of a longer list, then "first-last of total" (offset < 0: not). */
int cli_list_page(cli_t *c, const char *path, const cli_col_t *cols, size_t ncols, const char *key,
                  long offset);
/* GET path: "key: value" lines of keys (cli_show). */
int cli_get_show(cli_t *c, const char *path, const char *const *keys);
/* method path body, then the line fmt makes (when not --json). */
int cli_api_done(cli_t *c, const char *method, const char *path, const json_t *body,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- table.c ---- */
/* An aligned table of the rows (JSON objects) to stdout. */
void cli_table(const cli_col_t *cols, size_t ncols, const json_t *rows);
/* "key: value" lines of an object, aligned (keys NULL: every member in order). */
void cli_kv(const json_t *obj, const char *const *keys);
/* A JSON value as table text: dates for *_at / last_login, yes/no, lists joined. */
void cli_cell(const char *key, const json_t *v, char *out, size_t n);
/* Display width of UTF-8 text (CJK counts 2). */
size_t cli_width(const char *s);

/* ---- secret.c ---- */
/* A secret from --<prefix>-env VAR, --<prefix>-file FILE, --<prefix> VALUE (with a warning),
 * or a prompt without echo when stdin is a terminal and prompt is not NULL. *got is false
 * when none was given. Returns exit code. */
int cli_secret_read(const cli_t *c, const char *prefix, const char *prompt, char *out, size_t n,
                    bool *got);
/* The first line of a file, trailing white space removed. Returns exit code. */
int cli_read_line_file(const char *path, char *out, size_t n);
void cli_wipe(void *p, size_t n);

/* ---- commands ---- */
int cli_pool_list(cli_t *c);
int cli_pool_get(cli_t *c);
int cli_pool_create(cli_t *c);
int cli_pool_update(cli_t *c);
int cli_pool_delete(cli_t *c);
int cli_app_list(cli_t *c);
int cli_app_get(cli_t *c);
int cli_app_create(cli_t *c);
int cli_app_update(cli_t *c);
int cli_app_reset_secret(cli_t *c);
int cli_app_delete(cli_t *c);
int cli_conn_list(cli_t *c);
int cli_conn_get(cli_t *c);
int cli_conn_set(cli_t *c);
int cli_conn_delete(cli_t *c);
int cli_conn_check(cli_t *c);
int cli_user_list(cli_t *c);
int cli_user_get(cli_t *c);
int cli_user_count(cli_t *c);
int cli_user_block(cli_t *c);
int cli_user_unblock(cli_t *c);
int cli_user_revoke(cli_t *c);
int cli_user_delete(cli_t *c);
int cli_user_import(cli_t *c);
int cli_keys_list(cli_t *c);
int cli_keys_rotate(cli_t *c);
int cli_audit_list(cli_t *c);
int cli_doctor(cli_t *c);
int cli_init(cli_t *c);
int cli_admin_hash_token(cli_t *c);
int cli_version(cli_t *c);

#endif
