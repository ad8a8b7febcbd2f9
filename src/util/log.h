/* JSON-lines event log on stderr. One line per event; fields are given as key/value pairs so
 * values are always JSON-escaped. Never pass a secret, a WeChat code or a token. */
#ifndef WX_LOG_H
#define WX_LOG_H

#include "wx.h"

typedef enum { WX_LOG_DEBUG = 0, WX_LOG_INFO, WX_LOG_WARN, WX_LOG_ERROR } wx_log_level_t;

void wx_log_set_level(wx_log_level_t lvl);
bool wx_log_parse_level(const char *s, wx_log_level_t *out);
/* Set the "svc" field of every line (e.g. "wxauthd", "emulator"). */
void wx_log_set_service(const char *svc);
/* wx_log(level, "event", "key1", "value1", "key2", "value2", ..., NULL). Values are strings;
 * use wx_log_kv_int for numbers via the "#" prefix on the key: "#status", "302". */
void wx_log(wx_log_level_t lvl, const char *event, ...) __attribute__((sentinel));

/* Every line is one JSON object of valid UTF-8 ending in "\n", whatever the values hold:
 * control characters are escaped, each byte that is not part of a well-formed UTF-8 character
 * becomes U+FFFD, and a line that would pass WX_LOG_LINE_MAX bytes has the value that does not
 * fit cut at a character boundary and ended with U+2026 ("…"), the fields after it dropped, and
 * "log_cut":true as its last member. */
#define WX_LOG_LINE_MAX 8192

/* The line wx_log would write, into out (at least WX_LOG_LINE_MAX bytes), whatever the level;
 * returns its length. For tests and the log fuzzer. */
size_t wx_log_format(char *out, wx_log_level_t lvl, const char *event, ...)
    __attribute__((sentinel));

/* A worker thread's lines below WX_LOG_WARN, gathered and written together: one write(2) per
 * event-loop turn instead of one per line (the access line's write was ~7 % of a /auth/check).
 * At most PIPE_BUF bytes, so a batch written to a pipe never interleaves with another thread's
 * lines. Warnings and errors are written at once, after the lines batched before them. */
#define WX_LOG_BATCH_MAX 4096

typedef struct {
    char data[WX_LOG_BATCH_MAX];
    size_t len;
    /* Called when the batch stops being empty: the owner schedules wx_log_batch_flush, e.g. at
     * the end of the current event-loop turn. */
    void (*pending)(void *arg);
    void *arg;
} wx_log_batch_t;

/* The calling thread's lines go to b from now on (NULL: each written at once again). */
void wx_log_batch_attach(wx_log_batch_t *b);
/* Write what b holds with one write(2). */
void wx_log_batch_flush(wx_log_batch_t *b);

#endif
