/* The route table of wxauthd. Order matters: the first matching route wins. */
#include "ctx.h"

const http_route_t handle_routes[] = {
    {"GET", "/healthz", handle_healthz, "healthz"},
    {"GET", "/readyz", handle_readyz, "readyz"},
    /* Authing @authing/wxmp 1.0 (pool flow); "//oauth/..." arrives here too ('/' runs fold). */
    {"GET", "/oauth/wechatmp/url/*", handle_start_pool, "start_pool"},
    /* 1.1+ and authing-js-sdk start, and the WeChat callback (.../{identifier}/callback). */
    {"GET", "/connections/social/*", handle_social, "social"},
};
const size_t handle_routes_count = sizeof(handle_routes) / sizeof(handle_routes[0]);
