/* A user exported from Authing (its ManagementClient / console export: v2 `User` or v3 shape)
 * turned into what store_user_import needs. Pure rules, no I/O: the admin API and its tests
 * share them. */
#ifndef WX_PROTO_USER_IMPORT_H
#define WX_PROTO_USER_IMPORT_H

#include <jansson.h>

#include "../store/store.h"

/* Fills out from u. Strings point into u (keep it alive) or are literals; appid and provider
 * are the connection's; now is the import's time. On a bad entry returns false with a reason
 * in why (n bytes) naming the field. Accepted fields:
 *   id | _id | userId            kept as the user id (so tokens' sub stays the same)
 *   openid | identities[].userIdInIdp | identities[].openid   of a WeChat identity (required)
 *   unionid (Authing repeats the openid when WeChat gave none: then none)
 *   username, nickname, photo, gender (M/F/U; anything else U), country, province, city,
 *   loginsCount, lastLogin, createdAt | signedUp (ISO 8601 text, or seconds / milliseconds),
 *   blocked (bool) | status ("Suspended" or "Deactivated": blocked). Others are ignored. */
bool user_import_from_authing(const json_t *u, const char *pool_id, const char *provider,
                              const char *appid, int64_t now, store_user_import_t *out, char *why,
                              size_t n);

/* "2022-05-31T08:11:26.000Z" (or "+08:00") or a number of seconds or milliseconds as unix
 * seconds; false when it is neither. */
bool user_import_time(const json_t *v, int64_t *out);

#endif
