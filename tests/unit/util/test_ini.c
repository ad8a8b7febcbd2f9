/* Tests for src/util/ini.c and the config loader built on it (src/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config.h"
#include "util/ini.h"

static void
test_parse(void **state)
{
    wx_ini_t ini;
    wx_err_t err = {0};
    assert_int_equal(wx_ini_parse("# c\n[a]\nk = v 1 \n; c\n[b c]\nk=2\nk=3\n", &ini, &err), WX_OK);
    assert_string_equal(wx_ini_get(&ini, "a", "k"), "v 1");
    assert_string_equal(wx_ini_get(&ini, "b c", "k"), "3");
    assert_null(wx_ini_get(&ini, "a", "x"));
    wx_ini_free(&ini);
    assert_int_equal(wx_ini_parse("[a\nk=v\n", &ini, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(wx_ini_parse("[a]\njunk\n", &ini, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "line 2"));
}

/* Comments after a value or a header, as docs and habit write them (issue #14). */
static void
test_inline_comments(void **state)
{
    wx_ini_t ini;
    wx_err_t err = {0};
    assert_int_equal(wx_ini_parse("[server]   # the HTTP side\n"
                                  "listen = 127.0.0.1:8080   # nginx proxies here\n"
                                  "public_url = https://id.example.com ; the issuer\n"
                                  "store = postgresql://u:p#w;x@db/wx\n"
                                  "empty =   # nothing\n"
                                  "[b] ; c\nk=v\t#tab\n",
                                  &ini, &err),
                     WX_OK);
    assert_string_equal(wx_ini_get(&ini, "server", "listen"), "127.0.0.1:8080");
    assert_string_equal(wx_ini_get(&ini, "server", "public_url"), "https://id.example.com");
    /* '#' and ';' inside a word are part of it (a password, a fragment) */
    assert_string_equal(wx_ini_get(&ini, "server", "store"), "postgresql://u:p#w;x@db/wx");
    assert_string_equal(wx_ini_get(&ini, "server", "empty"), "");
    assert_string_equal(wx_ini_get(&ini, "b", "k"), "v");
    wx_ini_free(&ini);
    /* A header followed by something that is not a comment is still an error, with its line. */
    assert_int_equal(wx_ini_parse("[a]\n[b] x\n", &ini, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "line 2: malformed section header"));
}

static const char *
tmpfile_with(const char *text)
{
    static char path[512];
    const char *dir = getenv("WX_TEST_TMP") ? getenv("WX_TEST_TMP") : "/tmp";
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/cfg-XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void
test_config_defaults_and_overrides(void **state)
{
    wx_config_t c;
    wx_err_t err = {0};
    unsetenv("WXAUTH_STORE_URL");
    assert_int_equal(config_load(NULL, &c, &err), WX_OK);
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.api_base, "https://api.weixin.qq.com");
    assert_int_equal(c.state_ttl, 600);
    assert_int_equal(c.token_ttl, 1296000);
    const char *p = tmpfile_with("[server]\npublic_url = https://id.example.com/\n"
                                 "[login]\nstate_ttl = 30\n");
    setenv("WXAUTH_STORE_URL", "sqlite:/tmp/x.db", 1);
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    assert_string_equal(c.public_url, "https://id.example.com"); /* trailing '/' dropped */
    assert_true(c.cookie_secure);                                /* https: Secure cookies */
    assert_int_equal(c.state_ttl, 30);
    assert_string_equal(c.store_url, "sqlite:/tmp/x.db"); /* environment wins */
    unsetenv("WXAUTH_STORE_URL");
    remove(p);
}

static void
test_config_errors(void **state)
{
    wx_config_t c;
    wx_err_t err = {0};
    const char *p = tmpfile_with("[server]\nlisten_typo = 1\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "unknown setting [server] listen_typo"));
    remove(p);
    p = tmpfile_with("[login]\nstate_ttl = ten\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "login.state_ttl"));
    remove(p);
    p = tmpfile_with("[server]\npublic_url = ftp://x\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    remove(p);
    /* A stray word after a URL would end up inside the issuer: refused, naming the value. */
    p = tmpfile_with("[server]\npublic_url = https://id.example.com nginx\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "without spaces"));
    assert_non_null(strstr(err.msg, "https://id.example.com nginx"));
    remove(p);
    p = tmpfile_with("[server]\nlisten = 127.0.0.1:8080 nginx\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "server.listen"));
    remove(p);
    p = tmpfile_with("[server]\nlisten = id.example.com:80\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "IP address"));
    remove(p);
    p = tmpfile_with("[wechat]\napi_base = http://\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    remove(p);
    assert_int_equal(config_load("/nonexistent/wxauthd.ini", &c, &err), WX_ECONFIG);
}

/* [desktop] scan_outside_wechat (demo only): off by default; on only while [wechat] points
 * away from WeChat (the emulator), refused with WeChat's own hosts, whatever their case. */
static void
test_config_scan_outside_wechat(void **state)
{
    wx_config_t c;
    wx_err_t err = {0};
    unsetenv("WXAUTH_WECHAT_AUTHORIZE_URL");
    unsetenv("WXAUTH_WECHAT_API_BASE");
    assert_int_equal(config_load(NULL, &c, &err), WX_OK);
    assert_false(c.desktop_scan_outside_wechat);
    const char *p = tmpfile_with("[desktop]\nscan_outside_wechat = on\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "desktop.scan_outside_wechat"));
    remove(p);
    p = tmpfile_with("[desktop]\nscan_outside_wechat = on\n[wechat]\n"
                     "authorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
                     "api_base = HTTPS://API.WEIXIN.QQ.COM.\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    remove(p);
    p = tmpfile_with("[desktop]\nscan_outside_wechat = on\n[wechat]\n"
                     "authorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
                     "api_base = http://127.0.0.1:8090\n");
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    assert_true(c.desktop_scan_outside_wechat);
    remove(p);
    /* Strict: every WeChat URL on loopback. A proxy of WeChat, or a host that merely is not
     * qq.com, is refused, and the message names the setting to fix. */
    const char *refused[][3] = {
        {"http://emu.notqq.com/connect/oauth2/authorize", "http://127.0.0.1:8090", "authorize_url"},
        {"http://127.0.0.1:8090/connect/oauth2/authorize", "http://10.0.0.5:8090", "api_base"},
        {"http://127.0.0.1@evil.example/connect/oauth2/authorize", "http://127.0.0.1",
         "authorize_url"},
        {"http://127.0.0.1.evil.example/connect/oauth2/authorize", "http://[::1]:80",
         "authorize_url"},
        {"http://127.1/connect/oauth2/authorize", "http://localhost", "authorize_url"},
        {"http://localhost.evil.example/connect/oauth2/authorize", "http://localhost",
         "authorize_url"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char ini[512];
        snprintf(ini, sizeof(ini),
                 "[desktop]\nscan_outside_wechat = on\n[wechat]\nauthorize_url = %s\n"
                 "api_base = %s\n",
                 refused[i][0], refused[i][1]);
        p = tmpfile_with(ini);
        assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
        if (!strstr(err.msg, refused[i][2]) || !strstr(err.msg, "loopback"))
            fail_msg("case %zu: %s", i, err.msg);
        remove(p);
    }
    /* qrconnect_url set on its own counts too. */
    p = tmpfile_with("[desktop]\nscan_outside_wechat = on\n[wechat]\n"
                     "authorize_url = http://127.0.0.1:8090/connect/oauth2/authorize\n"
                     "qrconnect_url = https://open.weixin.qq.com/connect/qrconnect\n"
                     "api_base = http://127.0.0.1:8090\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "qrconnect_url"));
    remove(p);
    /* Loopback in its three spellings is accepted. */
    p = tmpfile_with("[desktop]\nscan_outside_wechat = on\n[wechat]\n"
                     "authorize_url = http://LOCALHOST.:8090/connect/oauth2/authorize\n"
                     "qrconnect_url = http://[::1]:8090/connect/qrconnect\n"
                     "api_base = http://127.3.2.1:8090\n");
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    remove(p);
}

/* [admin] listen: loopback on the port after the server's unless set; "public" kept; a bad
 * value or the server's own address refused. [server] connection limits parsed. */
static void
test_config_admin_listen_and_limits(void **state)
{
    wx_config_t c;
    wx_err_t err = {0};
    unsetenv("WXAUTH_ADMIN_LISTEN");
    assert_int_equal(config_load(NULL, &c, &err), WX_OK);
    assert_string_equal(c.admin_listen, "127.0.0.1:8081");
    assert_int_equal(c.request_timeout_ms, 10000);
    assert_int_equal(c.max_connections, 0);
    const char *p = tmpfile_with("[server]\nlisten = 0.0.0.0:9000\nmax_connections = 500\n"
                                 "max_connections_per_addr = 50\nrequest_timeout_ms = 2500\n");
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    assert_string_equal(c.admin_listen, "127.0.0.1:9001");
    assert_int_equal(c.max_connections, 500);
    assert_int_equal(c.max_connections_per_addr, 50);
    assert_int_equal(c.request_timeout_ms, 2500);
    remove(p);
    p = tmpfile_with("[admin]\nlisten = public\n");
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    assert_string_equal(c.admin_listen, "public");
    remove(p);
    p = tmpfile_with("[admin]\nlisten = 10.0.0.5:7000\n");
    assert_int_equal(config_load(p, &c, &err), WX_OK);
    assert_string_equal(c.admin_listen, "10.0.0.5:7000");
    remove(p);
    p = tmpfile_with("[admin]\nlisten = nowhere\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "admin.listen"));
    remove(p);
    p = tmpfile_with("[server]\nlisten = 127.0.0.1:8080\n[admin]\nlisten = 127.0.0.1:8080\n");
    assert_int_equal(config_load(p, &c, &err), WX_ECONFIG);
    assert_non_null(strstr(err.msg, "public"));
    remove(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_inline_comments),
        cmocka_unit_test(test_config_defaults_and_overrides),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_admin_listen_and_limits),
        cmocka_unit_test(test_config_scan_outside_wechat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
