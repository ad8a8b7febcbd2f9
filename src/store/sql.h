/* Every SQL statement of the store, once, in the dialect SQLite and PostgreSQL share
 * ($1-style placeholders, ON CONFLICT, no backend functions). Drivers get the text with the id
 * and may prepare each once per connection. Schema changes are per driver (their DDL differs):
 * store/sqlite_migrations.c, store/pg_migrations.c. */
#ifndef WX_STORE_SQL_H
#define WX_STORE_SQL_H

typedef enum {
    STMT_MIGRATION_VERSION,
    STMT_MIGRATION_APPLIED,
    STMT_MIGRATION_RECORD,
    STMT_POOL_PUT,
    STMT_POOL_GET,
    STMT_POOL_EXISTS,
    STMT_APP_PUT,
    STMT_APP_GET,
    STMT_CONN_PUT,
    STMT_CONN_GET,
    STMT_CONN_DEFAULT,
    STMT_TXT_GET,
    STMT_IDENT_FIND,
    STMT_IDENT_PROFILE,
    STMT_IDENT_BY_UNIONID,
    STMT_IDENT_INSERT,
    STMT_IDENT_UPDATE,
    STMT_IDENT_TOUCH,
    STMT_USER_BLOCKED,
    STMT_USERNAME_TAKEN,
    STMT_USER_INSERT,
    STMT_USER_LOGIN,
    STMT_USER_GET,
    STMT_USER_SET_BLOCKED,
    STMT_USER_COUNT,
    STMT_STATE_CREATE,
    STMT_STATE_GET,
    STMT_STATE_STATUS,
    STMT_STATE_CLAIM,
    STMT_STATE_FINISH,
    STMT_STATE_PRUNE,
    STMT_KEY_ADD,
    STMT_KEY_CURRENT,
    STMT_KEY_EACH,
    STMT_KEY_RETIRE,
    STMT_POOL_MAX_TTL,
    STMT_REVOKE,
    STMT_IS_REVOKED,
    STMT_REVOCATION_PRUNE,
    STMT_POOL_LIST,
    STMT_POOL_DELETE,
    STMT_APP_LIST,
    STMT_APP_DELETE,
    STMT_CONN_LIST,
    STMT_CONN_DELETE,
    STMT_USER_LIST,
    STMT_USER_LIST_COUNT,
    STMT_USER_IDENTITIES,
    STMT_USER_DELETE,
    STMT_USER_REVOKE_TOKENS,
    STMT_TOKEN_REVOKED,
    STMT_AUDIT_LIST,
    STMT_AUDIT_LIST_COUNT,
    STMT_AUDIT_ADD,
    STMT_AUDIT_COUNT,
    STMT_NODE_SEEN,
    STMT_NODE_GET,
    STMT_NODE_PRUNE,
    STMT_COUNT
} sql_stmt_t;

extern const char *const sql_text[STMT_COUNT];

#endif
