/* Authing-compatible results (authing-compat.md §2–§4): the user object the business callback
 * receives in `data`, the token claims, and the final redirect with code/message/data. */
#ifndef WX_PROTO_AUTHING_H
#define WX_PROTO_AUTHING_H

#include <jansson.h>

#include "../store/store.h"
#include "../util/buf.h"

/* Result codes on the business callback (docs/api.md). WeChat errcodes pass through as-is. */
enum {
    AUTHING_CODE_OK = 200,
    AUTHING_CODE_DENIED = 1001,       /* the user refused on WeChat's consent page */
    AUTHING_CODE_EXPIRED = 1002,      /* the login link expired */
    AUTHING_CODE_WECHAT_DOWN = 1004,  /* WeChat timed out, failed or was unreachable */
    AUTHING_CODE_BLOCKED = 1006,      /* the user is blocked in this pool */
    AUTHING_CODE_SNAPSHOT = 1007,     /* a snapshot-page (virtual) user: open the full page */
    AUTHING_CODE_NOT_FOLLOWER = 1008, /* desktop phone pages only: another user's confirm link */
    AUTHING_CODE_INTERNAL = 500,
};

typedef struct {
    const store_user_t *user;
    const char *provider;    /* connection identifier */
    const char *raw_profile; /* sns/userinfo JSON, or NULL for snsapi_base */
    const char *token;
    int64_t token_exp;
    bool with_identities;
    const char *appid; /* WeChat appid of the identity (identities list) */
} authing_user_args_t;

/* The `data` object: a superset of Authing's v1 user and v2 User shapes. */
json_t *authing_user_json(const authing_user_args_t *a);

/* Claims of the identity token (OIDC id_token shape, Authing's null-valued profile claims). */
json_t *authing_token_claims(const store_user_t *u, const char *issuer, const char *audience,
                             int64_t iat, int64_t exp, const char *jti);

/* Append ?code=..&message=..[&data=..] to the business callback URL in out. */
wx_status_t authing_result_url(wx_buf_t *out, const char *callback, int code, const char *message,
                               const json_t *data);

#endif
