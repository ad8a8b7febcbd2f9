/* Application (client) authentication for the OAuth endpoints. */
#ifndef WX_HANDLE_CLIENT_AUTH_H
#define WX_HANDLE_CLIENT_AUTH_H

#include "ctx.h"

typedef enum {
    CLIENT_AUTH_OK,
    CLIENT_AUTH_NONE,   /* no credentials were given */
    CLIENT_AUTH_DENIED, /* credentials given and wrong (unknown app, bad secret, malformed) */
} client_auth_t;

/* On CLIENT_AUTH_OK, app holds the application (its secret wiped). */
client_auth_t client_authenticate(worker_ctx_t *ctx, http_req_t *r, const wx_query_t *form,
                                  store_app_t *app);

#endif
