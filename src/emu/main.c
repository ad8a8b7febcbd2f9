/* emu_main: command line, config, the one-worker HTTP server, signals, clean exit. */
#include "emu.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../http/server.h"
#include "../util/addr.h"
#include "../util/log.h"
#include "state.h"

#define EMU_SHUTDOWN_MS 2000

static const http_route_t emu_routes[] = {
    {"GET", "/connect/oauth2/authorize", emu_route_authorize, "authorize"},
    {"GET", "/connect/qrconnect", emu_route_qrconnect, "qrconnect"},
    {NULL, "/sns/oauth2/access_token", emu_route_access_token, "sns_access_token"},
    {NULL, "/sns/oauth2/refresh_token", emu_route_refresh_token, "sns_refresh_token"},
    {NULL, "/sns/userinfo", emu_route_userinfo, "sns_userinfo"},
    {NULL, "/sns/auth", emu_route_auth, "sns_auth"},
    {NULL, "/sns/*", emu_route_sns_unknown, "sns_unknown"},
    {NULL, "/cgi-bin/token", emu_route_cgi_token, "cgi_token"},
    {NULL, "/cgi-bin/stable_token", emu_route_cgi_stable_token, "cgi_stable_token"},
    {NULL, "/cgi-bin/qrcode/create", emu_route_qrcode_create, "cgi_qrcode_create"},
    /* mp.weixin.qq.com's, served on the same listener */
    {"GET", "/cgi-bin/showqrcode", emu_route_showqrcode, "showqrcode"},
    {NULL, "/cgi-bin/*", emu_route_sns_unknown, "cgi_unknown"},
    /* The phone after scanning a parametric QR code (its `url`): qrcode.c. */
    {"GET", "/q/*", emu_route_scan, "scan"},
    {"GET", "/healthz", emu_route_healthz, "healthz"},
    {NULL, "/emu/admin/*", emu_route_admin, "admin"},
    {"GET", "/mmopen/*", emu_route_avatar, "avatar"},
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: wxauthd --emulator [--config FILE] [--listen ADDR] [--ua-check on|off]\n"
               "                         [--check-config]\n"
               "The WeChat emulator; every config key is in src/emu/README.md.\n"
               "WXEMU_LATENCY_MS=N adds N ms to every sns/* API call.\n");
}

static wx_status_t
worker_init(http_worker_t *w, void *arg, void **ctx, wx_err_t *err)
{
    (void)err;
    emu_t *e = arg;
    *ctx = arg; /* one worker: the emulator's state is its context */
    /* Drawn avatars need the emulator's address; the port is known once bound (0 = any). */
    if (!e->cfg.public_url[0]) {
        const char *h = e->cfg.listen, *colon = strrchr(h, ':');
        int hl = colon ? (int)(colon - h) : 0;
        if ((hl == 7 && strncmp(h, "0.0.0.0", 7) == 0) || hl == 0)
            h = "127.0.0.1", hl = 9;
        else if (hl == 4 && strncmp(h, "[::]", 4) == 0)
            h = "[::1]", hl = 5;
        wx_snprintf(e->cfg.public_url, sizeof(e->cfg.public_url), "http://%.*s:%d", hl, h,
                    http_server_port(w->server));
    }
    return WX_OK;
}

static void
worker_fini(http_worker_t *w, void *ctx)
{
    (void)w;
    emu_t *e = ctx;
    emu_held_free(&e->held);
}

static void
on_drain(http_worker_t *w, void *ctx)
{
    (void)w;
    emu_t *e = ctx;
    emu_held_drain(&e->held);
}

int
emu_main(int argc, char **argv)
{
    const char *config_path = NULL, *listen = NULL, *ua = NULL;
    bool check_only = false;
    static emu_config_t cfg;
    emu_model_t model = {0};
    emu_t *e = NULL;
    http_server_t *srv = NULL;
    wx_err_t err = {0};
    int code = 0;

    wx_log_set_service("emulator");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--emulator") == 0) {
            continue;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            listen = argv[++i];
        } else if (strcmp(argv[i], "--ua-check") == 0 && i + 1 < argc) {
            ua = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "wxauthd --emulator: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    emu_config_defaults(&cfg);
    if (config_path && emu_config_load(config_path, &cfg, &model, &err) != WX_OK)
        goto config_error;
    if (emu_config_env(&cfg, &err) != WX_OK)
        goto config_error;
    if (listen && !wx_strlcpy(cfg.listen, listen, sizeof(cfg.listen))) {
        wx_err_set(&err, WX_ECONFIG, "--listen address too long");
        goto config_error;
    }
    if (ua && !emu_parse_bool(ua, &cfg.ua_check)) {
        wx_err_set(&err, WX_ECONFIG, "--ua-check must be on or off");
        goto config_error;
    }
    bool seeded = false;
    if (emu_config_finish(&cfg, &seeded, &err) != WX_OK)
        goto config_error;
    wx_err_t aerr = {0};
    if (wx_addr_parse_listen(cfg.listen, NULL, NULL, &aerr) != WX_OK) {
        wx_err_set(&err, WX_ECONFIG, "listen: %s", aerr.msg);
        goto config_error;
    }
    if (check_only) {
        printf("config ok\n");
        goto out;
    }
    wx_log_set_level(cfg.log_level);
    if (!seeded)
        wx_log(WX_LOG_INFO, "id_seed_random", "detail",
               "no [emulator] id_seed: openids and unionids are random for this run (set id_seed "
               "to keep them across restarts)",
               NULL);
    if (!config_path)
        wx_log(WX_LOG_WARN, "no_config", "detail",
               "no --config: no accounts or people until added via /emu/admin/", NULL);

    if (emu_new(&cfg, &model, &e, &err) != WX_OK) {
        fprintf(stderr, "wxauthd --emulator: %s\n", err.msg);
        code = 1;
        goto out;
    }

    /* Block the signals in every thread; this one waits for them with sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    http_server_config_t hc = {
        .service = "emulator",
        .listen = cfg.listen,
        .workers = 1, /* all emulator state lives on one thread: no locks */
        /* Its clients are a few processes (wxauthd, test browsers), all from one address: no
         * per-address cap (the default, 256, would refuse a load test's calls). */
        .max_connections_per_addr = 1 << 30,
        .routes = emu_routes,
        .nroutes = WX_ARRAY_LEN(emu_routes),
        .worker_init = worker_init,
        .worker_fini = worker_fini,
        .on_drain = on_drain,
        .arg = e,
    };
    if (http_server_start(&hc, &srv, &err) != WX_OK) {
        fprintf(stderr, "wxauthd --emulator: %s\n", err.msg);
        code = err.status == WX_ECONFIG ? 2 : 1;
        goto out;
    }
    char na[16], np[16];
    wx_snprintf(na, sizeof(na), "%zu", e->model.naccounts);
    wx_snprintf(np, sizeof(np), "%zu", e->model.npeople);
    wx_log(WX_LOG_INFO, "started", "listen", cfg.listen, "ua_check", cfg.ua_check ? "on" : "off",
           "#accounts", na, "#people", np, NULL);
    http_server_run_until_signal(srv, EMU_SHUTDOWN_MS);
    wx_log(WX_LOG_INFO, "stopped", NULL);
    goto out;

config_error:
    fprintf(stderr, "wxauthd --emulator: %s\n", err.msg);
    code = 2;
out:
    http_server_free(srv);
    emu_free(e);
    emu_model_free(&model);
    return code;
}
