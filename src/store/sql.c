/* The store's SQL (see sql.h). Portable on purpose: lower() for the case-insensitive search,
 * substr(x, length(x), 1) for "ends with", integers compared to integers. */
#include "sql.h"

#define POOL_COLS "id, name, token_ttl, alg, redirect_urls, created_at, updated_at, desktop_method"
#define OIDC_CODE_COLS                                                                             \
    "hash, pool_id, app_id, user_id, redirect_uri, code_challenge, nonce, scope, sid, "            \
    "auth_time, created_at, expires_at, used_at, access_jti, access_exp, family"
#define OIDC_REFRESH_COLS                                                                          \
    "hash, family, pool_id, app_id, user_id, scope, sid, auth_time, created_at, expires_at, "      \
    "rotated_at, revoked_at"
#define OIDC_SESSION_COLS "id, pool_id, user_id, auth_time, seen_at, expires_at, ended_at"
#define APP_COLS                                                                                   \
    "id, pool_id, name, redirect_urls, created_at, updated_at, secret, token_alg, public_client, " \
    "logout_urls, web_origins, access_ttl, id_ttl, refresh_ttl"
#define CONN_COLS                                                                                  \
    "pool_id, identifier, display_name, appid, app_secret, scope, callback_url, txt_filename, "    \
    "txt_content, created_at, updated_at, type, push_token, push_aes_key"
#define USER_FILTER                                                                                \
    "WHERE pool_id = $1 AND ($2 = '' OR lower(nickname) LIKE lower($3) ESCAPE '\\' OR id = $2 OR " \
    "EXISTS (SELECT 1 FROM identities i WHERE i.user_id = users.id AND "                           \
    "(i.openid = $2 OR i.unionid = $2)))"
#define AUDIT_FILTER                                                                               \
    "WHERE ($1 = '' OR pool_id = $1) AND ($2 = '' OR action = $2 OR "                              \
    "(substr($2, length($2), 1) = '.' AND substr(action, 1, length($2)) = $2)) AND "               \
    "($3 = '' OR actor = $3) AND ($4 = 0 OR at >= $4) AND ($5 = 0 OR at < $5)"
/* The two sub-selects give store_user_get the openid/unionid of the latest identity used. */
#define USER_COLS                                                                                  \
    "id, pool_id, username, nickname, photo, gender, country, province, city, last_ip, "           \
    "logins_count, last_login, created_at, updated_at, blocked, "                                  \
    "(SELECT i.openid FROM identities i WHERE i.user_id = users.id "                               \
    " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1), "                                            \
    "(SELECT i.unionid FROM identities i WHERE i.user_id = users.id "                              \
    " ORDER BY i.updated_at DESC, i.id DESC LIMIT 1)"
#define STATE_COLS                                                                                 \
    "id, pool_id, conn_identifier, app_id, redirect, browser, scope, options, created_at, "        \
    "expires_at, claimed_at, status, result, claim_owner, oidc, client_ip"
#define TICKET_COLS                                                                                \
    "id, pool_id, conn_identifier, app_id, redirect, scope, options, oidc, method, site, "         \
    "browser, client_ip, desktop_ip, desktop_ua, created_at, expires_at, status, phone_state, "    \
    "phone_browser, record, scanned_at, decided_at"
#define KEY_COLS "kid, alg, private_pem, created_at, retired_at, publish_until"

const char *const sql_text[STMT_COUNT] = {
    [STMT_MIGRATION_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
    [STMT_MIGRATION_APPLIED] = "SELECT name FROM schema_migrations WHERE version = $1",
    [STMT_MIGRATION_COUNT] = "SELECT count(*) FROM schema_migrations WHERE version <= $1",
    [STMT_MIGRATION_RECORD] =
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",

    [STMT_POOL_PUT] = "INSERT INTO pools (" POOL_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                      "ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                      "token_ttl = excluded.token_ttl, alg = excluded.alg, "
                      "redirect_urls = excluded.redirect_urls, updated_at = excluded.updated_at, "
                      "desktop_method = excluded.desktop_method",
    [STMT_POOL_GET] = "SELECT " POOL_COLS " FROM pools WHERE id = $1",
    [STMT_POOL_EXISTS] = "SELECT 1 FROM pools WHERE id = $1",

    [STMT_APP_PUT] = "INSERT INTO applications (" APP_COLS ") "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
                     "ON CONFLICT (id) DO UPDATE SET pool_id = excluded.pool_id, "
                     "name = excluded.name, redirect_urls = excluded.redirect_urls, "
                     "updated_at = excluded.updated_at, token_alg = excluded.token_alg, "
                     "public_client = excluded.public_client, "
                     "logout_urls = excluded.logout_urls, web_origins = excluded.web_origins, "
                     "access_ttl = excluded.access_ttl, id_ttl = excluded.id_ttl, "
                     "refresh_ttl = excluded.refresh_ttl, "
                     "secret = CASE excluded.secret WHEN '' THEN applications.secret "
                     "ELSE excluded.secret END",
    [STMT_APP_GET] = "SELECT " APP_COLS " FROM applications WHERE id = $1",

    [STMT_CONN_PUT] =
        "INSERT INTO connections (" CONN_COLS ") "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
        "ON CONFLICT (pool_id, identifier) DO UPDATE SET display_name = excluded.display_name, "
        "appid = excluded.appid, type = excluded.type, "
        "app_secret = CASE WHEN excluded.app_secret = '' THEN connections.app_secret "
        "ELSE excluded.app_secret END, "
        "scope = excluded.scope, callback_url = excluded.callback_url, "
        "txt_filename = excluded.txt_filename, txt_content = excluded.txt_content, "
        "updated_at = excluded.updated_at, push_token = excluded.push_token, "
        "push_aes_key = excluded.push_aes_key",
    [STMT_CONN_GET] =
        "SELECT " CONN_COLS " FROM connections WHERE pool_id = $1 AND identifier = $2",
    /* A phone's login never lands on a website app (qrconnect is a desktop page). */
    [STMT_CONN_DEFAULT] = "SELECT " CONN_COLS " FROM connections WHERE pool_id = $1 "
                          "ORDER BY (identifier = $2) DESC, (type = 'wechat_open'), created_at, id "
                          "LIMIT 1",
    [STMT_CONN_OF_TYPE] = "SELECT " CONN_COLS " FROM connections WHERE pool_id = $1 "
                          "AND type = $2 ORDER BY created_at, id LIMIT 1",
    [STMT_TXT_GET] = "SELECT txt_content FROM connections WHERE txt_filename = $1 "
                     "ORDER BY updated_at DESC, id DESC LIMIT 1",

    [STMT_IDENT_FIND] =
        "SELECT user_id, pool_id, unionid FROM identities WHERE appid = $1 AND openid = $2",
    [STMT_IDENT_PROFILE] = "SELECT raw_profile FROM identities WHERE appid = $1 AND openid = $2",
    [STMT_IDENT_BY_UNIONID] = "SELECT user_id FROM identities WHERE pool_id = $1 "
                              "AND unionid = $2 ORDER BY id LIMIT 1",
    [STMT_IDENT_INSERT] = "INSERT INTO identities (user_id, pool_id, provider, appid, openid, "
                          "unionid, raw_profile, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    [STMT_IDENT_UPDATE] =
        "UPDATE identities SET provider = CASE WHEN $3 = '' THEN provider ELSE $3 END, "
        "unionid = CASE WHEN $4 = '' THEN unionid ELSE $4 END, "
        "raw_profile = CASE WHEN $5 = '' THEN raw_profile ELSE $5 END, updated_at = $6 "
        "WHERE appid = $1 AND openid = $2",
    /* The same without unionid, and only when something changed: an UPDATE rewrites the index
     * entries of every column it names, even to the same value, and any row it touches dirties a
     * page; a returning user's profile is usually what it was (issue #10: disk per login). So
     * the identity's updated_at is when its data last changed. */
    [STMT_IDENT_TOUCH] =
        "UPDATE identities SET provider = CASE WHEN $3 = '' THEN provider ELSE $3 END, "
        "raw_profile = CASE WHEN $4 = '' THEN raw_profile ELSE $4 END, updated_at = $5 "
        "WHERE appid = $1 AND openid = $2 "
        "AND (($3 != '' AND provider != $3) OR ($4 != '' AND raw_profile != $4))",

    [STMT_USER_BLOCKED] = "SELECT blocked FROM users WHERE id = $1",
    [STMT_USER_POOL_OF] = "SELECT pool_id FROM users WHERE id = $1",
    [STMT_USER_IMPORT] =
        "INSERT INTO users (id, pool_id, username, nickname, photo, gender, country, province, "
        "city, logins_count, last_login, created_at, updated_at, blocked) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    [STMT_USERNAME_TAKEN] = "SELECT 1 FROM users WHERE pool_id = $1 AND username = $2",
    [STMT_USER_INSERT] = "INSERT INTO users (id, pool_id, username, created_at, updated_at) "
                         "VALUES ($1, $2, $3, $4, $4)",
    [STMT_USER_LOGIN] = "UPDATE users SET nickname = CASE WHEN $2 = '' THEN nickname ELSE $2 END, "
                        "photo = CASE WHEN $3 = '' THEN photo ELSE $3 END, "
                        "gender = CASE WHEN $4 = '' THEN gender ELSE $4 END, "
                        "country = CASE WHEN $5 = '' THEN country ELSE $5 END, "
                        "province = CASE WHEN $6 = '' THEN province ELSE $6 END, "
                        "city = CASE WHEN $7 = '' THEN city ELSE $7 END, "
                        "last_ip = CASE WHEN $8 = '' THEN last_ip ELSE $8 END, "
                        "logins_count = logins_count + 1, last_login = $9, updated_at = $9 "
                        "WHERE id = $1",
    [STMT_USER_GET] = "SELECT " USER_COLS " FROM users WHERE pool_id = $1 AND id = $2",
    [STMT_USER_SET_BLOCKED] =
        "UPDATE users SET blocked = $3, updated_at = $4 WHERE pool_id = $1 AND id = $2",
    [STMT_USER_COUNT] = "SELECT count(*) FROM users WHERE pool_id = $1",

    [STMT_STATE_CREATE] =
        "INSERT INTO login_states (" STATE_COLS ") "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, '', '', $11, $12)",
    [STMT_STATE_GET] = "SELECT " STATE_COLS " FROM login_states WHERE id = $1",
    [STMT_STATE_STATUS] = "SELECT status FROM login_states WHERE id = $1",
    [STMT_STATE_CLAIM] = "UPDATE login_states SET status = 1, claimed_at = $2, claim_owner = $3 "
                         "WHERE id = $1 AND status = 0",
    [STMT_STATE_FINISH] =
        "UPDATE login_states SET status = 2, result = $2 WHERE id = $1 AND status = 1",
    [STMT_STATE_PRUNE] = "DELETE FROM login_states WHERE expires_at < $1 AND claimed_at + $2 < $1",
    /* Pending states (not yet back from WeChat, not expired), counted no further than the
     * limit: the partial index login_states_pending holds only pending rows. The unary + keeps
     * SQLite's planner off login_states_expires (every unexpired row, finished ones too). */
    /* A finished login's outcome is read only within the replay window after its claim. */
    [STMT_STATE_RESULTS_CLEAR] = "UPDATE login_states SET result = '' WHERE result != '' "
                                 "AND claimed_at > 0 AND claimed_at < $1",
    [STMT_STATE_PENDING_IP] = "SELECT count(*) FROM (SELECT 1 FROM login_states WHERE "
                              "client_ip = $1 AND status = 0 AND expires_at > $2 LIMIT $3) AS t",
    [STMT_STATE_PENDING_ALL] = "SELECT count(*) FROM (SELECT 1 FROM login_states WHERE "
                               "status = 0 AND +expires_at > $1 LIMIT $2) AS t",

    [STMT_TICKET_CREATE] = "INSERT INTO desktop_tickets (" TICKET_COLS ") VALUES ($1, $2, $3, $4, "
                           "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, '', '', '', "
                           "0, 0)",
    [STMT_TICKET_GET] = "SELECT " TICKET_COLS " FROM desktop_tickets WHERE id = $1",
    /* Each change names the status it expects, so of two connections racing only one wins. */
    [STMT_TICKET_SCAN] =
        "UPDATE desktop_tickets SET status = 1, phone_state = $2, phone_browser = $3, "
        "record = $4, scanned_at = $5, expires_at = $6 WHERE id = $1 AND status = 0",
    [STMT_TICKET_DECIDE] = "UPDATE desktop_tickets SET status = $2, decided_at = $3 "
                           "WHERE id = $1 AND status = 1",
    [STMT_TICKET_COMPLETE] = "UPDATE desktop_tickets SET status = $2, record = $3, decided_at = $4 "
                             "WHERE id = $1 AND status IN (0, 1)",
    [STMT_TICKET_TAKE] = "UPDATE desktop_tickets SET status = 4 WHERE id = $1 AND status = 2",
    [STMT_TICKET_PENDING_IP] = "SELECT count(*) FROM (SELECT 1 FROM desktop_tickets WHERE "
                               "client_ip = $1 AND status = 0 AND expires_at > $2 LIMIT $3) AS t",
    [STMT_TICKET_PENDING_ALL] = "SELECT count(*) FROM (SELECT 1 FROM desktop_tickets WHERE "
                                "status = 0 AND +expires_at > $1 LIMIT $2) AS t",
    [STMT_TICKET_PRUNE] = "DELETE FROM desktop_tickets WHERE expires_at < $1 AND decided_at < $1",

    [STMT_KEY_ADD] = "INSERT INTO signing_keys (" KEY_COLS ") VALUES ($1, $2, $3, $4, $5, $6)",
    [STMT_KEY_RETIRE] = "UPDATE signing_keys SET retired_at = $2, publish_until = $3 "
                        "WHERE alg = $1 AND retired_at = 0",
    [STMT_POOL_MAX_TTL] = "SELECT COALESCE(MAX(token_ttl), 0) FROM pools",
    [STMT_REVOKE] = "INSERT INTO revocations (jti, expires_at, revoked_at) VALUES ($1, $2, $3) "
                    "ON CONFLICT (jti) DO NOTHING",
    [STMT_IS_REVOKED] = "SELECT 1 FROM revocations WHERE jti = $1",
    [STMT_REVOCATION_PRUNE] = "DELETE FROM revocations WHERE expires_at < $1",
    [STMT_KEY_CURRENT] = "SELECT " KEY_COLS " FROM signing_keys WHERE alg = $1 "
                         "AND retired_at = 0 ORDER BY created_at DESC, id DESC LIMIT 1",
    [STMT_KEY_EACH] = "SELECT " KEY_COLS " FROM signing_keys ORDER BY created_at DESC, id DESC",

    [STMT_POOL_LIST] = "SELECT " POOL_COLS " FROM pools ORDER BY id",
    [STMT_POOL_DELETE] = "DELETE FROM pools WHERE id = $1",
    [STMT_APP_LIST] = "SELECT " APP_COLS " FROM applications WHERE pool_id = $1 ORDER BY id",
    [STMT_APP_DELETE] = "DELETE FROM applications WHERE id = $1",
    [STMT_CONN_LIST] =
        "SELECT " CONN_COLS " FROM connections WHERE pool_id = $1 ORDER BY created_at, id",
    [STMT_CONN_DELETE] = "DELETE FROM connections WHERE pool_id = $1 AND identifier = $2",
    [STMT_USER_LIST] = "SELECT " USER_COLS " FROM users " USER_FILTER
                       " ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
    [STMT_USER_LIST_COUNT] = "SELECT count(*) FROM users " USER_FILTER,
    [STMT_USER_IDENTITIES] = "SELECT provider, appid, openid, unionid, created_at, updated_at "
                             "FROM identities WHERE user_id = $1 ORDER BY created_at, id",
    [STMT_USER_DELETE] = "DELETE FROM users WHERE pool_id = $1 AND id = $2",
    [STMT_USER_REVOKE_TOKENS] =
        "UPDATE users SET tokens_valid_after = $3 WHERE pool_id = $1 AND id = $2",
    /* Valid: jti not revoked, and the user still exists, is not blocked, and the token was
     * issued after the last revoke-all (same second counts as before: refuse when unsure). */
    [STMT_TOKEN_REVOKED] =
        "SELECT EXISTS (SELECT 1 FROM revocations WHERE jti = $1) OR NOT EXISTS (SELECT 1 FROM "
        "users WHERE pool_id = $2 AND id = $3 AND blocked = 0 AND tokens_valid_after < $4)",
    [STMT_AUDIT_LIST] = "SELECT id, at, pool_id, actor, action, subject, outcome FROM "
                        "audit_events " AUDIT_FILTER " ORDER BY id DESC LIMIT $6 OFFSET $7",
    [STMT_AUDIT_LIST_COUNT] = "SELECT count(*) FROM audit_events " AUDIT_FILTER,
    [STMT_AUDIT_ADD] = "INSERT INTO audit_events (at, pool_id, actor, action, subject, outcome) "
                       "VALUES ($1, $2, $3, $4, $5, $6)",
    [STMT_AUDIT_COUNT] = "SELECT count(*) FROM audit_events WHERE action = $1",
    /* Logins of a pool per hour and outcome (the audit row every login end writes). */
    [STMT_LOGIN_STATS] = "SELECT at / 3600, outcome, count(*) FROM audit_events "
                         "WHERE pool_id = $1 AND action = 'login' AND at >= $2 "
                         "GROUP BY at / 3600, outcome ORDER BY at / 3600, outcome",

    [STMT_NODE_SEEN] = "INSERT INTO nodes (id, host, pid, started_at, seen_at) "
                       "VALUES ($1, $2, $3, $4, $4) "
                       "ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
    [STMT_NODE_GET] = "SELECT id, host, pid, started_at, seen_at FROM nodes WHERE id = $1",
    [STMT_NODE_PRUNE] = "DELETE FROM nodes WHERE seen_at < $1",

    [STMT_OIDC_CODE_ADD] = "INSERT INTO oidc_codes (" OIDC_CODE_COLS ") VALUES ($1, $2, $3, $4, "
                           "$5, $6, $7, $8, $9, $10, $11, $12, 0, '', 0, '')",
    [STMT_OIDC_CODE_GET] = "SELECT " OIDC_CODE_COLS " FROM oidc_codes WHERE hash = $1",
    [STMT_OIDC_CODE_USE] = "UPDATE oidc_codes SET used_at = $2 WHERE hash = $1 AND used_at = 0",
    [STMT_OIDC_CODE_ISSUED] =
        "UPDATE oidc_codes SET access_jti = $2, access_exp = $3, family = $4 WHERE hash = $1",
    [STMT_OIDC_REFRESH_ADD] = "INSERT INTO oidc_refresh (" OIDC_REFRESH_COLS ") VALUES ($1, $2, "
                              "$3, $4, $5, $6, $7, $8, $9, $10, 0, 0)",
    [STMT_OIDC_REFRESH_GET] = "SELECT " OIDC_REFRESH_COLS " FROM oidc_refresh WHERE hash = $1",
    [STMT_OIDC_REFRESH_ROTATE] =
        "UPDATE oidc_refresh SET rotated_at = $2 WHERE hash = $1 AND rotated_at = 0",
    [STMT_OIDC_FAMILY_REVOKE] =
        "UPDATE oidc_refresh SET revoked_at = $2 WHERE family = $1 AND revoked_at = 0",
    [STMT_OIDC_SESSION_ADD] = "INSERT INTO oidc_sessions (" OIDC_SESSION_COLS ") "
                              "VALUES ($1, $2, $3, $4, $5, $6, 0)",
    [STMT_OIDC_SESSION_GET] = "SELECT " OIDC_SESSION_COLS " FROM oidc_sessions WHERE id = $1",
    [STMT_OIDC_SESSION_SEEN] = "UPDATE oidc_sessions SET seen_at = $2 WHERE id = $1",
    [STMT_OIDC_SESSION_END] =
        "UPDATE oidc_sessions SET ended_at = $2 WHERE id = $1 AND ended_at = 0",
    [STMT_OIDC_PRUNE_CODES] = "DELETE FROM oidc_codes WHERE expires_at < $1",
    [STMT_OIDC_PRUNE_REFRESH] = "DELETE FROM oidc_refresh WHERE expires_at < $1",
    [STMT_OIDC_PRUNE_SESSIONS] = "DELETE FROM oidc_sessions WHERE expires_at < $1",

    /* Follow to log in (issue 15): the shared account access token, pushes seen. */
    [STMT_WXTOKEN_GET] = "SELECT token, expires_at FROM wechat_tokens WHERE appid = $1",
    [STMT_WXTOKEN_PUT] = "INSERT INTO wechat_tokens (appid, token, expires_at, updated_at) "
                         "VALUES ($1, $2, $3, $4) ON CONFLICT (appid) DO UPDATE SET "
                         "token = excluded.token, expires_at = excluded.expires_at, "
                         "updated_at = excluded.updated_at "
                         /* a slow fetch never replaces a newer token (a forced refresh) */
                         "WHERE excluded.expires_at >= wechat_tokens.expires_at",
    [STMT_PUSH_SEEN] = "INSERT INTO push_seen (key, expires_at) VALUES ($1, $2) "
                       "ON CONFLICT (key) DO NOTHING",
    [STMT_PUSH_PRUNE] = "DELETE FROM push_seen WHERE expires_at < $1",
};
