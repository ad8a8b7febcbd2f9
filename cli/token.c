/* `wxauth token verify`: check a token the way a backend using libwxauth would, from the
 * command line. It parses its own options (cli/args.c is built around the admin commands'
 * table), prints the claims of a valid token, and says in one line why an invalid one is not. */
#include "token.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <wxauth.h>

#include "util/wx.h"

enum { TOKEN_EXIT_OK = 0, TOKEN_EXIT_INVALID = 1, TOKEN_EXIT_USAGE = 2 };

static const char usage_text[] =
    "usage: wxauth token verify TOKEN --jwks URL|FILE [options]\n"
    "\n"
    "Verify a token offline against a JWKS, as libwxauth does in a backend. TOKEN - reads it\n"
    "from standard input (a token on the command line is visible in ps).\n"
    "\n"
    "  --jwks URL|FILE          the JWKS: http(s) URL (e.g. "
    "https://ID/oidc/.well-known/jwks.json)\n"
    "                           or a file; may be left out with --hs256-secret-env\n"
    "  --iss ISS                required issuer (e.g. https://ID/oidc)\n"
    "  --aud AUD                required audience: an application id, or the pool id\n"
    "  --alg LIST               accepted algs, comma-separated (default RS256,ES256,EdDSA,\n"
    "                           plus HS256 with --hs256-secret-env)\n"
    "  --hs256-secret-env VAR   accept HS256 tokens signed with the application secret held in\n"
    "                           the environment variable VAR\n"
    "  --leeway SECONDS         clock skew allowed for exp/nbf/iat, 0..86400 (default 30)\n"
    "  --json                   print the claims as JSON\n"
    "  -h, --help               this text\n"
    "\n"
    "Exit status: 0 valid, 1 invalid token (reason on stderr) or JWKS unreachable, 2 usage.\n";

typedef struct {
    const char *token;
    const char *jwks;
    const char *iss;
    const char *aud;
    const char *algs;
    const char *secret_env;
    const char *leeway;
    bool json;
} token_args_t;

static int __attribute__((format(printf, 1, 2))) usage_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("wxauth token: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n(see wxauth token verify --help)\n", stderr);
    va_end(ap);
    return TOKEN_EXIT_USAGE;
}

/* --name VALUE or --name=VALUE; returns the value or NULL when arg is not this option. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Fill a from the words after "verify": TOKEN_EXIT_OK, TOKEN_EXIT_USAGE (said why), or -1 when
 * --help was printed. */
static int
args_parse(int argc, char **argv, token_args_t *a)
{
    static const struct {
        const char *name;
        size_t off;
    } opts[] = {
        {"--jwks", offsetof(token_args_t, jwks)},
        {"--iss", offsetof(token_args_t, iss)},
        {"--aud", offsetof(token_args_t, aud)},
        {"--alg", offsetof(token_args_t, algs)},
        {"--hs256-secret-env", offsetof(token_args_t, secret_env)},
        {"--leeway", offsetof(token_args_t, leeway)},
    };
    bool dashdash = false;

    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (!dashdash && (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0)) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (!dashdash && strcmp(s, "--") == 0) {
            dashdash = true;
            continue;
        }
        if (!dashdash && strcmp(s, "--json") == 0) {
            a->json = true;
            continue;
        }
        if (!dashdash && s[0] == '-' && s[1] == '-') {
            bool known = false, missing = false;
            for (size_t k = 0; k < WX_ARRAY_LEN(opts) && !known; k++) {
                const char *v = opt_value(argc, argv, &i, opts[k].name, &missing);
                if (missing)
                    return usage_err("%s needs a value", opts[k].name);
                if (v) {
                    *(const char **)((char *)a + opts[k].off) = v;
                    known = true;
                }
            }
            if (!known)
                return usage_err("unknown option %s", s);
            continue;
        }
        if (a->token)
            return usage_err("one token at a time (extra argument '%.40s')", s);
        a->token = s;
    }
    if (!a->token)
        return usage_err("no token given");
    if (!a->jwks && !a->secret_env)
        return usage_err("--jwks URL|FILE is required");
    return TOKEN_EXIT_OK;
}

/* The token from standard input for "-": one line, surrounding white space dropped, read at
 * most one byte past the limit so that an oversized token is still refused as such. */
static char *
token_stdin(void)
{
    size_t cap = WXAUTH_TOKEN_MAX + 2, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    n = fread(buf, 1, cap - 1, stdin);
    buf[n] = '\0';
    char *p = buf + strspn(buf, " \t\r\n");
    size_t len = strcspn(p, " \t\r\n");
    memmove(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* A claim value for a terminal: strings as they are when printable, else as JSON (so escape
 * sequences hidden in a token's claims are shown, not obeyed); times also as ISO 8601. */
static void
print_value(const char *name, const json_t *v)
{
    const char *s = json_string_value(v);
    bool plain = s != NULL;
    for (const unsigned char *p = (const unsigned char *)s; plain && *p; p++)
        plain = *p >= 0x20 && *p != 0x7f;
    if (plain) {
        fputs(s, stdout);
        return;
    }
    char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    fputs(j ? j : "?", stdout);
    free(j);
    if (json_is_integer(v) &&
        (!strcmp(name, "exp") || !strcmp(name, "iat") || !strcmp(name, "nbf"))) {
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        char iso[32];
        if (gmtime_r(&t, &tm) && strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm))
            printf(" (%s)", iso);
    }
}

static void
print_iso(const json_t *claims, const char *name)
{
    json_int_t v = json_integer_value(json_object_get(claims, name));
    time_t t = (time_t)v;
    struct tm tm;
    char iso[32] = "-";
    if (json_is_integer(json_object_get(claims, name)) && gmtime_r(&t, &tm))
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs(iso, stdout);
}

/* valid: sub=… aud=… exp=…, then every other claim as "name: value". */
static int
print_claims(const wxauth_claims *c, bool as_json)
{
    json_t *claims = json_loads(wxauth_claims_json(c), 0, NULL);
    const char *name = NULL;
    json_t *v = NULL;
    if (!claims) {
        fputs("wxauth token: cannot read the claims back\n", stderr);
        return TOKEN_EXIT_INVALID;
    }
    if (as_json) {
        char *s = json_dumps(claims, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s)
            puts(s);
        free(s);
        json_decref(claims);
        return s ? TOKEN_EXIT_OK : TOKEN_EXIT_INVALID;
    }
    fputs("valid: sub=", stdout);
    print_value("sub",
                json_object_get(claims, "sub") ? json_object_get(claims, "sub") : json_null());
    fputs(" aud=", stdout);
    const json_t *aud = json_object_get(claims, "aud");
    if (json_is_array(aud)) {
        size_t i;
        json_array_foreach(aud, i, v)
        {
            if (i)
                fputc(',', stdout);
            print_value("aud", v);
        }
    } else {
        print_value("aud", aud ? aud : json_null());
    }
    fputs(" exp=", stdout);
    print_iso(claims, "exp");
    fputc('\n', stdout);
    json_object_foreach(claims, name, v)
    {
        if (!strcmp(name, "sub") || !strcmp(name, "aud") || !strcmp(name, "exp"))
            continue;
        bool plain = true;
        for (const unsigned char *p = (const unsigned char *)name; plain && *p; p++)
            plain = *p >= 0x20 && *p != 0x7f;
        printf("%s: ", plain ? name : "(unprintable claim name)");
        print_value(name, v);
        fputc('\n', stdout);
    }
    json_decref(claims);
    return TOKEN_EXIT_OK;
}

static int
token_verify(int argc, char **argv)
{
    int rc = TOKEN_EXIT_OK;
    token_args_t a = {0};
    wxauth_options opt = {.leeway = -1};
    wxauth_verifier *v = NULL;
    wxauth_claims *claims = NULL;
    wxauth_status st = WXAUTH_OK;
    char *stdin_token = NULL;
    char err[512];
    long leeway = 0;

    rc = args_parse(argc, argv, &a);
    if (rc != TOKEN_EXIT_OK) {
        rc = rc < 0 ? TOKEN_EXIT_OK : rc;
        goto out;
    }
    if (a.leeway) {
        if (!wx_parse_long(a.leeway, 0, 86400, &leeway)) {
            rc = usage_err("--leeway takes whole seconds, 0..86400 (got '%.40s')", a.leeway);
            goto out;
        }
        opt.leeway = leeway;
    }
    if (a.jwks) {
        if (strncasecmp(a.jwks, "http://", 7) == 0 || strncasecmp(a.jwks, "https://", 8) == 0) {
            opt.jwks_url = a.jwks;
        } else if (strstr(a.jwks, "://")) {
            rc = usage_err("--jwks takes an http(s) URL or a file, not '%.80s'", a.jwks);
            goto out;
        } else {
            opt.jwks_file = a.jwks;
        }
    }
    if (a.secret_env) {
        opt.hs256_secret = getenv(a.secret_env);
        if (!opt.hs256_secret || !opt.hs256_secret[0]) {
            rc = usage_err("environment variable %.64s is not set", a.secret_env);
            goto out;
        }
    }
    opt.issuer = a.iss;
    opt.audience = a.aud;
    opt.algs = a.algs;
    if (strcmp(a.token, "-") == 0) {
        stdin_token = token_stdin();
        if (!stdin_token) {
            fputs("wxauth token: out of memory\n", stderr);
            rc = TOKEN_EXIT_INVALID;
            goto out;
        }
        a.token = stdin_token;
    }
    st = wxauth_verifier_new(&opt, &v, err, sizeof(err));
    if (st == WXAUTH_ERR_ARG) {
        rc = usage_err("%s", err);
        goto out;
    }
    if (st != WXAUTH_OK) {
        fprintf(stderr, "wxauth token: %s (from %s)\n", err, a.jwks ? a.jwks : "no JWKS");
        rc = TOKEN_EXIT_INVALID;
        goto out;
    }
    st = wxauth_verify(v, a.token, &claims, err, sizeof(err));
    if (st != WXAUTH_OK) {
        fprintf(stderr, "invalid token: %s\n", err);
        rc = TOKEN_EXIT_INVALID;
        goto out;
    }
    rc = print_claims(claims, a.json);
out:
    wxauth_claims_free(claims);
    wxauth_verifier_free(v);
    free(stdin_token);
    return rc;
}

int
cli_token_main(int argc, char **argv)
{
    int rc = TOKEN_EXIT_OK;
    if (argc < 2 || argv[1][0] == '-') {
        bool asked = argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
        fputs(usage_text, asked ? stdout : stderr);
        return asked ? TOKEN_EXIT_OK : TOKEN_EXIT_USAGE;
    }
    if (strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "wxauth token: unknown command '%.40s' (only: verify)\n", argv[1]);
        return TOKEN_EXIT_USAGE;
    }
    /* Thread-unsafe in older libcurl, so done here in main's thread, not by the library. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = token_verify(argc - 2, argv + 2);
    curl_global_cleanup();
    return rc;
}
