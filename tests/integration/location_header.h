/* The value of a "Location:" header line as libcurl hands it to a header callback: shared by
 * the test harnesses and the benchmark's driver (bench/loadgen.c), which follow redirects by
 * hand. Header-only, no test framework. */
#ifndef WXT_LOCATION_HEADER_H
#define WXT_LOCATION_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

/* When line (len bytes, CRLF included) is a Location header, point *value at its value and set
 * *vlen (leading spaces and the line end left out) and return true. */
static inline bool
wxt_location_header(const char *line, size_t len, const char **value, size_t *vlen)
{
    if (len <= 9 || strncasecmp(line, "Location:", 9) != 0)
        return false;
    const char *v = line + 9;
    while (v < line + len && *v == ' ')
        v++;
    size_t n = len - (size_t)(v - line);
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    *value = v;
    *vlen = n;
    return true;
}

#endif
