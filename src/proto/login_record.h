/* How a successful login is remembered on its state (issue #10). The user, the identity and
 * the state's end commit in one transaction, before the token is signed; so the state keeps
 * what the token and the user object are made of, not the finished redirect. A WebView that
 * loads the callback again gets the same login rebuilt from it: the same user, jti, iat and
 * exp (and, with RS256 or EdDSA, the very same token string). Errors are kept as their
 * redirect URL; a record never starts with a URL scheme, so the two cannot be confused. */
#ifndef WX_PROTO_LOGIN_RECORD_H
#define WX_PROTO_LOGIN_RECORD_H

#include "../store/store.h"

#define LOGIN_RECORD_PREFIX "wxauth-login:1 "

typedef struct {
    char user_id[STORE_ID_MAX];
    char openid[STORE_OPENID_MAX];
    char unionid[STORE_OPENID_MAX]; /* "" when none */
    char jti[32];
    int64_t iat, exp;
    bool created; /* the login made the user */
} login_record_t;

bool login_record_is(const char *s);
/* Into out (size n); false when it does not fit or a field has a space in it. */
bool login_record_format(const login_record_t *rec, char *out, size_t n);
/* false when s is not a well-formed record. */
bool login_record_parse(const char *s, login_record_t *out);

#endif
