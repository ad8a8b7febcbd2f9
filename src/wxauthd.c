/* wxauthd: the wxauth server. Loads the config, makes sure the store is migrated and holds a
 * signing key, starts the workers and runs until SIGTERM/SIGINT, then drains in-flight logins.
 * `wxauthd --emulator` runs the WeChat emulator instead (src/emu/). */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "emu/emu.h"
#include "handle/ctx.h"
#include "http/conn_limit.h"
#include "http/reply.h"
#include "http/server.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rand.h"
#include "version.h"

/* Open connections the admin listener takes ([admin] listen). */
#define ADMIN_MAX_CONNECTIONS 64

static void
usage(FILE *f)
{
    fprintf(f, "usage: wxauthd [--config FILE] [--check-config]\n"
               "       wxauthd --emulator [--config FILE] [--listen ADDR] [--ua-check on|off]\n"
               "       wxauthd --version\n"
               "Settings: docs/configuration.md. Secrets and paths may also come from the\n"
               "environment (WXAUTH_STORE_URL, WXAUTH_PUBLIC_URL, ...).\n");
}

/* Where this process's pid means something: the host name and the pid namespace, so that two
 * containers with the same host name never take each other's pids for their own. */
static void
node_host(char *out, size_t n)
{
    char name[64] = "?", ns[64] = "";
    if (gethostname(name, sizeof(name) - 1) != 0)
        wx_strlcpy(name, "?", sizeof(name));
    ssize_t len = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
    ns[len > 0 ? len : 0] = '\0';
    wx_snprintf(out, n, "%s %s", name, ns);
}

int
main(int argc, char **argv)
{
    const char *config_path = NULL;
    bool check_only = false;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--emulator") == 0)
            return emu_main(argc, argv);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = true;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("wxauthd %s\n", WXAUTH_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "wxauthd: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!config_path)
        config_path = getenv("WXAUTH_CONFIG");

    static wx_config_t cfg;
    wx_err_t err = {0};
    wx_log_set_service("wxauthd");
    if (config_load(config_path, &cfg, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: %s\n", err.msg);
        return 2;
    }
    wx_log_level_t lvl = WX_LOG_INFO;
    wx_log_parse_level(cfg.log_level, &lvl);
    wx_log_set_level(lvl);
    /* Every client connection is a file descriptor: use all the hard limit allows. */
    long fd_before = 0, fd_after = 0;
    char fb[24], fa[24];
    wx_status_t frc = http_conns_raise_fd_limit(&fd_before, &fd_after, &err);
    wx_snprintf(fb, sizeof(fb), "%ld", fd_before);
    wx_snprintf(fa, sizeof(fa), "%ld", fd_after);
    wx_log(frc == WX_OK ? WX_LOG_INFO : WX_LOG_WARN, "fd_limit", "#before", fb, "#now", fa, "error",
           frc == WX_OK ? NULL : err.msg, NULL);
    err = (wx_err_t){0};

    static app_t app;
    static keys_shared_t keys_shared;
    app.keys_shared = &keys_shared;
    static admin_fails_t admin_fails = ADMIN_FAILS_INIT;
    app.admin_fails = &admin_fails;
    static admin_fails_t metrics_budget = ADMIN_FAILS_INIT;
    app.metrics_budget = &metrics_budget;
    if (seal_key_load(getenv("WXAUTH_MASTER_KEY"), cfg.master_key_file, &app.master, &err) !=
        WX_OK) {
        fprintf(stderr, "wxauthd: %s\n", err.msg);
        return 2;
    }
    if (handle_bind_key_derive(&app.master, app.bind_key, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: %s\n", err.msg);
        return 1;
    }
    /* The admin credential: a hash from the config, or a token from the environment hashed
     * here (handy for tests and the demo; the hash is what stays in memory). */
    const char *admin_token = getenv("WXAUTH_ADMIN_TOKEN");
    char made[256];
    if (!cfg.admin_token_hash[0] && admin_token && admin_token[0]) {
        if (admin_hash_make(admin_token, made, sizeof(made), &err) != WX_OK) {
            fprintf(stderr, "wxauthd: WXAUTH_ADMIN_TOKEN: %s\n", err.msg);
            return 2;
        }
        wx_strlcpy(cfg.admin_token_hash, made, sizeof(cfg.admin_token_hash));
    }
    if (cfg.admin_token_hash[0] &&
        admin_hash_parse(cfg.admin_token_hash, &app.admin, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: %s\n", err.msg);
        return 2;
    }
    if (cfg.metrics_token_hash[0] &&
        admin_hash_parse(cfg.metrics_token_hash, &app.metrics, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: [metrics] token_hash: %s\n", err.msg);
        return 2;
    }
    /* Who this process is among those sharing the store (claims name it). */
    if (wx_rand_hex(app.node_id, 16) != WX_OK) {
        fprintf(stderr, "wxauthd: no randomness for the node id\n");
        return 1;
    }
    node_host(app.host, sizeof(app.host));
    app.pid = (int64_t)getpid();
    /* Migrate, make sure a signing key exists, and say this process is alive before any
     * worker serves a login. */
    store_t *st = NULL;
    if (store_open(cfg.store_url, &st, &err) != WX_OK ||
        keys_ensure(st, &app.master, "RS256", &err) != WX_OK ||
        keys_check_master(st, &app.master, "RS256", &err) != WX_OK ||
        (!check_only &&
         store_node_seen(st, app.node_id, app.host, app.pid, wx_now(), &err) != WX_OK)) {
        fprintf(stderr, "wxauthd: store: %s%s%s\n", err.msg, err.detail[0] ? ": " : "", err.detail);
        store_close(st);
        return 1;
    }
    store_close(st);
    if (check_only) {
        printf("config ok\n");
        return 0;
    }

    app.cfg = &cfg;
    wx_snprintf(app.issuer, sizeof(app.issuer), "%s/oidc", cfg.public_url);
    app.wechat = (wechat_cfg_t){.authorize_url = cfg.authorize_url,
                                .qrconnect_url = cfg.qrconnect_url,
                                .api_base = cfg.api_base,
                                .timeout_ms = cfg.wechat_timeout_ms,
                                .retries = cfg.wechat_retries,
                                .lang = cfg.wechat_lang};

    /* Block the signals in every thread; the main thread waits for them with sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    /* The admin API and the console: on a listener of their own ([admin] listen, loopback by
     * default) and absent from the public one, or with "public" on the public one. */
    bool admin_apart = strcmp(cfg.admin_listen, "public") != 0;
    app.admin_apart = admin_apart;
    static http_route_t all_routes[64];
    const http_route_t *routes = handle_routes;
    size_t nroutes = handle_routes_count;
    if (!admin_apart &&
        handle_routes_count + handle_admin_routes_count <= WX_ARRAY_LEN(all_routes)) {
        memcpy(all_routes, handle_routes, handle_routes_count * sizeof(*all_routes));
        memcpy(all_routes + handle_routes_count, handle_admin_routes,
               handle_admin_routes_count * sizeof(*all_routes));
        routes = all_routes;
        nroutes = handle_routes_count + handle_admin_routes_count;
    }
    http_server_config_t hc = {
        .service = "wxauthd",
        .listen = cfg.listen,
        .workers = cfg.workers,
        .routes = routes,
        .nroutes = nroutes,
        .fallback = handle_txt,
        .max_headers_size = (size_t)cfg.max_headers_size,
        .max_body_size = (size_t)cfg.max_body_size,
        .timeout_s = cfg.timeout_s,
        .max_connections = cfg.max_connections,
        .max_connections_per_addr = cfg.max_connections_per_addr,
        .request_timeout_ms = cfg.request_timeout_ms,
        /* outbound WeChat connections, the store's files, a margin */
        .reserve_fds_per_worker = cfg.wechat_max_connections + 16,
        /* the admin listener's connections (its own cap, below) */
        .reserve_fds = admin_apart ? ADMIN_MAX_CONNECTIONS : 0,
        .section = "server",
        .trusted_proxies = &cfg.trusted,
        .worker_init = handle_worker_init,
        .worker_fini = handle_worker_fini,
        .on_drain = handle_worker_drain,
        .arg = &app,
    };
    /* glibc gives freed memory back to the kernel as soon as 128 KB sit free at the top of a
     * thread's heap: under load that is an madvise and a TLB flush on every core many times a
     * second (issue #10 profile). Keep up to 4 MB per heap instead. */
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
    static login_limits_t limits;
    if (login_limits_init(&limits, &cfg, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: %s\n", err.msg);
        return 1;
    }
    app.limits = &limits;
    /* The login path's writes go through one writer thread (store/writer.h). */
    if (store_writer_start(cfg.store_url, &app.writer, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: store writer: %s%s%s\n", err.msg, err.detail[0] ? ": " : "",
                err.detail);
        return 1;
    }
    /* PostgreSQL: the loops' reads go to reader threads (handle/reads.h). */
    int readers = cfg.store_readers;
    if (readers < 0)
        readers = store_is_network(cfg.store_url) ? 4 : 0;
    if (readers > 0 && store_readers_start(cfg.store_url, readers, &app.readers, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: store readers: %s%s%s\n", err.msg, err.detail[0] ? ": " : "",
                err.detail);
        store_writer_stop(app.writer);
        return 1;
    }
    http_server_t *srv = NULL;
    if (http_server_start(&hc, &srv, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: %s%s%s\n", err.msg, err.detail[0] ? ": " : "", err.detail);
        store_readers_stop(app.readers);
        store_writer_stop(app.writer);
        return 1;
    }
    app.public_srv = srv; /* before the admin listener's workers start: they read it */
    /* One worker is plenty for the admin API; a slow sign-in check never runs on its loop
     * either (handle/admin_auth.c). */
    http_server_t *admin_srv = NULL;
    http_server_config_t ac = hc;
    ac.service = "wxauthd-admin";
    ac.listen = cfg.admin_listen;
    ac.workers = 1;
    ac.routes = handle_admin_routes;
    ac.nroutes = handle_admin_routes_count;
    ac.fallback = NULL;
    ac.worker_init = handle_admin_worker_init;
    ac.section = "admin";
    /* A few operators and a scraper: a small fixed cap, not one derived from the fd limit
     * (that would let the admin listener eat the fds the public one counts on). */
    ac.max_connections = ADMIN_MAX_CONNECTIONS;
    ac.max_connections_per_addr = 0; /* = the cap */
    ac.reserve_fds = 0;
    /* Its own proxies only: [server]'s (often 127.0.0.1) would let any local client set the
     * sign-in limit's address and the audit actor with X-Forwarded-For. */
    ac.trusted_proxies = cfg.admin_trusted.n > 0 ? &cfg.admin_trusted : NULL;
    if (admin_apart && http_server_start(&ac, &admin_srv, &err) != WX_OK) {
        fprintf(stderr, "wxauthd: [admin] listen: %s%s%s\n", err.msg, err.detail[0] ? ": " : "",
                err.detail);
        http_server_stop(srv, 0);
        store_readers_stop(app.readers);
        store_writer_stop(app.writer);
        http_server_free(srv);
        return 1;
    }
    if (admin_apart && strcmp(cfg.metrics_access, "token") == 0 && !app.metrics.set)
        wx_log(WX_LOG_INFO, "metrics_on_admin_listener", "admin_listen", cfg.admin_listen, "hint",
               "no [metrics] token_hash: /metrics is served on the admin listener with the "
               "admin token only; set [metrics] token_hash to scrape it on the public one",
               NULL);
    if (cfg.desktop_scan_outside_wechat)
        wx_log(WX_LOG_WARN, "desktop_scan_outside_wechat_on", "wechat_api", cfg.api_base, "hint",
               "DEMO ONLY: [desktop] scan_outside_wechat = on lets any browser complete a desktop "
               "QR login's phone side and shows a link to it on the QR page; never use it with "
               "real WeChat users (remove the setting)",
               NULL);
    wx_log(WX_LOG_INFO, "started", "version", WXAUTH_VERSION, "public_url", cfg.public_url,
           "wechat_api", cfg.api_base, "admin_listen", cfg.admin_listen, NULL);
    http_server_run_until_signal(srv, cfg.shutdown_grace_ms);
    if (admin_srv)
        http_server_stop(admin_srv, cfg.shutdown_grace_ms);
    store_readers_stop(app.readers); /* after the workers, before their loops are freed */
    store_writer_stop(app.writer);   /* after the workers: their last writes are done */
    http_server_free(admin_srv);
    http_server_free(srv);
    login_limits_free(&limits);
    wx_log(WX_LOG_INFO, "stopped", NULL);
    return 0;
}
