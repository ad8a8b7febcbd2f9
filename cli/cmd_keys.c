/* `wxauth keys …`: token signing keys (GET /keys, POST /keys/rotate). Private parts never
 * leave the server. */
#include <string.h>

#include "cli.h"

static const cli_col_t key_cols[] = {
    {"KID", "kid"},
    {"ALG", "alg"},
    {"STATE", "state"},
    {"CREATED", "created_at"},
    {"RETIRED", "retired_at"},
    {"PUBLISHED UNTIL", "publish_until"},
};

int
cli_keys_list(cli_t *c)
{
    return cli_list(c, "/keys", key_cols, WX_ARRAY_LEN(key_cols), "keys");
}

int
cli_keys_rotate(cli_t *c)
{
    json_t *res = NULL, *body = json_object();
    cli_body_str(c, body, "alg", "alg");
    int rc = cli_api(c, "POST", "/keys/rotate", body, &res);
    if (rc == CLI_OK) {
        if (c->json)
            cli_print_json(res);
        else
            printf("new %s signing key %s; the previous one stays in the JWKS until the tokens "
                   "it signed have expired\n",
                   json_string_value(json_object_get(res, "alg")),
                   json_string_value(json_object_get(res, "kid")));
    }
    json_decref(body);
    json_decref(res);
    return rc;
}
