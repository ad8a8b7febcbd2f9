/* Fuzz driver: the redirect allow-list (src/proto/redirect.c). The input is "pattern\nurl"; a
 * URL that a pattern matches must itself be a valid redirect target when the pattern is valid
 * (a star never stands for a dot segment or leaves its segment). */
#include "fuzz.h"
#include "proto/redirect.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *pattern = fuzz_str(data, size);
    char *list = fuzz_str(data, size); /* the whole input as a newline-separated list */
    char *url = fuzz_split(pattern, '\n');
    wx_err_t err = {0};
    bool pat_ok = redirect_validate_pattern(pattern, &err) == WX_OK;
    bool url_ok = redirect_validate_url(url, &err) == WX_OK;
    bool m = redirect_match(pattern, url);
    if (m && pat_ok)
        FUZZ_CHECK(url_ok);
    (void)redirect_list_match(list, url);
    char first[REDIRECT_URL_MAX + 1];
    if (redirect_list_first_plain(list, first, sizeof(first)))
        FUZZ_CHECK(strchr(first, '*') == NULL && strchr(first, '\n') == NULL);
    free(pattern);
    free(list);
    return 0;
}
