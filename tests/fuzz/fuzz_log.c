/* Fuzz driver: the log line writer (src/util/log.c). Whatever the values hold, a line is one
 * JSON object of valid UTF-8 (jansson checks both, strictly) ending in its only newline, at most
 * WX_LOG_LINE_MAX bytes; a short value of valid UTF-8 comes back unchanged. The input is split
 * at 0xFF bytes into up to four values (0xFF never occurs in UTF-8). */
#include <jansson.h>

#include "fuzz.h"
#include "util/log.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    char *v[4] = {s, NULL, NULL, NULL};
    for (size_t i = 1; i < 4; i++)
        v[i] = fuzz_split(v[i - 1], '\xff');
    static char line[WX_LOG_LINE_MAX];
    size_t n =
        wx_log_format(line, WX_LOG_INFO, "fuzz", "a", v[0], "#n", v[1], "b", v[2], "c", v[3], NULL);
    FUZZ_CHECK(n >= 2 && n <= WX_LOG_LINE_MAX && line[n - 1] == '\n');
    FUZZ_CHECK(memchr(line, '\n', n - 1) == NULL);
    json_error_t e;
    json_t *j = json_loadb(line, n - 1, JSON_REJECT_DUPLICATES, &e);
    FUZZ_CHECK(json_is_object(j));
    /* the first value, when short, NUL-free and valid UTF-8, comes back as it was */
    size_t l0 = strlen(v[0]);
    json_t *a = json_object_get(j, "a");
    FUZZ_CHECK(json_is_string(a));
    if (l0 < 1000) {
        json_t *probe = json_stringn(v[0], l0); /* NULL: not valid UTF-8 */
        if (probe)
            FUZZ_CHECK(strcmp(json_string_value(a), v[0]) == 0);
        json_decref(probe);
    }
    json_decref(j);
    free(s);
    return 0;
}
