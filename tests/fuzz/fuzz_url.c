/* Fuzz driver: percent-decoding, query strings and request targets (src/util/url.c). Also
 * checks that decoding what wx_url_encode wrote gives the input back. */
#include "fuzz.h"
#include "util/url.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    char *out = NULL;
    if (wx_url_decode((const char *)data, size, true, &out) == WX_OK)
        free(out);
    out = NULL;
    if (wx_url_decode((const char *)data, size, false, &out) == WX_OK) {
        FUZZ_CHECK(strlen(out) <= size);
        free(out);
    }
    wx_query_t q = {0};
    wx_err_t err = {0};
    if (wx_query_parse(s, &q, &err) == WX_OK) {
        FUZZ_CHECK(q.count <= WX_QUERY_MAX_PARAMS);
        for (size_t i = 0; i < q.count; i++)
            FUZZ_CHECK(wx_query_get(&q, q.params[i].key) != NULL);
        wx_query_free(&q);
    }
    char *path = NULL, *query = NULL;
    if (wx_target_split(s, &path, &query, &err) == WX_OK) {
        FUZZ_CHECK(path != NULL);
        FUZZ_CHECK(strstr(path, "//") == NULL);
    }
    free(path);
    free(query);
    /* encode then decode: the same string */
    wx_buf_t b;
    wx_buf_init(&b, 6 * size + 64);
    if (wx_url_encode(&b, s) == WX_OK) {
        out = NULL;
        FUZZ_CHECK(wx_url_decode(wx_buf_str(&b), b.len, false, &out) == WX_OK);
        FUZZ_CHECK(strcmp(out, s) == 0);
        free(out);
    }
    /* s as a URL given a parameter: the query gets it, any fragment stays last */
    wx_buf_reset(&b);
    if (wx_buf_puts(&b, s) == WX_OK && wx_url_add_param(&b, "state", s) == WX_OK) {
        const char *u = wx_buf_str(&b), *hash = strchr(s, '#');
        if (hash)
            FUZZ_CHECK(strcmp(u + b.len - strlen(hash), hash) == 0);
    }
    wx_buf_free(&b);
    free(s);
    return 0;
}
