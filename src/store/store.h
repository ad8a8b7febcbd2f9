/* The one storage interface. The operations are written once (store_*.c over the driver
 * seam in db.h); a database backend is a driver (db_sqlite.c, db_pg.c) and every dialect detail
 * stays inside it. A store_t is one connection: each worker thread opens its own and never
 * shares it. Every operation is atomic (its own
 * transaction) and bounded. Strings are NUL-terminated and fit the fixed sizes below; a value
 * that would not fit is refused with WX_ETOOBIG, never cut. */
#ifndef WX_STORE_H
#define WX_STORE_H

#include "../util/wx.h"

#define STORE_ID_MAX 64    /* ids, app ids, pool ids: up to 63 chars */
#define STORE_IDENT_MAX 65 /* connection identifier */
#define STORE_NAME_MAX 128
#define STORE_URL_MAX 1024
#define STORE_URLS_MAX 4096  /* newline-separated list of URL patterns */
#define STORE_SECRET_MAX 320 /* a sealed App Secret (src/jose/seal.h); plain ones <= 128 */
#define STORE_SECRET_PLAIN_MAX 128
#define STORE_TXT_NAME_MAX 128
#define STORE_TXT_CONTENT_MAX 256
#define STORE_OPENID_MAX 64
#define STORE_PROFILE_MAX 8192 /* raw WeChat userinfo JSON */
#define STORE_RESULT_MAX 4096  /* how a login ended: an error redirect, or a login record */
#define STORE_PEM_MAX 8192
#define STORE_OIDC_REQ_MAX 2048 /* the OIDC request a login state carries (proto/oidc.h) */

typedef struct store store_t;

typedef struct {
    char id[STORE_ID_MAX];
    char name[STORE_NAME_MAX];
    int64_t token_ttl;                  /* seconds; 0 means the default 1,296,000 (15 days) */
    char alg[16];                       /* signing alg, "" means RS256 */
    char redirect_urls[STORE_URLS_MAX]; /* allowed redirect_url patterns, newline-separated */
    int64_t created_at;
    int64_t updated_at;
    /* How a desktop browser logs in (docs/desktop-login.md): "" (auto: the pool's Open
     * Platform website connection when it has one), "qrconnect" (that connection), "none" (as
     * a phone: the service account's page, which asks to be opened in WeChat). */
    char desktop_method[16];
} store_pool_t;

typedef struct {
    char id[STORE_ID_MAX]; /* the app_id of Authing v1.1+ clients */
    char pool_id[STORE_ID_MAX];
    char name[STORE_NAME_MAX];
    char redirect_urls[STORE_URLS_MAX]; /* registered callbacks, newline-separated patterns */
    char secret[STORE_SECRET_MAX];      /* sealed application secret; never shown again */
    char token_alg[16]; /* "" signs with the pool's key; "HS256" with the app secret (Authing) */
    int64_t created_at;
    int64_t updated_at;
    /* OpenID Connect (docs/oidc.md). redirect_urls above are also its redirect_uris, matched
     * exactly there (a pattern with '*' never matches an OIDC redirect_uri). */
    bool public_client;               /* no secret at /oidc/token; PKCE S256 required */
    char logout_urls[STORE_URLS_MAX]; /* post_logout_redirect_uris, newline-separated, exact */
    char web_origins[STORE_URLS_MAX]; /* origins its pages call from, newline-separated */
    int64_t access_ttl;               /* seconds; 0: the pool's token_ttl */
    int64_t id_ttl;                   /* seconds; 0: the pool's token_ttl */
    int64_t refresh_ttl;              /* seconds; 0: 30 days */
} store_app_t;

/* Connection types: a service (official) account's webpage authorization, inside WeChat; an
 * Open Platform website app's QR-code login (connect/qrconnect, scope snsapi_login), on a
 * desktop. Users of one pool are shared between them through the unionid. */
#define STORE_CONN_MP "wechat_mp"
#define STORE_CONN_OPEN "wechat_open"

typedef struct {
    char pool_id[STORE_ID_MAX];
    char identifier[STORE_IDENT_MAX]; /* unique within a pool; default wechat:webpage-authorization
                                       */
    char type[16];                    /* STORE_CONN_MP (also when "") or STORE_CONN_OPEN */
    char display_name[STORE_NAME_MAX];
    char appid[STORE_ID_MAX];          /* WeChat App ID, wx + 16 hex */
    char app_secret[STORE_SECRET_MAX]; /* never returned by an API, never logged */
    char scope[32];                    /* snsapi_userinfo (default) or snsapi_base */
    char callback_url[STORE_URL_MAX];  /* business Callback URL pattern, or "#" */
    char txt_filename[STORE_TXT_NAME_MAX];
    char txt_content[STORE_TXT_CONTENT_MAX];
    int64_t created_at;
    int64_t updated_at;
    /* The account's message server (follow to log in, docs/desktop-login.md): Token and
     * EncodingAESKey, sealed like app_secret; "" = not set. A put writes them as given (the
     * admin API copies the stored ones when a request leaves them out). Listings show "*"
     * for set. */
    char push_token[STORE_SECRET_MAX];
    char push_aes_key[STORE_SECRET_MAX];
} store_conn_t;

typedef struct {
    char id[STORE_ID_MAX]; /* 24 lowercase hex, like Authing's ids */
    char pool_id[STORE_ID_MAX];
    char username[STORE_NAME_MAX];
    char nickname[STORE_NAME_MAX];
    char photo[STORE_URL_MAX];
    char gender[2]; /* "M", "F" or "U" */
    char country[STORE_NAME_MAX];
    char province[STORE_NAME_MAX];
    char city[STORE_NAME_MAX];
    char openid[STORE_OPENID_MAX];  /* of the identity just used (filled by upsert) */
    char unionid[STORE_OPENID_MAX]; /* "" when WeChat gave none */
    char last_ip[64];
    int64_t logins_count;
    int64_t last_login;
    int64_t created_at;
    int64_t updated_at;
    bool blocked;
} store_user_t;

/* What a WeChat login brings to store_user_upsert_wechat. Optional strings may be NULL or "". */
typedef struct {
    const char *pool_id;
    const char *provider; /* connection identifier */
    const char *appid;
    const char *openid;
    const char *unionid;     /* optional */
    const char *nickname;    /* optional: snsapi_base logins have no profile */
    const char *photo;       /* optional */
    const char *gender;      /* optional "M"/"F"/"U" */
    const char *country;     /* optional */
    const char *province;    /* optional */
    const char *city;        /* optional */
    const char *raw_profile; /* optional raw sns/userinfo JSON */
    const char *ip;          /* optional */
    int64_t now;
} store_wechat_login_t;

typedef enum {
    STORE_STATE_PENDING = 0, /* created, WeChat not back yet */
    STORE_STATE_CLAIMED = 1, /* the callback is working on it */
    STORE_STATE_DONE = 2,    /* finished; result holds the final redirect */
} store_state_status_t;

typedef struct {
    char id[STORE_ID_MAX]; /* the state sent to WeChat: [A-Za-z0-9], <= 63 */
    char pool_id[STORE_ID_MAX];
    char conn_identifier[STORE_IDENT_MAX];
    char app_id[STORE_ID_MAX];    /* "" for the pool flow */
    char redirect[STORE_URL_MAX]; /* the validated business callback */
    char browser[65];             /* hex SHA-256 of the browser-binding cookie */
    char scope[32];
    char options[256]; /* small flags for the callback, e.g. "with_identities=1" */
    int64_t created_at;
    int64_t expires_at;
    int64_t claimed_at;
    store_state_status_t status;
    char result[STORE_RESULT_MAX];  /* DONE only: the redirect URL that ended the login */
    char claim_owner[STORE_ID_MAX]; /* the process (store_node_seen id) that claimed it */
    char oidc[STORE_OIDC_REQ_MAX];  /* a login of /oidc/auth: the client's request; else "" */
    char client_ip[64]; /* who started it (wx_ip_client_key: IPv6 as its /64); "" = unknown */
} store_state_t;

/* A desktop login ticket (issue #15, handle/desktop_ticket.h): a desktop browser shows it as a
 * QR code; a phone logs in through WeChat and is bound to it, then confirms or refuses; the
 * desktop holding the ticket's binding cookie takes the login once. */
typedef enum {
    STORE_TICKET_PENDING = 0, /* shown on the desktop, no phone yet */
    STORE_TICKET_SCANNED = 1, /* a phone logged in and is asked to confirm */
    STORE_TICKET_CONFIRMED =
        2, /* confirmed (or completed by a push event): the desktop may take it */
    STORE_TICKET_REFUSED = 3, /* the phone refused */
    STORE_TICKET_USED = 4,    /* the desktop took the login: never again */
} store_ticket_status_t;

#define STORE_TICKET_RECORD_MAX 1024 /* a sealed login record (proto/login_record.h) */

typedef struct {
    char id[STORE_ID_MAX]; /* [A-Za-z0-9], <= 63: the capability in the QR code */
    char pool_id[STORE_ID_MAX];
    char conn_identifier[STORE_IDENT_MAX];
    char app_id[STORE_ID_MAX];    /* "" for the pool flow */
    char redirect[STORE_URL_MAX]; /* the validated business callback (or OIDC redirect_uri) */
    char scope[32];
    char options[256];             /* as a login state's ("with_identities=1") */
    char oidc[STORE_OIDC_REQ_MAX]; /* a login of /oidc/auth: the client's request; else "" */
    char method[16];               /* how a phone reaches it: "scan" (webpage auth), "follow" */
    char site[STORE_NAME_MAX];     /* application (or pool) name shown on the phone */
    char browser[65];              /* hex SHA-256 of the desktop's binding cookie */
    char client_ip[64];            /* the desktop's address key (wx_ip_client_key): caps */
    char desktop_ip[64];           /* the desktop's address as shown on the phone */
    char desktop_ua[256];          /* the desktop's User-Agent (cut), shown on the phone */
    int64_t created_at;
    int64_t expires_at;
    store_ticket_status_t status;
    char phone_state[STORE_ID_MAX];       /* the login state of the phone that scanned it */
    char phone_browser[65];               /* hex SHA-256 of that phone's binding cookie */
    char record[STORE_TICKET_RECORD_MAX]; /* scanned on: the phone user's sealed login record */
    int64_t scanned_at;
    int64_t decided_at; /* confirmed, refused or completed at */
} store_ticket_t;

/* A wxauthd process sharing the store: it says it is alive every few seconds. */
typedef struct {
    char id[STORE_ID_MAX]; /* random, new at every start */
    char host[STORE_NAME_MAX];
    int64_t pid;
    int64_t started_at;
    int64_t seen_at;
} store_node_t;

typedef struct {
    char kid[STORE_ID_MAX];
    char alg[16];
    char private_pem[STORE_PEM_MAX]; /* sealed PKCS#8 PEM (src/jose/seal.h) */
    int64_t created_at;
    int64_t retired_at;    /* 0 while current */
    int64_t publish_until; /* retired keys: in the JWKS until then (last token's expiry) */
} store_key_t;

typedef struct {
    int64_t at;
    const char *pool_id; /* optional */
    const char *actor;   /* "system", "admin", a user id ... */
    const char *action;  /* "login", "pool.create", ... */
    const char *subject; /* optional */
    const char *outcome; /* "ok", or a short reason */
} store_audit_t;

/* ---- lifecycle ---- */

/* url: "sqlite:/path/to/file.db" or a plain path (SQLite), or "postgresql://…" /
 * "postgres://…" (a libpq connection URI: PostgreSQL). Opening applies any pending
 * numbered migrations, so a fresh file is ready to use. */
wx_status_t store_open(const char *url, store_t **out, wx_err_t *err);
void store_close(store_t *st);
/* Does url name a database across a network (PostgreSQL), rather than a local file? */
bool store_is_network(const char *url);
/* Schema version after migrations (for tests and `wxauth doctor`). */
int store_schema_version(store_t *st);

/* ---- transactions ----
 * They nest: every operation below runs in its own transaction, which becomes a savepoint of
 * an open one. So several operations can commit together or not at all (store/writer.c runs
 * many logins in one). Each begin is ended by exactly one commit or rollback; a failed commit
 * still needs its rollback. */
wx_status_t store_tx_begin(store_t *st, wx_err_t *err);
/* This connection is the process's store writer (store/writer.h): the backend may let the
 * other connections' writes go first, so that they are not starved by its back-to-back
 * transactions. */
void store_mark_writer(store_t *st);
wx_status_t store_tx_commit(store_t *st, wx_err_t *err);
void store_tx_rollback(store_t *st);
/* Roll back whatever a finished job left open on this connection; returns how many levels
 * were open (0: none). A shared connection (a reader) must never carry one job's open
 * transaction into the next: its writes would stay invisible to every other connection. */
int store_tx_abandon(store_t *st);

/* ---- pools, applications, connections (admin writes, server reads) ---- */

/* Insert or update by id; created_at is kept on update. */
wx_status_t store_pool_put(store_t *st, const store_pool_t *p, wx_err_t *err);
wx_status_t store_pool_get(store_t *st, const char *id, store_pool_t *out, wx_err_t *err);
/* The longest token_ttl any pool sets (0 when none sets one): how long a retired key must
 * stay published. */
wx_status_t store_pool_max_ttl(store_t *st, int64_t *out, wx_err_t *err);
wx_status_t store_app_put(store_t *st, const store_app_t *a, wx_err_t *err);
wx_status_t store_app_get(store_t *st, const char *id, store_app_t *out, wx_err_t *err);
/* Insert or update by (pool_id, identifier). An empty app_secret on update keeps the old one. */
wx_status_t store_conn_put(store_t *st, const store_conn_t *c, wx_err_t *err);
wx_status_t store_conn_get(store_t *st, const char *pool_id, const char *identifier,
                           store_conn_t *out, wx_err_t *err);
/* The connection a pool-level (v1) login uses: the one with the default identifier, else the
 * oldest service-account one of the pool, else its oldest. WX_ENOENT when the pool has none. */
wx_status_t store_conn_default(store_t *st, const char *pool_id, store_conn_t *out, wx_err_t *err);
/* The oldest connection of a type (STORE_CONN_*) in the pool; WX_ENOENT when it has none. */
wx_status_t store_conn_of_type(store_t *st, const char *pool_id, const char *type,
                               store_conn_t *out, wx_err_t *err);
/* Content of the domain-verification file with this exact name, across all connections. */
wx_status_t store_txt_get(store_t *st, const char *filename, char *content, size_t n,
                          wx_err_t *err);

/* ---- follow to log in (issue 15) ---- */

/* The account access token of appid that every node shares (sealed by the caller), with its
 * expiry. WX_ENOENT when none was stored. */
wx_status_t store_wxtoken_get(store_t *st, const char *appid, char *sealed, size_t n,
                              int64_t *expires_at, wx_err_t *err);
wx_status_t store_wxtoken_put(store_t *st, const char *appid, const char *sealed,
                              int64_t expires_at, int64_t now, wx_err_t *err);
/* Record a push by its key (until expires_at); *first is false when the key was already
 * there: a replayed push. The database decides, so two nodes never both take one push. */
wx_status_t store_push_seen(store_t *st, const char *key, int64_t expires_at, bool *first,
                            wx_err_t *err);

/* Forget the pushes seen that expired before now. */
wx_status_t store_push_prune(store_t *st, int64_t now, wx_err_t *err);

/* ---- users ---- */

/* One WeChat login, atomically: find the identity by (appid, openid); else, when a unionid is
 * given, the user of the same pool holding an identity with that unionid (linking official
 * accounts of one Open Platform); else create a user. Then create or update the identity,
 * update the profile fields that were given (empty ones keep the stored value), bump
 * logins_count, last_login, last_ip. A blocked user gets WX_EDENIED and nothing is written.
 * An (appid, openid) already held by a user of another pool gets WX_EEXIST (never shared).
 * *created tells whether a new user was made. out holds the row after the update. */
wx_status_t store_user_upsert_wechat(store_t *st, const store_wechat_login_t *in, store_user_t *out,
                                     bool *created, wx_err_t *err);
/* A user brought from another system (Authing's export), with its WeChat identity. Optional
 * strings may be NULL or "". */
typedef struct {
    const char *pool_id;
    const char *id;       /* kept, so tokens' sub stays the same; NULL/"": a new one is drawn */
    const char *username; /* made unique in the pool like a login's; NULL/"": the nickname */
    const char *nickname, *photo, *gender, *country, *province, *city;
    const char *provider; /* connection identifier */
    const char *appid;
    const char *openid;
    const char *unionid;
    int64_t logins_count, last_login, created_at; /* 0: unknown (created_at: now) */
    bool blocked;
    int64_t now;
} store_user_import_t;

typedef enum {
    STORE_IMPORT_CREATED = 1, /* a new user with this identity */
    STORE_IMPORT_EXISTS,      /* the identity is already this user's (a rerun): nothing written */
    STORE_IMPORT_LINKED,      /* the user existed; the identity was added to it */
} store_import_outcome_t;

/* Import one user, atomically. The identity (appid, openid) already held by another user, or
 * the id held by a user of another pool, is WX_EEXIST saying which; nothing is changed then.
 * Running the same import again changes nothing (STORE_IMPORT_EXISTS). *id_out (STORE_ID_MAX)
 * gets the user's id. */
wx_status_t store_user_import(store_t *st, const store_user_import_t *in,
                              store_import_outcome_t *outcome, char *id_out, wx_err_t *err);
/* The raw WeChat profile JSON last stored for the identity (appid, openid); WX_ENOENT when
 * there is no such identity. */
wx_status_t store_identity_profile(store_t *st, const char *appid, const char *openid, char *raw,
                                   size_t n, wx_err_t *err);
wx_status_t store_user_get(store_t *st, const char *pool_id, const char *id, store_user_t *out,
                           wx_err_t *err);
wx_status_t store_user_set_blocked(store_t *st, const char *pool_id, const char *id, bool blocked,
                                   wx_err_t *err);
/* Number of users in a pool (tests, metrics). */
wx_status_t store_user_count(store_t *st, const char *pool_id, int64_t *out, wx_err_t *err);

/* ---- login states ---- */

wx_status_t store_state_create(store_t *st, const store_state_t *s, wx_err_t *err);
/* Claim a state for its callback, atomically, checking in this order:
 *   unknown id                         -> WX_ENOENT
 *   browser differs from the stored one -> WX_EDENIED (nothing changes)
 *   already claimed or done            -> WX_EUSED, out filled (status, claimed_at, result)
 *   expired (now >= expires_at)        -> WX_EEXPIRED, out filled, and the state is now
 *                                         CLAIMED at `now` (so the "expired" outcome recorded
 *                                         with store_state_finish is replayed like any other)
 *   otherwise                          -> WX_OK, out filled, the state is now CLAIMED at `now`.
 * So a state logs someone in at most once, whatever the number of callbacks. */
wx_status_t store_state_claim(store_t *st, const char *id, const char *browser, int64_t now,
                              store_state_t *out, wx_err_t *err);
/* The same, recording which process claims it (a store_node_seen id; "" for none), so that a
 * reload can tell a login still in progress from one its process died with. */
wx_status_t store_state_claim_as(store_t *st, const char *id, const char *browser, int64_t now,
                                 const char *owner, store_state_t *out, wx_err_t *err);
/* Pending states (status PENDING, expires_at > now) started from client_ip (NULL: from
 * anywhere), counted up to limit at most: *count = min(pending, limit). The start's caps on
 * unfinished logins per address and in total (handle/start.c). */
wx_status_t store_state_pending_count(store_t *st, const char *client_ip, int64_t now,
                                      int64_t limit, int64_t *count, wx_err_t *err);
/* The state as stored (WX_ENOENT when there is none). */
wx_status_t store_state_get(store_t *st, const char *id, store_state_t *out, wx_err_t *err);
/* Record the final redirect of a claimed state (status becomes DONE). */
wx_status_t store_state_finish(store_t *st, const char *id, const char *result, wx_err_t *err);
/* Empty the result (a sealed login record, or an error redirect) of every state claimed
 * before cutoff: past the replay window nothing reads it, and a record is as good as a token. */
wx_status_t store_state_results_clear(store_t *st, int64_t cutoff, int64_t *cleared, wx_err_t *err);
/* Delete states whose expires_at and claimed_at+keep are both before now. */
wx_status_t store_state_prune(store_t *st, int64_t now, int64_t keep, int64_t *deleted,
                              wx_err_t *err);

/* ---- desktop login tickets (handle/desktop_ticket.h) ---- */

/* WX_EEXIST for an id already used; WX_ENOENT when the pool does not exist. */
wx_status_t store_ticket_create(store_t *st, const store_ticket_t *t, wx_err_t *err);
/* The ticket as stored (WX_ENOENT when there is none). */
wx_status_t store_ticket_get(store_t *st, const char *id, store_ticket_t *out, wx_err_t *err);
/* A phone logged in for the ticket: PENDING -> SCANNED with its state, binding and sealed
 * record, expires_at moved to at least confirm_until (the phone gets time to confirm).
 * Checked in this order, atomically:
 *   unknown id                                  -> WX_ENOENT
 *   SCANNED by this very phone_state            -> WX_OK (a reload of the phone's callback)
 *   not PENDING                                 -> WX_EUSED (another phone, or decided)
 *   expired (now >= expires_at)                 -> WX_EEXPIRED
 * out (may be NULL) gets the row as it is after the call, on every outcome but ENOENT. */
wx_status_t store_ticket_scan(store_t *st, const char *id, const char *phone_state,
                              const char *phone_browser, const char *record, int64_t now,
                              int64_t confirm_until, store_ticket_t *out, wx_err_t *err);
/* The phone that scanned it confirms (SCANNED -> CONFIRMED) or refuses (-> REFUSED):
 *   unknown id -> WX_ENOENT; phone_browser not the scanning phone's -> WX_EDENIED (nothing
 *   changes); already decided the same way -> WX_OK (a repeated POST); otherwise not SCANNED
 *   -> WX_EUSED; expired -> WX_EEXPIRED. out (may be NULL) as for store_ticket_scan. */
wx_status_t store_ticket_decide(store_t *st, const char *id, const char *phone_browser,
                                bool confirm, int64_t now, store_ticket_t *out, wx_err_t *err);
/* Confirm without a phone page (a push event identified the user, e.g. the follow-to-login
 * flow): PENDING or SCANNED -> CONFIRMED with record. WX_ENOENT, WX_EEXPIRED, or WX_EUSED when
 * it was decided already. */
wx_status_t store_ticket_complete(store_t *st, const char *id, const char *record, int64_t now,
                                  store_ticket_t *out, wx_err_t *err);
/* Refuse without a phone page: PENDING or SCANNED -> REFUSED (WX_EUSED when decided already). */
wx_status_t store_ticket_refuse(store_t *st, const char *id, int64_t now, store_ticket_t *out,
                                wx_err_t *err);
/* The desktop takes a confirmed login, once: CONFIRMED -> USED. Checked in this order:
 *   unknown id -> WX_ENOENT; browser not the desktop's -> WX_EDENIED (nothing changes, out
 *   emptied); USED -> WX_EUSED; REFUSED -> WX_EDENIED with out->status REFUSED; PENDING or
 *   SCANNED -> WX_EEXPIRED when expired, else WX_EBUSY (not decided yet); CONFIRMED more than
 *   take_within seconds ago -> WX_EEXPIRED. out gets the row (record included) on WX_OK. */
wx_status_t store_ticket_take(store_t *st, const char *id, const char *browser, int64_t now,
                              int64_t take_within, store_ticket_t *out, wx_err_t *err);
/* Undecided tickets (PENDING, not expired) of client_ip (NULL: all), counted up to limit. */
wx_status_t store_ticket_pending_count(store_t *st, const char *client_ip, int64_t now,
                                       int64_t limit, int64_t *count, wx_err_t *err);
/* Delete tickets whose expires_at and decided_at are both before `before`. */
wx_status_t store_ticket_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err);

/* ---- processes (nodes) ---- */

/* Process `id` (on host, with pid) is alive at now: created at its first call (started_at =
 * now), seen_at updated after. */
wx_status_t store_node_seen(store_t *st, const char *id, const char *host, int64_t pid, int64_t now,
                            wx_err_t *err);
/* WX_ENOENT when there is no such node (never seen, or pruned). */
wx_status_t store_node_get(store_t *st, const char *id, store_node_t *out, wx_err_t *err);
/* Forget nodes not seen since before `before`. */
wx_status_t store_node_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err);

/* ---- signing keys ---- */

wx_status_t store_key_add(store_t *st, const store_key_t *k, wx_err_t *err);
/* The newest key of alg that is not retired. WX_ENOENT when there is none. */
wx_status_t store_key_current(store_t *st, const char *alg, store_key_t *out, wx_err_t *err);
/* Every key, newest first, retired ones too; stop early when fn returns false. */
wx_status_t store_key_each(store_t *st, bool (*fn)(const store_key_t *k, void *arg), void *arg,
                           wx_err_t *err);

/* Make k the current key of its alg in one transaction: the current one (if any) is retired
 * at `now` and stays published until publish_until. */
wx_status_t store_key_rotate(store_t *st, const store_key_t *k, int64_t now, int64_t publish_until,
                             wx_err_t *err);

/* ---- revoked tokens (kept until the token would have expired anyway) ---- */
/* Idempotent: revoking a revoked jti succeeds. */
wx_status_t store_revoke(store_t *st, const char *jti, int64_t expires_at, int64_t now,
                         wx_err_t *err);
wx_status_t store_is_revoked(store_t *st, const char *jti, bool *out, wx_err_t *err);
wx_status_t store_revocation_prune(store_t *st, int64_t now, int64_t *deleted, wx_err_t *err);

/* ---- OpenID Connect: authorization codes, refresh tokens, login sessions (docs/oidc.md) ----
 * Codes and refresh tokens are looked up by hash: the SHA-256 of the value, in hex; the value
 * itself is never stored. */
#define STORE_HASH_MAX 65   /* 64 hex digits */
#define STORE_NONCE_MAX 256 /* nonce as the client sent it */
#define STORE_SCOPE_MAX 256

typedef struct {
    char hash[STORE_HASH_MAX];
    char pool_id[STORE_ID_MAX];
    char app_id[STORE_ID_MAX]; /* the client the code was issued to */
    char user_id[STORE_ID_MAX];
    char redirect_uri[STORE_URL_MAX];
    char code_challenge[64]; /* PKCE S256 challenge (base64url, 43 chars), "" without PKCE */
    char nonce[STORE_NONCE_MAX];
    char scope[STORE_SCOPE_MAX];
    char sid[STORE_ID_MAX]; /* the login session */
    int64_t auth_time;
    int64_t created_at;
    int64_t expires_at;
    int64_t used_at; /* 0 until redeemed */
    /* What the redemption issued, so a replay can take it back (RFC 6749 §4.1.2). */
    char access_jti[STORE_ID_MAX];
    int64_t access_exp;
    char family[STORE_ID_MAX]; /* its refresh tokens' family, "" when none */
} store_oidc_code_t;

typedef struct {
    char hash[STORE_HASH_MAX];
    char family[STORE_ID_MAX]; /* every token rotated from one code */
    char pool_id[STORE_ID_MAX];
    char app_id[STORE_ID_MAX];
    char user_id[STORE_ID_MAX];
    char scope[STORE_SCOPE_MAX];
    char sid[STORE_ID_MAX];
    int64_t auth_time;
    int64_t created_at;
    int64_t expires_at;
    int64_t rotated_at; /* 0 while it is the family's current token */
    int64_t revoked_at; /* 0 unless the family was revoked */
} store_oidc_refresh_t;

typedef struct {
    char id[STORE_ID_MAX]; /* the sid claim */
    char pool_id[STORE_ID_MAX];
    char user_id[STORE_ID_MAX];
    int64_t auth_time;  /* when the user signed in with WeChat */
    int64_t seen_at;    /* last use (sliding lifetime) */
    int64_t expires_at; /* absolute end */
    int64_t ended_at;   /* 0 until logout */
} store_oidc_session_t;

/* WX_EEXIST when the hash is taken. */
wx_status_t store_oidc_code_add(store_t *st, const store_oidc_code_t *c, wx_err_t *err);
/* Redeem a code once, atomically: WX_OK and the code (now used) in *out; WX_EUSED when it was
 * redeemed before (out holds it, with what that redemption issued, so the caller can revoke
 * it); WX_EEXPIRED; WX_ENOENT for an unknown hash. */
wx_status_t store_oidc_code_redeem(store_t *st, const char *hash, int64_t now,
                                   store_oidc_code_t *out, wx_err_t *err);
/* Record what the redemption of a code issued (access token id and expiry, refresh family). */
wx_status_t store_oidc_code_issued(store_t *st, const char *hash, const char *access_jti,
                                   int64_t access_exp, const char *family, wx_err_t *err);

/* WX_EEXIST when the hash is taken. */
wx_status_t store_oidc_refresh_add(store_t *st, const store_oidc_refresh_t *r, wx_err_t *err);
/* A refresh token by hash, as stored (WX_ENOENT when unknown); it changes nothing. */
wx_status_t store_oidc_refresh_get(store_t *st, const char *hash, store_oidc_refresh_t *out,
                                   wx_err_t *err);
/* Use a refresh token once, atomically: WX_OK and the token (now rotated) in *out, for the
 * caller to add its successor. A token used before is a stolen copy or a replay (RFC 9700
 * §4.14.2): its whole family is revoked, and the answer is WX_EUSED (the revocation is kept).
 * WX_EDENIED for a revoked family, WX_EEXPIRED, WX_ENOENT for an unknown hash. */
wx_status_t store_oidc_refresh_rotate(store_t *st, const char *hash, int64_t now,
                                      store_oidc_refresh_t *out, wx_err_t *err);
/* Revoke every refresh token of a family (a replayed code, logout, revocation). */
wx_status_t store_oidc_family_revoke(store_t *st, const char *family, int64_t now, wx_err_t *err);

wx_status_t store_oidc_session_add(store_t *st, const store_oidc_session_t *s, wx_err_t *err);
/* The session when it is live at `now` (not ended, not past expires_at, seen within idle
 * seconds), its seen_at moved to now; WX_ENOENT otherwise. */
wx_status_t store_oidc_session_use(store_t *st, const char *id, int64_t now, int64_t idle,
                                   store_oidc_session_t *out, wx_err_t *err);
/* End a session (logout); ending an ended or unknown one succeeds. */
wx_status_t store_oidc_session_end(store_t *st, const char *id, int64_t now, wx_err_t *err);
/* Delete codes, refresh tokens and sessions that ended before `before`. */
wx_status_t store_oidc_prune(store_t *st, int64_t before, int64_t *deleted, wx_err_t *err);

/* ---- listing and deleting (admin) ---- */
/* Each *_list streams rows to fn, which returns false to stop; fn must not use the same store. */
wx_status_t store_pool_list(store_t *st, bool (*fn)(const store_pool_t *p, void *arg), void *arg,
                            wx_err_t *err);
/* Deleting a pool deletes its applications, connections, users and login states. */
wx_status_t store_pool_delete(store_t *st, const char *id, wx_err_t *err);
wx_status_t store_app_list(store_t *st, const char *pool_id,
                           bool (*fn)(const store_app_t *a, void *arg), void *arg, wx_err_t *err);
wx_status_t store_app_delete(store_t *st, const char *id, wx_err_t *err);
/* Connections come with app_secret emptied: listing never carries a secret. */
wx_status_t store_conn_list(store_t *st, const char *pool_id,
                            bool (*fn)(const store_conn_t *c, void *arg), void *arg, wx_err_t *err);
wx_status_t store_conn_delete(store_t *st, const char *pool_id, const char *identifier,
                              wx_err_t *err);

typedef struct {
    const char *pool_id;
    const char *search; /* optional: nickname contains it, or openid/unionid/id equals it */
    int64_t offset;
    int64_t limit; /* 1..1000 */
} store_user_query_t;
/* Users newest first; *total is the number matching (for paging). */
wx_status_t store_user_list(store_t *st, const store_user_query_t *q,
                            bool (*fn)(const store_user_t *u, void *arg), void *arg, int64_t *total,
                            wx_err_t *err);

typedef struct {
    char provider[STORE_IDENT_MAX];
    char appid[STORE_ID_MAX];
    char openid[STORE_OPENID_MAX];
    char unionid[STORE_OPENID_MAX];
    int64_t created_at;
    int64_t updated_at;
} store_identity_t;
wx_status_t store_user_identities(store_t *st, const char *user_id,
                                  bool (*fn)(const store_identity_t *i, void *arg), void *arg,
                                  wx_err_t *err);
/* Deletes the user and their identities; their tokens stop verifying online. */
wx_status_t store_user_delete(store_t *st, const char *pool_id, const char *id, wx_err_t *err);
/* Every token of the user issued before `at` is refused online from now on. */
wx_status_t store_user_revoke_tokens(store_t *st, const char *pool_id, const char *id, int64_t at,
                                     wx_err_t *err);
/* Is the token (jti, of user sub, issued at iat) revoked, one by one or with all of its
 * user's tokens (or is the user gone)? */
wx_status_t store_token_revoked(store_t *st, const char *jti, const char *pool_id, const char *sub,
                                int64_t iat, bool *out, wx_err_t *err);

/* ---- audit ---- */

wx_status_t store_audit_add(store_t *st, const store_audit_t *a, wx_err_t *err);
typedef struct {
    int64_t id;
    int64_t at;
    char pool_id[STORE_ID_MAX];
    char actor[128];
    char action[128];
    char subject[128];
    char outcome[128];
} store_audit_row_t;
typedef struct {
    const char *pool_id; /* optional filters */
    const char *action;  /* exact, or a prefix ending in '.' ("connection.") */
    const char *actor;
    int64_t since, until; /* 0: open */
    int64_t offset, limit;
} store_audit_query_t;
/* Newest first. */
wx_status_t store_audit_list(store_t *st, const store_audit_query_t *q,
                             bool (*fn)(const store_audit_row_t *a, void *arg), void *arg,
                             int64_t *total, wx_err_t *err);
/* Logins of a pool since a time, per hour (unix time / 3600) and outcome ("ok",
 * "ok:new_user", or why it failed), from the audit row each login end writes; oldest first. */
typedef struct {
    int64_t hour;
    char outcome[128];
    int64_t count;
} store_login_stat_t;
wx_status_t store_login_stats(store_t *st, const char *pool_id, int64_t since,
                              bool (*fn)(const store_login_stat_t *s, void *arg), void *arg,
                              wx_err_t *err);
/* Count audit events with this action (tests). */
wx_status_t store_audit_count(store_t *st, const char *action, int64_t *out, wx_err_t *err);

#endif
