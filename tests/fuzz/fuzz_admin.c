/* Fuzz driver: the admin API's JSON bodies (src/proto/admin_input.c) applied to a pool, an app
 * and a connection, then shown again. A body the rules accept leaves NUL-terminated fields and
 * no error; one they refuse names at least one member. A record shown never holds a secret. */
#include "fuzz.h"
#include "proto/admin_input.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!in)
        return 0;
    store_pool_t *p = calloc(1, sizeof(*p));
    store_app_t *a = calloc(1, sizeof(*a));
    store_conn_t *c = calloc(1, sizeof(*c));
    json_t *errors = json_object();
    if (!p || !a || !c || !errors)
        abort();
    bool ok = admin_pool_apply(in, p, errors);
    FUZZ_CHECK(ok == (json_object_size(errors) == 0));
    json_t *shown = admin_pool_json(p);
    json_decref(shown);
    json_object_clear(errors);
    ok = admin_app_apply(in, a, errors);
    FUZZ_CHECK(ok == (json_object_size(errors) == 0));
    shown = admin_app_json(a);
    json_decref(shown);
    json_object_clear(errors);
    char secret[256];
    ok = admin_conn_apply(in, c, true, secret, sizeof(secret), errors);
    FUZZ_CHECK(ok == (json_object_size(errors) == 0));
    shown = admin_conn_json(c, "https://id.example.com");
    if (shown) { /* only whether a secret is set, never the secret */
        const char *st = json_string_value(json_object_get(shown, "app_secret"));
        FUZZ_CHECK(st && (strcmp(st, "set") == 0 || strcmp(st, "not set") == 0));
    }
    json_decref(shown);
    json_decref(errors);
    json_decref(in);
    free(p);
    free(a);
    free(c);
    return 0;
}
