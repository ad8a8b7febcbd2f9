/* What the fuzz drivers share: libFuzzer's entry point, and a NUL-terminated copy of the input
 * (most of our parsers take C strings; the copy also gives ASan exact bounds). */
#ifndef WX_FUZZ_H
#define WX_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data[0..size) as a fresh string (a NUL inside ends it early, as it would for the parser). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Split s in place at the first byte c: returns the part after it, or "" when there is none. */
static inline char *
fuzz_split(char *s, char c)
{
    char *p = strchr(s, c);
    if (!p)
        return s + strlen(s);
    *p = '\0';
    return p + 1;
}

/* A failed property: abort so that libFuzzer (and the replay runner) report the input. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#endif
