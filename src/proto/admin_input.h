/* Admin input rules: JSON bodies of the admin API turned into store records, with one message
 * per bad field. The API, the CLI and the console all show these same messages. */
#ifndef WX_PROTO_ADMIN_INPUT_H
#define WX_PROTO_ADMIN_INPUT_H

#include <jansson.h>

#include "../store/store.h"

/* Identifier syntaxes. */
bool admin_valid_id(const char *s);         /* [A-Za-z0-9_-]{1,63} */
bool admin_valid_identifier(const char *s); /* [A-Za-z0-9:_.-]{1,64} */
bool admin_valid_appid(const char *s);      /* wx + 16 lowercase hex */
bool admin_valid_txt_name(const char *s);   /* MP_verify_<alnum>.txt */

/* Apply the members of in to *p (which holds the current record, or zeros when creating).
 * Unknown members and bad values add {member: message} to errors; returns true when none. */
bool admin_pool_apply(const json_t *in, store_pool_t *p, json_t *errors);
bool admin_app_apply(const json_t *in, store_app_t *a, json_t *errors);
/* app_secret, if given, goes to secret (plain, n bytes) for the caller to seal; the record's
 * app_secret is not touched. identifier may be given only when creating. */
bool admin_conn_apply(const json_t *in, store_conn_t *c, bool creating, char *secret, size_t n,
                      json_t *errors);

/* push_token and encoding_aes_key, if given ("" clears), go plain to token / aes for the
 * caller to seal; *_given say which were in the body. */
bool admin_conn_push_apply(const json_t *in, char *token, size_t tn, bool *token_given, char *aes,
                           size_t an, bool *aes_given, json_t *errors);

/* Records as the API shows them: never a secret, only whether one is set. A connection also
 * shows txt_url (where its verification file is served) and wechat_redirect_uri (where
 * WeChat sends the browser back) when public_url is given. */
json_t *admin_pool_json(const store_pool_t *p);
json_t *admin_app_json(const store_app_t *a);
json_t *admin_conn_json(const store_conn_t *c, const char *public_url);
json_t *admin_user_json(const store_user_t *u);

#endif
