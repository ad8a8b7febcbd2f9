/* `wxauth audit list`: the audit trail (GET /audit), newest first, with the API's filters.
 * Times may be written as Unix seconds, a UTC date/time, or "how long ago". */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const cli_col_t audit_cols[] = {
    {"TIME", "at"},       {"POOL", "pool_id"},    {"ACTOR", "actor"},
    {"ACTION", "action"}, {"SUBJECT", "subject"}, {"OUTCOME", "outcome"},
};

/* "1767225600", "2026-01-01", "2026-01-01T10:00[:00][Z]", or "30s"/"15m"/"12h"/"7d" ago. */
static bool
parse_time(const char *s, time_t now, long *out)
{
    long n;
    size_t len = strlen(s);
    if (wx_parse_long(s, 0, 4102444800L, out)) /* up to 2100 */
        return true;
    if (len >= 2 && strchr("smhd", s[len - 1])) {
        char num[24];
        if (len - 1 >= sizeof(num))
            return false;
        memcpy(num, s, len - 1);
        num[len - 1] = '\0';
        if (!wx_parse_long(num, 0, 36500L * 86400, &n))
            return false;
        long unit = s[len - 1] == 's'   ? 1
                    : s[len - 1] == 'm' ? 60
                    : s[len - 1] == 'h' ? 3600
                                        : 86400;
        *out = (long)now - n * unit;
        return *out >= 0;
    }
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%d", &tm);
    if (!rest)
        return false;
    if (*rest == 'T' || *rest == ' ') {
        const char *r2 = strptime(rest + 1, "%H:%M:%S", &tm);
        if (!r2)
            r2 = strptime(rest + 1, "%H:%M", &tm);
        rest = r2;
    }
    if (!rest || (*rest && strcmp(rest, "Z") != 0))
        return false;
    time_t t = timegm(&tm);
    if (t < 0)
        return false;
    *out = (long)t;
    return true;
}

int
cli_audit_list(cli_t *c)
{
    static const char *const passthrough[] = {"pool", "action", "actor"};
    char path[1024] = "/audit?", enc[300];
    long offset = 0, limit = 100, t;
    time_t now = time(NULL);
    int rc = cli_opt_long(c, "offset", 0, 1000000000, &offset);
    if (rc == CLI_OK)
        rc = cli_opt_long(c, "limit", 1, 1000, &limit);
    if (rc != CLI_OK)
        return rc;
    size_t len = strlen(path);
    wx_snprintf(path + len, sizeof(path) - len, "offset=%ld&limit=%ld", offset, limit);
    for (size_t i = 0; i < WX_ARRAY_LEN(passthrough); i++) {
        const char *v = cli_opt(c, passthrough[i]);
        if (!v)
            continue;
        if (!cli_path_seg(v, enc, sizeof(enc)))
            return cli_err(CLI_USAGE, "--%s is empty or too long", passthrough[i]);
        len = strlen(path);
        wx_snprintf(path + len, sizeof(path) - len, "&%s=%s", passthrough[i], enc);
    }
    static const char *const times[] = {"since", "until"};
    for (size_t i = 0; i < WX_ARRAY_LEN(times); i++) {
        const char *v = cli_opt(c, times[i]);
        if (!v)
            continue;
        if (!parse_time(v, now, &t))
            return cli_err(CLI_USAGE,
                           "--%s '%s': give Unix seconds, 2026-01-31, 2026-01-31T10:00:00Z, or "
                           "an age like 30m, 12h, 7d",
                           times[i], v);
        len = strlen(path);
        wx_snprintf(path + len, sizeof(path) - len, "&%s=%ld", times[i], t);
    }
    return cli_list_page(c, path, audit_cols, WX_ARRAY_LEN(audit_cols), "events", offset);
}
