/* JSON-lines log. Lines are built in a local buffer and written with one write(2), so lines
 * from several worker threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"

static wx_log_level_t log_level = WX_LOG_INFO;
static const char *log_service = "wxauth";

void
wx_log_set_level(wx_log_level_t lvl)
{
    log_level = lvl;
}

void
wx_log_set_service(const char *svc)
{
    log_service = svc;
}

bool
wx_log_parse_level(const char *s, wx_log_level_t *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < WX_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (wx_log_level_t)i;
            return true;
        }
    return false;
}

static void
json_str(wx_buf_t *b, const char *s)
{
    wx_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            wx_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            wx_buf_printf(b, "\\u%04x", *p);
        else
            wx_buf_append(b, p, 1);
    }
    wx_buf_puts(b, "\"");
}

void
wx_log(wx_log_level_t lvl, const char *event, ...)
{
    static const char *lvls[] = {"debug", "info", "warn", "error"};
    if (lvl < log_level)
        return;
    wx_buf_t b;
    wx_buf_init(&b, 8192);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char t[40];
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
    wx_buf_printf(&b, "{\"t\":\"%s.%03ldZ\",\"lvl\":\"%s\",\"svc\":", t, ts.tv_nsec / 1000000,
                  lvls[lvl]);
    json_str(&b, log_service);
    wx_buf_puts(&b, ",\"ev\":");
    json_str(&b, event);
    va_list ap;
    va_start(ap, event);
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v)
            continue;
        wx_buf_puts(&b, ",");
        if (k[0] == '#') { /* numeric value, written bare when it is one */
            json_str(&b, k + 1);
            long n;
            if (wx_parse_long(v, -2147483647L, 2147483647L, &n))
                wx_buf_printf(&b, ":%ld", n);
            else {
                wx_buf_puts(&b, ":");
                json_str(&b, v);
            }
        } else {
            json_str(&b, k);
            wx_buf_puts(&b, ":");
            json_str(&b, v);
        }
    }
    va_end(ap);
    wx_buf_puts(&b, "}\n");
    if (b.data) {
        ssize_t r = write(STDERR_FILENO, b.data, b.len);
        (void)r;
    }
    wx_buf_free(&b);
}
