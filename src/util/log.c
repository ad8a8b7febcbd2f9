/* JSON-lines log. Lines are built in a local buffer and written with one write(2) — or, on a
 * worker thread, gathered in its batch and written with one write(2) of whole lines — under one
 * lock, so lines from several threads never interleave, whatever their length. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* One line under construction, on the stack: no allocation per line. A line that would grow
 * past WX_LOG_LINE_MAX loses the end of the value that does not fit (cut at a character
 * boundary, CUT_MARK appended) and the fields after it, and ends with "log_cut":true; it stays
 * one JSON object ending in a newline. */
#define CUT_MARK "\xe2\x80\xa6"         /* U+2026 "…" at the end of a cut value */
#define CUT_TAIL ",\"log_cut\":true}\n" /* room always kept for it */
#define LINE_TAIL (sizeof(CUT_TAIL) - 1)
#define FIELD_MIN 40 /* room a field needs beyond its key: separators, quotes, marker, a number */
#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, for each byte that is not UTF-8 */

typedef struct {
    char d[WX_LOG_LINE_MAX];
    size_t len;
    bool cut;
} line_t;

static size_t
line_room(const line_t *l)
{
    return sizeof(l->d) - LINE_TAIL - l->len;
}

/* Only where the caller knows n fits. */
static void
line_put(line_t *l, const char *p, size_t n)
{
    memcpy(l->d + l->len, p, n);
    l->len += n;
}

/* Length of the well-formed UTF-8 character at p (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), or 0 when p does not start one. Stops at a NUL (never a continuation
 * byte), so it never reads past the string. */
static size_t
utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        else if (c == 0xED)
            hi = 0x9F; /* UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* past U+10FFFF */
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* A JSON string of valid UTF-8, cut short (with CUT_MARK) to what fits; needs room for its two
 * quotes and the marker. Quotes, backslashes and control characters are escaped; each byte that
 * does not belong to a well-formed UTF-8 character becomes U+FFFD, so strict JSON readers (and
 * people) always get text. Runs of plain characters are copied at once. */
static void
json_str(line_t *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* the marker and the closing quote always fit */
    size_t end = sizeof(l->d) - LINE_TAIL - 1 - (sizeof(CUT_MARK) - 1);
    bool cut = false;
    l->d[l->len++] = '"';
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (;;) {
        if (*p >= 0x80) {
            size_t cl = utf8_len(p);
            if (cl) {
                p += cl;
                continue;
            }
        } else if (*p && *p != '"' && *p != '\\' && *p >= 0x20) {
            p++;
            continue;
        }
        size_t n = (size_t)(p - run);
        if (n > end - l->len) {
            n = end - l->len;
            while (n > 0 && (run[n] & 0xC0) == 0x80) /* not inside a UTF-8 character */
                n--;
            line_put(l, (const char *)run, n);
            cut = true;
            break;
        }
        line_put(l, (const char *)run, n);
        if (!*p)
            break;
        if (end - l->len < 6) {
            cut = true;
            break;
        }
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            line_put(l, e, 2);
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            line_put(l, e, 6);
        } else {
            line_put(l, REPLACEMENT, sizeof(REPLACEMENT) - 1);
        }
        run = ++p;
    }
    if (cut) {
        line_put(l, CUT_MARK, sizeof(CUT_MARK) - 1);
        l->cut = true;
    }
    l->d[l->len++] = '"';
}

/* Decimal digits of v (0..9999) with width w, zero-padded. */
static char *
put_digits(char *o, int v, int w)
{
    for (int i = w - 1; i >= 0; i--, v /= 10)
        o[i] = (char)('0' + v % 10);
    return o + w;
}

static void
put_long(line_t *l, long n)
{
    char t[24];
    size_t i = sizeof(t);
    unsigned long u = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
    do {
        t[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        t[--i] = '-';
    line_put(l, t + i, sizeof(t) - i);
}

/* The worker thread's batch (wx_log_batch_attach); a thread-local because wx_log is called from
 * every layer with no context to pass it in. */
static _Thread_local wx_log_batch_t *log_batch;

void
wx_log_batch_attach(wx_log_batch_t *b)
{
    log_batch = b;
}

/* Whole lines to stderr, one writer at a time. A single write(2) is atomic on a pipe only up to
 * PIPE_BUF bytes, and a line may be twice that: two threads' long lines would interleave (on a
 * pipe to journald, say) and make neither JSON. The lock is uncontended almost always: a worker
 * writes once per event-loop turn. A short write (a signal) is finished, not dropped. */
static pthread_mutex_t log_write_mu = PTHREAD_MUTEX_INITIALIZER;

static void
log_write(const char *p, size_t n)
{
    pthread_mutex_lock(&log_write_mu);
    while (n > 0) {
        ssize_t r = write(STDERR_FILENO, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* nowhere to log to: nothing else to do */
        p += r;
        n -= (size_t)r;
    }
    pthread_mutex_unlock(&log_write_mu);
}

void
wx_log_batch_flush(wx_log_batch_t *b)
{
    if (!b || !b->len)
        return;
    log_write(b->data, b->len);
    b->len = 0;
}

/* The whole line for wx_log and wx_log_format. */
static void
log_vformat(line_t *l, wx_log_level_t lvl, const char *event, va_list ap)
{
    static const char *lvls[] = {"debug", "info", "warn", "error"};
    l->len = 0;
    l->cut = false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    /* {"t":"2026-12-07T10:34:20.123Z","lvl": without printf */
    char t[48] = "{\"t\":\"";
    char *o = t + 6;
    o = put_digits(o, tm.tm_year + 1900, 4);
    *o++ = '-';
    o = put_digits(o, tm.tm_mon + 1, 2);
    *o++ = '-';
    o = put_digits(o, tm.tm_mday, 2);
    *o++ = 'T';
    o = put_digits(o, tm.tm_hour, 2);
    *o++ = ':';
    o = put_digits(o, tm.tm_min, 2);
    *o++ = ':';
    o = put_digits(o, tm.tm_sec, 2);
    *o++ = '.';
    o = put_digits(o, (int)(ts.tv_nsec / 1000000), 3);
    memcpy(o, "Z\",\"lvl\":\"", 10);
    o += 10;
    line_put(l, t, (size_t)(o - t));
    line_put(l, lvls[lvl], strlen(lvls[lvl]));
    line_put(l, "\",\"svc\":", 8);
    json_str(l, log_service);
    if (line_room(l) >= FIELD_MIN) { /* a service name of 8 KB has cut the line already */
        line_put(l, ",\"ev\":", 6);
        json_str(l, event);
    } else
        l->cut = true;
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v)
            continue;
        if (line_room(l) / 6 < strlen(k) + FIELD_MIN) {
            l->cut = true; /* full: the fields left are dropped */
            break;
        }
        line_put(l, ",", 1);
        long n;
        if (k[0] == '#') { /* numeric value, written bare when it is one */
            json_str(l, k + 1);
            line_put(l, ":", 1);
            if (wx_parse_long(v, -2147483647L, 2147483647L, &n))
                put_long(l, n);
            else
                json_str(l, v);
        } else {
            json_str(l, k);
            line_put(l, ":", 1);
            json_str(l, v);
        }
    }
    if (l->cut)
        line_put(l, CUT_TAIL, LINE_TAIL); /* always room for it */
    else
        line_put(l, "}\n", 2);
}

size_t
wx_log_format(char *out, wx_log_level_t lvl, const char *event, ...)
{
    line_t l;
    va_list ap;
    va_start(ap, event);
    log_vformat(&l, lvl, event, ap);
    va_end(ap);
    memcpy(out, l.d, l.len);
    return l.len;
}

void
wx_log(wx_log_level_t lvl, const char *event, ...)
{
    if (lvl < log_level)
        return;
    line_t l;
    va_list ap;
    va_start(ap, event);
    log_vformat(&l, lvl, event, ap);
    va_end(ap);
    wx_log_batch_t *b = log_batch;
    if (b && lvl < WX_LOG_WARN) {
        if (b->len + l.len > sizeof(b->data))
            wx_log_batch_flush(b);
        if (l.len <= sizeof(b->data)) {
            bool was_empty = b->len == 0;
            memcpy(b->data + b->len, l.d, l.len);
            b->len += l.len;
            if (was_empty && b->pending)
                b->pending(b->arg);
            return;
        }
    }
    wx_log_batch_flush(b); /* what this thread logged before goes first */
    log_write(l.d, l.len);
}
