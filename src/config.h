/* wxauthd configuration: an INI file plus environment overrides. Read once at start-up and
 * read-only afterwards (shared by all workers without locks). docs/configuration.md lists every
 * key with its default; keep the two in step. */
#ifndef WX_CONFIG_H
#define WX_CONFIG_H

#include "util/cidr.h"
#include "util/wx.h"

typedef struct {
    /* [server] */
    char listen[128];
    char public_url[512]; /* scheme://host[:port] browsers and WeChat reach us at, no slash */
    int workers;
    int max_headers_size;
    int max_body_size;
    int timeout_s;
    int request_timeout_ms;       /* whole head + body of one request (0: no deadline) */
    int max_connections;          /* open client connections; 0: from the fd limit */
    int max_connections_per_addr; /* per peer address; 0: max_connections / 4 */
    int shutdown_grace_ms;
    bool cookie_secure;
    char trusted_proxies[1024]; /* as written: addresses and CIDR ranges */
    wx_cidr_list_t trusted;     /* parsed: peers whose X-Forwarded-For / Forwarded we believe */
    /* [store] */
    char store_url[1024];
    int store_readers; /* reader threads (handle/reads.h); -1: 4 on PostgreSQL, 0 on SQLite */
    /* [wechat] */
    char authorize_url[512]; /* full URL of the authorize page */
    char qrconnect_url[512]; /* Open Platform website apps' QR page; "" = beside authorize_url */
    char api_base[512];      /* scheme://host of the sns APIs */
    int wechat_timeout_ms;
    int wechat_retries;         /* retries on errcode -1 / 5xx / connect failure */
    int wechat_max_connections; /* per worker; more calls wait in a queue */
    char wechat_lang[8];
    /* [login] */
    int state_ttl;     /* seconds a login link stays valid */
    int replay_window; /* seconds a double-loaded callback gets the same outcome */
    int max_inflight;  /* logins waiting on WeChat, per worker */
    /* [limits] (handle/login_limits.h); 0 turns a limit off */
    int start_per_minute;    /* login starts per client address and minute, per process */
    int callback_per_minute; /* WeChat callbacks per client address and minute, per process */
    int pending_per_address; /* unfinished logins per client address, in the store */
    int pending_total;       /* unfinished logins in all, in the store */
    int limit_addresses;     /* client addresses the rate limits remember, per process */
    /* [desktop] desktop login by QR code (docs/desktop-login.md) */
    bool desktop_login;      /* browsers outside WeChat get the QR page at the start endpoints */
    int desktop_ticket_ttl;  /* seconds a QR code (ticket) stays valid */
    int desktop_confirm_ttl; /* seconds the phone has to confirm once it logged in */
    int desktop_wait_s;      /* longest wait of one long-poll */
    int desktop_poll_ms;     /* how often a long-poll reads the store */
    int desktop_max_waits;   /* long-polls open at once in the process */
    bool desktop_scan_outside_wechat; /* demo only: /desktop/scan opens in any browser */
    /* [token] */
    int64_t token_ttl; /* default token lifetime when the pool sets none */
    int token_leeway;  /* seconds of clock skew allowed when checking exp/nbf/iat */
    int jwks_max_age;  /* Cache-Control max-age of the JWKS document */
    /* [oidc] OpenID Connect provider (docs/oidc.md) */
    int oidc_code_ttl;         /* seconds an authorization code may wait to be redeemed */
    int64_t oidc_session_idle; /* a login session ends after this long unused (sliding) */
    int64_t oidc_session_max;  /* ... and this long after the WeChat login, whatever happens */
    /* [keys] */
    char master_key_file[1024]; /* 0600 file with the master key (WXAUTH_MASTER_KEY wins) */
    /* [admin] */
    /* Where the admin API and the console listen: "host:port" (a listener of its own; 404 on
     * the public one), or "public" (on [server] listen, as before). Default: 127.0.0.1 and
     * the port after [server] listen's. */
    char admin_listen[128];
    /* The admin listener's own trusted proxies (never [server]'s: with trusted_proxies =
     * 127.0.0.1 any local or SSH-tunnelled client could name its sign-in address). */
    char admin_trusted_proxies[1024];
    wx_cidr_list_t admin_trusted;
    char admin_token_hash[256]; /* pbkdf2-sha256$… of the admin token; "" = admin API off */
    /* [metrics] GET /metrics */
    char metrics_access[16];      /* "token" (default), "public" or "off" */
    char metrics_token_hash[256]; /* pbkdf2-sha256$… of a scrape-only token; "" = admin token */
    /* [gate] (nginx auth_request) */
    char gate_cookie[64];   /* also take the token from this cookie; "" = Bearer only */
    char gate_audience[64]; /* only tokens for this aud pass /auth/check; "" = any */
    /* [log] */
    char log_level[16];
} wx_config_t;

void config_defaults(wx_config_t *c);
/* Load path (NULL: defaults only), then apply environment overrides and validate. */
wx_status_t config_load(const char *path, wx_config_t *c, wx_err_t *err);

#endif
