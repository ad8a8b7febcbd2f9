/* Readable output: aligned tables of JSON rows, and "key: value" blocks for one object.
 * Widths count display columns, so Chinese nicknames (two columns a character) line up. Long
 * cells are cut with "…" so one odd value cannot push a table off the screen; --json shows
 * everything. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "util/wx.h"

#define CELL_MAX 512
#define CELL_COLS 48 /* widest a cell may be shown */

/* One UTF-8 sequence at s: its code point and length (invalid bytes count as one column). */
static size_t
utf8_next(const unsigned char *s, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 1;
    unsigned v = n == 2 ? s[0] & 0x1F : n == 3 ? s[0] & 0x0F : s[0] & 0x07;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = n == 1 ? 0xFFFD : v;
    return (size_t)n;
}

/* East Asian wide and fullwidth ranges, and emoji: two columns. */
static int
cp_width(unsigned cp)
{
    if (cp < 0x1100)
        return 1;
    if ((cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
        (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
        (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
        (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
        return 2;
    return 1;
}

size_t
cli_width(const char *s)
{
    size_t w = 0;
    unsigned cp;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        p += utf8_next(p, &cp);
        w += (size_t)cp_width(cp);
    }
    return w;
}

/* Cut s to at most cols display columns, ending in "…" when cut. */
static void
clip(char *s, size_t cols)
{
    size_t w = 0;
    unsigned cp;
    unsigned char *p = (unsigned char *)s;
    if (cli_width(s) <= cols)
        return;
    while (*p) {
        size_t l = utf8_next(p, &cp);
        if (w + (size_t)cp_width(cp) > cols - 1)
            break;
        w += (size_t)cp_width(cp);
        p += l;
    }
    memcpy(p, "\xE2\x80\xA6", 4); /* … */
}

static bool
is_time_key(const char *key)
{
    size_t n = strlen(key);
    return (n > 3 && strcmp(key + n - 3, "_at") == 0) || strcmp(key, "at") == 0 ||
           strcmp(key, "last_login") == 0 || strcmp(key, "publish_until") == 0;
}

void
cli_cell(const char *key, const json_t *v, char *out, size_t n)
{
    out[0] = '\0';
    if (!v || json_is_null(v)) {
        wx_strlcpy(out, "-", n);
    } else if (json_is_string(v)) {
        wx_strlcpy(out, json_string_value(v)[0] ? json_string_value(v) : "-", n);
    } else if (json_is_boolean(v)) {
        wx_strlcpy(out, json_is_true(v) ? "yes" : "no", n);
    } else if (json_is_integer(v) && key && is_time_key(key)) {
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        if (t <= 0 || !gmtime_r(&t, &tm) || strftime(out, n, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
            wx_strlcpy(out, "-", n);
    } else if (json_is_integer(v)) {
        wx_snprintf(out, n, "%lld", (long long)json_integer_value(v));
    } else if (json_is_array(v)) {
        size_t i, len = 0;
        const json_t *e;
        json_array_foreach(v, i, e)
        {
            char one[CELL_MAX];
            cli_cell(NULL, e, one, sizeof(one));
            if (!wx_snprintf(out + len, n - len, "%s%s", i ? ", " : "", one))
                break;
            len = strlen(out);
        }
        if (json_array_size(v) == 0)
            wx_strlcpy(out, "-", n);
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        wx_strlcpy(out, s ? s : "?", n);
        free(s);
    }
    for (char *p = out; *p; p++) /* one cell, one line */
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

static void
pad(size_t cols)
{
    for (size_t i = 0; i < cols; i++)
        putchar(' ');
}

void
cli_table(const cli_col_t *cols, size_t ncols, const json_t *rows)
{
    size_t nrows = json_array_size(rows), width[16] = {0};
    if (nrows == 0) {
        puts("(none)");
        return;
    }
    char(*cells)[CELL_MAX] = calloc(nrows * ncols + 1, CELL_MAX);
    if (!cells || ncols > 16) {
        free(cells);
        cli_print_json(rows);
        return;
    }
    for (size_t c = 0; c < ncols; c++)
        width[c] = cli_width(cols[c].head);
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            char *cell = cells[r * ncols + c];
            cli_cell(cols[c].key, json_object_get(json_array_get(rows, r), cols[c].key), cell,
                     CELL_MAX);
            clip(cell, CELL_COLS);
            if (cli_width(cell) > width[c])
                width[c] = cli_width(cell);
        }
    for (size_t c = 0; c < ncols; c++) {
        fputs(cols[c].head, stdout);
        if (c + 1 < ncols)
            pad(width[c] - cli_width(cols[c].head) + 2);
    }
    putchar('\n');
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const char *cell = cells[r * ncols + c];
            fputs(cell, stdout);
            if (c + 1 < ncols)
                pad(width[c] - cli_width(cell) + 2);
        }
        putchar('\n');
    }
    free(cells);
}

void
cli_kv(const json_t *obj, const char *const *keys)
{
    size_t w = 0;
    const char *key;
    json_t *v;
    char cell[CELL_MAX * 2];
    if (keys) {
        for (const char *const *k = keys; *k; k++)
            if (strlen(*k) > w)
                w = strlen(*k);
        for (const char *const *k = keys; *k; k++) {
            char label[80];
            wx_snprintf(label, sizeof(label), "%s:", *k);
            cli_cell(*k, json_object_get(obj, *k), cell, sizeof(cell));
            printf("%-*s %s\n", (int)w + 1, label, cell);
        }
        return;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        if (strlen(key) > w)
            w = strlen(key);
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        if (json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0)))
            continue; /* nested rows: the command prints them as a table */
        char label[80];
        wx_snprintf(label, sizeof(label), "%s:", key);
        cli_cell(key, v, cell, sizeof(cell));
        printf("%-*s %s\n", (int)w + 1, label, cell);
    }
}
