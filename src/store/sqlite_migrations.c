/* SQLite schema history. Append a new entry to change the schema; never edit one that has
 * shipped, since databases in the field have already applied it. Timestamps are INTEGER unix
 * seconds; lists (redirect_urls) are the newline-separated text the caller gave. Columns are
 * NOT NULL with '' or 0 for "none", so reads never meet NULL; the PostgreSQL twin
 * (pg_migrations.c) has the same shapes with BIGINT for every integer. */
#include "sqlite_migrations.h"

#include "../util/wx.h"

const db_migration_t sqlite_migrations[] = {
    {1, "init",
     "CREATE TABLE pools ("
     "  id TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL DEFAULT '',"
     "  token_ttl INTEGER NOT NULL DEFAULT 0,"
     "  alg TEXT NOT NULL DEFAULT '',"
     "  redirect_urls TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"

     "CREATE TABLE applications ("
     "  id TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  name TEXT NOT NULL DEFAULT '',"
     "  redirect_urls TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX applications_pool ON applications(pool_id);"

     /* id only orders connections created in the same second (the oldest is the default). */
     "CREATE TABLE connections ("
     "  id INTEGER PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  identifier TEXT NOT NULL,"
     "  display_name TEXT NOT NULL DEFAULT '',"
     "  appid TEXT NOT NULL DEFAULT '',"
     "  app_secret TEXT NOT NULL DEFAULT '',"
     "  scope TEXT NOT NULL DEFAULT '',"
     "  callback_url TEXT NOT NULL DEFAULT '',"
     "  txt_filename TEXT NOT NULL DEFAULT '',"
     "  txt_content TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (pool_id, identifier)"
     ");"
     "CREATE INDEX connections_txt ON connections(txt_filename);"

     "CREATE TABLE users ("
     "  id TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  username TEXT NOT NULL,"
     "  nickname TEXT NOT NULL DEFAULT '',"
     "  photo TEXT NOT NULL DEFAULT '',"
     "  gender TEXT NOT NULL DEFAULT 'U' CHECK (gender IN ('M', 'F', 'U')),"
     "  country TEXT NOT NULL DEFAULT '',"
     "  province TEXT NOT NULL DEFAULT '',"
     "  city TEXT NOT NULL DEFAULT '',"
     "  last_ip TEXT NOT NULL DEFAULT '',"
     "  logins_count INTEGER NOT NULL DEFAULT 0,"
     "  last_login INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),"
     "  UNIQUE (pool_id, username)"
     ");"

     /* pool_id is copied from the user so the unionid lookup needs no join. */
     "CREATE TABLE identities ("
     "  id INTEGER PRIMARY KEY,"
     "  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     "  pool_id TEXT NOT NULL,"
     "  provider TEXT NOT NULL DEFAULT '',"
     "  appid TEXT NOT NULL,"
     "  openid TEXT NOT NULL,"
     "  unionid TEXT NOT NULL DEFAULT '',"
     "  raw_profile TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (appid, openid)"
     ");"
     "CREATE INDEX identities_pool_unionid ON identities(pool_id, unionid);"
     "CREATE INDEX identities_user ON identities(user_id);"

     "CREATE TABLE login_states ("
     "  id TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  conn_identifier TEXT NOT NULL,"
     "  app_id TEXT NOT NULL DEFAULT '',"
     "  redirect TEXT NOT NULL DEFAULT '',"
     "  browser TEXT NOT NULL DEFAULT '',"
     "  scope TEXT NOT NULL DEFAULT '',"
     "  options TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  claimed_at INTEGER NOT NULL DEFAULT 0,"
     "  status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)),"
     "  result TEXT NOT NULL DEFAULT ''"
     ");"
     "CREATE INDEX login_states_expires ON login_states(expires_at);"

     /* id gives a stable newest-first order among keys created in the same second. */
     "CREATE TABLE signing_keys ("
     "  id INTEGER PRIMARY KEY,"
     "  kid TEXT NOT NULL UNIQUE,"
     "  alg TEXT NOT NULL,"
     "  private_pem TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  retired_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX signing_keys_alg ON signing_keys(alg, retired_at, created_at);"

     "CREATE TABLE revocations ("
     "  jti TEXT PRIMARY KEY,"
     "  expires_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX revocations_expires ON revocations(expires_at);"

     /* No foreign key: the trail outlives the pools it mentions. */
     "CREATE TABLE audit_events ("
     "  id INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  pool_id TEXT NOT NULL DEFAULT '',"
     "  actor TEXT NOT NULL DEFAULT '',"
     "  action TEXT NOT NULL,"
     "  subject TEXT NOT NULL DEFAULT '',"
     "  outcome TEXT NOT NULL DEFAULT ''"
     ");"
     "CREATE INDEX audit_events_action ON audit_events(action);"
     "CREATE INDEX audit_events_pool_at ON audit_events(pool_id, at);"},

    /* Issue 4: sealed secrets, HS256 (Authing) compatibility per application, key rotation.
     * At most one current key per alg, so two nodes creating a first key cannot both win. */
    {2, "tokens",
     "ALTER TABLE applications ADD COLUMN secret TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE applications ADD COLUMN token_alg TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE signing_keys ADD COLUMN publish_until INTEGER NOT NULL DEFAULT 0;"
     "CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys(alg) WHERE retired_at = 0;"
     "ALTER TABLE revocations ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;"},

    /* Issue 6: revoke all of a user's tokens at once; search users by nickname. */
    {3, "admin",
     "ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;"
     "CREATE INDEX users_pool_created ON users(pool_id, created_at);"
     "CREATE INDEX identities_openid ON identities(openid);"
     "CREATE INDEX identities_unionid ON identities(unionid);"
     "CREATE INDEX audit_events_at ON audit_events(at);"},

    /* Issue 11: a claim names the process working on it, and processes say they are alive, so
     * a reload after a crash learns at once that its login was cut off. */
    {4, "claims",
     "ALTER TABLE login_states ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';"
     "CREATE TABLE nodes ("
     "  id TEXT PRIMARY KEY,"
     "  host TEXT NOT NULL DEFAULT '',"
     "  pid INTEGER NOT NULL DEFAULT 0,"
     "  started_at INTEGER NOT NULL,"
     "  seen_at INTEGER NOT NULL"
     ");"},

    /* Issue 12: who started a pending login, so unfinished logins can be capped per address
     * and in total; the partial index holds only pending rows, so counting them stays cheap
     * however many finished logins the table keeps. */
    {5, "login_limits",
     "ALTER TABLE login_states ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';"
     "CREATE INDEX login_states_pending ON login_states(client_ip, expires_at) "
     "WHERE status = 0;"},

    /* Issue 13: wxauth as an OpenID Connect provider. A login started at /oidc/auth carries
     * the client's request (state, nonce, PKCE challenge) on its login state. Per application: a
     * public client (no secret, PKCE required), where RP-initiated logout may send the browser, the
     * origins its pages call from, token lifetimes (0: the pool's). Authorization codes and refresh
     * tokens are kept by their SHA-256 only, so any node redeems them and a database leak does not.
     * A refresh token's family is every token rotated from one code: reuse revokes them all.
     * Version 5 is left to a branch developed at the same time; the runner applies what is
     * missing, whatever its number. */
    {6, "oidc",
     "ALTER TABLE login_states ADD COLUMN oidc TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE applications ADD COLUMN public_client INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE applications ADD COLUMN logout_urls TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE applications ADD COLUMN web_origins TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE applications ADD COLUMN access_ttl INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE applications ADD COLUMN id_ttl INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE applications ADD COLUMN refresh_ttl INTEGER NOT NULL DEFAULT 0;"
     "CREATE TABLE oidc_codes ("
     "  hash TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  app_id TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  redirect_uri TEXT NOT NULL DEFAULT '',"
     "  code_challenge TEXT NOT NULL DEFAULT '',"
     "  nonce TEXT NOT NULL DEFAULT '',"
     "  scope TEXT NOT NULL DEFAULT '',"
     "  sid TEXT NOT NULL DEFAULT '',"
     "  auth_time INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  used_at INTEGER NOT NULL DEFAULT 0,"
     "  access_jti TEXT NOT NULL DEFAULT '',"
     "  access_exp INTEGER NOT NULL DEFAULT 0,"
     "  family TEXT NOT NULL DEFAULT ''"
     ");"
     "CREATE INDEX oidc_codes_expires ON oidc_codes(expires_at);"
     "CREATE TABLE oidc_refresh ("
     "  hash TEXT PRIMARY KEY,"
     "  family TEXT NOT NULL,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  app_id TEXT NOT NULL,"
     "  user_id TEXT NOT NULL,"
     "  scope TEXT NOT NULL DEFAULT '',"
     "  sid TEXT NOT NULL DEFAULT '',"
     "  auth_time INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  rotated_at INTEGER NOT NULL DEFAULT 0,"
     "  revoked_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX oidc_refresh_family ON oidc_refresh(family);"
     "CREATE INDEX oidc_refresh_expires ON oidc_refresh(expires_at);"
     "CREATE TABLE oidc_sessions ("
     "  id TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  user_id TEXT NOT NULL,"
     "  auth_time INTEGER NOT NULL,"
     "  seen_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  ended_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX oidc_sessions_expires ON oidc_sessions(expires_at);"},

    /* Issue 12: finished logins' results are emptied once the replay window ends; this index
     * holds only the rows that still have one, so finding them reads no others. */
    {7, "results_index",
     "CREATE INDEX login_states_results ON login_states(claimed_at) WHERE result != '';"},

    /* Issue 15: desktop login tickets. A desktop browser shows a QR code of a ticket; a phone
     * logs in through WeChat, is bound to it (scanned) and confirms or refuses; the desktop
     * that holds the ticket's binding cookie then takes the login once. The row carries what
     * a login state would (pool, connection, application, target, OIDC request), so any node
     * can continue it; the phone's identity is a sealed login record. */
    {8, "desktop_tickets",
     "CREATE TABLE desktop_tickets ("
     "  id TEXT PRIMARY KEY,"
     "  pool_id TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
     "  conn_identifier TEXT NOT NULL,"
     "  app_id TEXT NOT NULL DEFAULT '',"
     "  redirect TEXT NOT NULL DEFAULT '',"
     "  scope TEXT NOT NULL DEFAULT '',"
     "  options TEXT NOT NULL DEFAULT '',"
     "  oidc TEXT NOT NULL DEFAULT '',"
     "  method TEXT NOT NULL DEFAULT '',"
     "  site TEXT NOT NULL DEFAULT '',"
     "  browser TEXT NOT NULL,"
     "  client_ip TEXT NOT NULL DEFAULT '',"
     "  desktop_ip TEXT NOT NULL DEFAULT '',"
     "  desktop_ua TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  status INTEGER NOT NULL DEFAULT 0,"
     "  phone_state TEXT NOT NULL DEFAULT '',"
     "  phone_browser TEXT NOT NULL DEFAULT '',"
     "  record TEXT NOT NULL DEFAULT '',"
     "  scanned_at INTEGER NOT NULL DEFAULT 0,"
     "  decided_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX desktop_tickets_expires ON desktop_tickets(expires_at);"
     "CREATE INDEX desktop_tickets_pending ON desktop_tickets(client_ip, expires_at) "
     "WHERE status = 0;"},

    /* Issue 15: Open Platform website apps (connect/qrconnect) as a second connection type of
     * a pool, sharing its users with the service account through the unionid; and how a
     * desktop browser of the pool logs in. */
    {9, "desktop_open",
     "ALTER TABLE connections ADD COLUMN type TEXT NOT NULL DEFAULT 'wechat_mp';"
     "ALTER TABLE pools ADD COLUMN desktop_method TEXT NOT NULL DEFAULT '';"},

    /* Issue 15 (follow the account to log in): the account's message server settings on its
     * connection (Token and EncodingAESKey, sealed like the App Secret); the account access
     * token every node shares (sealed); pushes already seen (replays are ignored). A QR
     * code's scene is its desktop ticket's id (desktop_tickets, migration 8). */
    {10, "follow_login",
     "ALTER TABLE connections ADD COLUMN push_token TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE connections ADD COLUMN push_aes_key TEXT NOT NULL DEFAULT '';"
     "CREATE TABLE wechat_tokens ("
     "  appid TEXT PRIMARY KEY,"
     "  token TEXT NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE push_seen ("
     "  key TEXT PRIMARY KEY,"
     "  expires_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX push_seen_expires ON push_seen(expires_at);"},

    {0, NULL, NULL},
};
