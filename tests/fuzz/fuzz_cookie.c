/* Fuzz driver: the Cookie header reader (http_cookie_get, src/http/server.c). The input is the
 * header's value; the value found must fit its buffer and come from the header. */
#include "fuzz.h"
#include "http/server.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"wxauth_bind", "__Host-wxauth_bind", "wxauth_admin", "a",
                                        ""};
    char *h = fuzz_str(data, size);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char small[44], big[4096];
        if (http_cookie_get(h, names[i], small, sizeof(small)))
            FUZZ_CHECK(strlen(small) < sizeof(small) && strstr(h, small) != NULL);
        if (http_cookie_get(h, names[i], big, sizeof(big)))
            FUZZ_CHECK(strstr(h, big) != NULL);
    }
    free(h);
    return 0;
}
