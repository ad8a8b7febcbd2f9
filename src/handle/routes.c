/* The route tables of wxauthd: the public listener's and the admin listener's. Order matters:
 * the first matching route wins. */
#include "admin.h"
#include "ctx.h"
#include "desktop.h"

/* The endpoints authing-js-sdk calls from a page: CORS for the app's registered origins
 * (cors.c), then the handler. */
#define CORS_WRAP(fn)                                                                              \
    static void fn##_cors(http_req_t *r)                                                           \
    {                                                                                              \
        handle_cors(r, fn);                                                                        \
    }
CORS_WRAP(handle_graphql)
CORS_WRAP(handle_logout_browser)
CORS_WRAP(handle_logout)
CORS_WRAP(handle_me)
CORS_WRAP(handle_introspection)
CORS_WRAP(handle_revocation)
CORS_WRAP(handle_validate_token)
CORS_WRAP(handle_login_status)
CORS_WRAP(handle_oidc_token)

const http_route_t handle_routes[] = {
    {"GET", "/healthz", handle_healthz, "healthz"},
    {"GET", "/readyz", handle_readyz, "readyz"},
    {"GET", "/metrics", handle_metrics, "metrics"},
    /* Authing @authing/wxmp 1.0 (pool flow); "//oauth/..." arrives here too ('/' runs fold). */
    {"GET", "/oauth/wechatmp/url/*", handle_start_pool, "start_pool"},
    /* 1.1+ and authing-js-sdk start, and the WeChat callback (.../{identifier}/callback). */
    {"GET", "/connections/social/*", handle_social, "social"},
    /* Tokens: discovery, keys and the online checks (authing-compat.md §4). */
    {"GET", "/oidc/.well-known/openid-configuration", handle_discovery, "discovery"},
    {"GET", "/.well-known/openid-configuration", handle_discovery, "discovery"},
    /* RFC 8414 §3.1: the well-known part goes before the issuer's path. */
    {"GET", "/.well-known/openid-configuration/oidc", handle_discovery, "discovery"},
    {"GET", "/.well-known/oauth-authorization-server/oidc", handle_discovery, "discovery"},
    {"GET", "/oidc/.well-known/jwks.json", handle_jwks, "jwks"},
    /* OpenID Connect provider (docs/oidc.md). */
    {"GET", "/oidc/auth", handle_oidc_auth, "oidc_auth"},
    {"POST", "/oidc/auth", handle_oidc_auth, "oidc_auth"},
    {"POST", "/oidc/token", handle_oidc_token_cors, "oidc_token"},
    {"OPTIONS", "/oidc/token", handle_cors_preflight, "preflight"},
    {"GET", "/oidc/session/end", handle_oidc_session_end, "oidc_logout"},
    {"POST", "/oidc/session/end", handle_oidc_session_end, "oidc_logout"},
    {"GET", "/api/v2/oidc/validate_token", handle_validate_token_cors, "validate_token"},
    {"OPTIONS", "/api/v2/oidc/validate_token", handle_cors_preflight, "preflight"},
    {"POST", "/oidc/token/introspection", handle_introspection_cors, "introspection"},
    {"OPTIONS", "/oidc/token/introspection", handle_cors_preflight, "preflight"},
    {"POST", "/oidc/token/revocation", handle_revocation_cors, "revocation"},
    {"OPTIONS", "/oidc/token/revocation", handle_cors_preflight, "preflight"},
    {"GET", "/oidc/me", handle_me_cors, "me"},
    {"POST", "/oidc/me", handle_me_cors, "me"},
    {"OPTIONS", "/oidc/me", handle_cors_preflight, "preflight"},
    {"GET", "/api/v2/users/login-status", handle_login_status_cors, "login_status"},
    {"OPTIONS", "/api/v2/users/login-status", handle_cors_preflight, "preflight"},
    {"POST", "/api/v2/logout", handle_logout_cors, "logout"},
    /* authing-js-sdk 4.x (docs/spec/authing-compat.md §7): logout(), logoutCurrent() and the
     * GraphQL operations of checkLoginStatus, getCurrentUser and refreshToken. */
    {"GET", "/api/v2/logout", handle_logout_browser_cors, "logout"},
    {"OPTIONS", "/api/v2/logout", handle_cors_preflight, "preflight"},
    {"GET", "/logout", handle_logout_browser_cors, "logout"},
    {"OPTIONS", "/logout", handle_cors_preflight, "preflight"},
    {"POST", "/graphql/v2", handle_graphql_cors, "graphql"},
    {"OPTIONS", "/graphql/v2", handle_cors_preflight, "preflight"},
    /* nginx auth_request sends the subrequest with the original request's method. */
    {NULL, "/auth/check", handle_auth_check, "auth_check"},
    /* The QR code of a URL, for desktop pages that send the phone somewhere (qrcode.c). */
    {"GET", "/qrcode.svg", handle_qrcode, "qrcode"},
    /* Desktop login by QR code (desktop.c, docs/desktop-login.md). */
    {"GET", "/desktop/scan", handle_desktop_scan, "desktop_scan"},
    {"GET", "/desktop/phone", handle_desktop_phone, "desktop_phone"},
    {"POST", "/desktop/confirm", handle_desktop_confirm, "desktop_confirm"},
    {"GET", "/desktop/wait", handle_desktop_wait, "desktop_wait"},
    {"GET", "/desktop/finish", handle_desktop_finish, "desktop_finish"},
    {"GET", "/desktop/methods", handle_desktop_methods, "desktop_methods"},
    /* The official account's message server URL: WeChat pushes events here (push.c). */
    {NULL, "/wechat/push/*", handle_push, "wechat_push"},
    /* Built-in static files: the browser SDK (assets.c). */
    {NULL, "/sdk/*", handle_assets, "sdk"},
};
const size_t handle_routes_count = sizeof(handle_routes) / sizeof(handle_routes[0]);

/* The admin listener's ([admin] listen), or appended to the public ones with "public". */
const http_route_t handle_admin_routes[] = {
    {"GET", "/healthz", handle_healthz, "healthz"},
    /* The public listener's metrics, for the admin token (handle/metrics.c). */
    {"GET", "/metrics", handle_metrics, "metrics"},
    /* The web console (assets.c) and the API it calls (admin.h). */
    {NULL, "/console*", handle_assets, "console"},
    {NULL, "/api/admin/v1/*", handle_admin, "admin"},
};
const size_t handle_admin_routes_count =
    sizeof(handle_admin_routes) / sizeof(handle_admin_routes[0]);
