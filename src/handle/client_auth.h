/* Application (client) authentication for the OAuth endpoints. */
#ifndef WX_HANDLE_CLIENT_AUTH_H
#define WX_HANDLE_CLIENT_AUTH_H

#include "ctx.h"

typedef enum {
    CLIENT_AUTH_OK,
    CLIENT_AUTH_NONE,   /* no credentials were given */
    CLIENT_AUTH_DENIED, /* credentials given and wrong (unknown app, bad secret, malformed) */
    CLIENT_AUTH_ERROR,  /* the store could not say */
    CLIENT_AUTH_PUBLIC, /* client_id alone, of a public client ("none"; client_authenticate_public)
                         */
} client_auth_t;

/* Called on the request's loop, maybe before client_authenticate returns. On CLIENT_AUTH_OK,
 * app holds the application (its secret wiped); otherwise it may be NULL. */
typedef void (*client_auth_cb)(http_req_t *r, client_auth_t res, const store_app_t *app, void *arg);

/* The application is read off the loop (handle/reads.h). form must live until cb. */
void client_authenticate(http_req_t *r, const wx_query_t *form, client_auth_cb cb, void *arg);
/* The same, and a public client (store_app_t.public_client) may name itself with client_id
 * alone, no secret anywhere (token_endpoint_auth_method "none", as authing-js-sdk's
 * introspectToken sends it): CLIENT_AUTH_PUBLIC with its app. A confidential client's id
 * alone is CLIENT_AUTH_DENIED. */
void client_authenticate_public(http_req_t *r, const wx_query_t *form, client_auth_cb cb,
                                void *arg);

#endif
