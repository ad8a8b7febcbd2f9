/* Reading secrets (App Secrets, admin tokens) so that they do not end up in the shell
 * history or in `ps`: from an environment variable, a file, or a prompt without echo. A value
 * on the command line is still accepted, with a warning, for throw-away set-ups. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "util/wx.h"

void
cli_wipe(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}

static void
chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

int
cli_read_line_file(const char *path, char *out, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cli_err(CLI_USAGE, "cannot read %s: %s", path, strerror(errno));
    bool ok = fgets(out, (int)n, f) != NULL;
    int next = ok && !strchr(out, '\n') ? fgetc(f) : EOF; /* a full buffer: is the line over? */
    bool whole = ok && (next == EOF || next == '\n' || next == '\r');
    fclose(f);
    if (!ok) {
        out[0] = '\0';
        return cli_err(CLI_USAGE, "%s is empty", path);
    }
    if (!whole) {
        cli_wipe(out, n);
        return cli_err(CLI_USAGE, "the first line of %s is longer than %zu bytes", path, n - 2);
    }
    chomp(out);
    if (!out[0])
        return cli_err(CLI_USAGE, "%s is empty", path);
    return CLI_OK;
}

/* Prompt on the terminal with echo off. */
static int
prompt_secret(const char *prompt, char *out, size_t n)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    struct termios old, quiet;
    if (fd < 0)
        return cli_err(CLI_USAGE, "cannot open the terminal to ask for the secret");
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* nothing to do: the read below still works */
    }
    ssize_t r = read(fd, out, n - 1);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    close(fd);
    if (r <= 0)
        return cli_err(CLI_USAGE, "no secret was typed");
    out[r] = '\0';
    if (!memchr(out, '\n', (size_t)r) && (size_t)r == n - 1) {
        cli_wipe(out, n);
        return cli_err(CLI_USAGE, "the secret is longer than %zu bytes", n - 2);
    }
    chomp(out);
    return out[0] ? CLI_OK : cli_err(CLI_USAGE, "no secret was typed");
}

int
cli_secret_read(const cli_t *c, const char *prefix, const char *prompt, char *out, size_t n,
                bool *got)
{
    char name[48];
    const char *v;
    *got = false;
    out[0] = '\0';
    wx_snprintf(name, sizeof(name), "%s-env", prefix);
    if ((v = cli_opt(c, name)) != NULL) {
        const char *e = getenv(v);
        if (!e || !e[0])
            return cli_err(CLI_USAGE, "the environment variable %s is empty (--%s)", v, name);
        if (!wx_strlcpy(out, e, n))
            return cli_err(CLI_USAGE, "%s is longer than %zu bytes", v, n - 1);
        *got = true;
        return CLI_OK;
    }
    wx_snprintf(name, sizeof(name), "%s-file", prefix);
    if ((v = cli_opt(c, name)) != NULL) {
        int rc = cli_read_line_file(v, out, n);
        *got = rc == CLI_OK;
        return rc;
    }
    if ((v = cli_opt(c, prefix)) != NULL) {
        fprintf(stderr,
                "wxauth: warning: --%s shows the secret to every local user (ps) and keeps it "
                "in your shell history; use --%s-env or --%s-file\n",
                prefix, prefix, prefix);
        if (!wx_strlcpy(out, v, n))
            return cli_err(CLI_USAGE, "--%s is longer than %zu bytes", prefix, n - 1);
        *got = true;
        return CLI_OK;
    }
    if (prompt && isatty(STDIN_FILENO)) {
        int rc = prompt_secret(prompt, out, n);
        *got = rc == CLI_OK;
        return rc;
    }
    return CLI_OK;
}
