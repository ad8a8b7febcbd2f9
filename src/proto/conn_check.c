/* The checks of a WeChat connection's set-up, in words an operator can act on: English for
 * the CLI and the logs, Chinese for the console (shown first). One implementation for
 * `wxauth doctor`, the console and the admin API (conn_check.h). */
#include "conn_check.h"

#include <string.h>

#include "redirect.h"

#define REAL_WECHAT_API "https://api.weixin.qq.com"
#define REAL_WECHAT_AUTHORIZE "https://open.weixin.qq.com/"
#define DEFAULT_IDENT "wechat:webpage-authorization"
#define WHERE_DOMAIN "设置与开发 → 公众号设置 → 功能设置 → 网页授权域名"

static void
add(json_t *arr, conn_check_status_t st, const char *check, const char *msg, const char *fix,
    const char *msg_zh, const char *fix_zh)
{
    static const char *const names[] = {"ok", "warn", "fail"};
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "check", check, "status", names[st], "message", msg,
                          "message_zh", msg_zh);
    if (o && st != CONN_CHECK_OK && fix)
        json_object_set_new(o, "fix", json_string(fix));
    if (o && st != CONN_CHECK_OK && fix_zh)
        json_object_set_new(o, "fix_zh", json_string(fix_zh));
    if (!o) /* a text cut inside a character: the verdict must still be counted */
        o = json_pack("{s:s,s:s,s:s,s:s}", "check", check, "status", names[st], "message",
                      "(this check's text could not be shown)", "message_zh", "（无法显示说明）");
    if (o)
        json_array_append_new(arr, o);
}

void
conn_check_init(conn_check_t *x, const store_conn_t *c, const char *public_url)
{
    memset(x, 0, sizeof(*x));
    x->conn = c;
    /* WeChat fetches the file at the domain's root, whatever path public_url has. */
    const char *host = public_url ? strstr(public_url, "://") : NULL;
    size_t root = host ? (size_t)(host + 3 - public_url) + strcspn(host + 3, "/?#") : 0;
    if (c->txt_filename[0] && host && root < sizeof(x->txt_url))
        wx_snprintf(x->txt_url, sizeof(x->txt_url), "%.*s/%s", (int)root, public_url,
                    c->txt_filename);
    if (public_url) {
        wx_snprintf(x->redirect_uri, sizeof(x->redirect_uri), "%s/connections/social/%s/callback",
                    public_url, c->identifier);
        wx_snprintf(x->push_url, sizeof(x->push_url), "%s/wechat/push/%s/%s", public_url,
                    c->pool_id, c->identifier);
    }
    bool dflt = strcmp(c->identifier, DEFAULT_IDENT) == 0;
    wx_snprintf(x->set_cmd, sizeof(x->set_cmd), "wxauth connection set --pool %s%s%s", c->pool_id,
                dflt ? "" : " --identifier ", dflt ? "" : c->identifier);
}

static bool
is_local_http(const char *url)
{
    return strncmp(url, "http://", 7) == 0 &&
           (strncmp(url + 7, "127.0.0.1", 9) == 0 || strncmp(url + 7, "localhost", 9) == 0 ||
            strncmp(url + 7, "[::1]", 5) == 0);
}

static void
check_callback(json_t *arr, const conn_check_t *x, bool app_plain)
{
    const char *cb = x->conn->callback_url;
    char fix[600], msg[900];
    wx_err_t err = {0};
    wx_snprintf(fix, sizeof(fix), "%s --callback https://your.site/wechat/callback", x->set_cmd);
    if (!cb[0]) {
        add(arr, CONN_CHECK_FAIL, "callback", "there is no Callback URL", fix,
            "没有设置 Callback URL", "填写登录后返回的业务回调页面地址（Callback URL）");
    } else if (strcmp(cb, "#") == 0) {
        if (app_plain)
            add(arr, CONN_CHECK_OK, "callback",
                "Callback URL is #: logins through an application return to its first registered "
                "callback",
                NULL, "Callback URL 为 #：经应用发起的登录返回应用登记的第一个回调地址", NULL);
        else
            add(arr, CONN_CHECK_FAIL, "callback",
                "Callback URL is # but no application of the pool has a registered callback, so a "
                "login has nowhere to return",
                "register the page with `wxauth app update APP --redirect URL`, or give the "
                "connection a Callback URL",
                "Callback URL 为 #，但用户池中没有应用登记回调地址：登录完成后无处可回",
                "在应用中登记回调地址（wxauth app update APP --redirect URL），或给连接填写 "
                "Callback URL");
    } else if (redirect_validate_pattern(cb, &err) != WX_OK) {
        wx_snprintf(msg, sizeof(msg), "Callback URL %s is not valid: %s", cb, err.msg);
        add(arr, CONN_CHECK_FAIL, "callback", msg, fix, "Callback URL 格式不正确",
            "改为完整的 https 地址，例如 https://your.site/wechat/callback");
    } else if (strchr(cb, '*')) {
        wx_snprintf(msg, sizeof(msg),
                    "Callback URL %s is a pattern: only pages that send a matching redirect_url "
                    "can log in (@authing/wxmp 1.0 pool logins send none)",
                    cb);
        add(arr, CONN_CHECK_WARN, "callback", msg,
            "give a plain URL if some pages send no redirect_url",
            "Callback URL 是通配模式：只有带匹配的 redirect_url 的页面能登录",
            "如有页面不带 redirect_url，请填写一个具体地址");
    } else if (strncmp(cb, "http://", 7) == 0 && !is_local_http(cb)) {
        wx_snprintf(msg, sizeof(msg),
                    "Callback URL %s is plain http: the token travels in its query string", cb);
        add(arr, CONN_CHECK_WARN, "callback", msg, "serve the callback page over https",
            "Callback URL 使用明文 http：令牌会在查询参数中明文传输", "回调页面请使用 https");
    } else {
        wx_snprintf(msg, sizeof(msg), "Callback URL %s is well-formed", cb);
        add(arr, CONN_CHECK_OK, "callback", msg, NULL, "Callback URL 格式正确", NULL);
    }
}

/* Pool-flow pages (@authing/wxmp 1.0) send no application and no redirect_url: with a
 * Callback URL of '#' or a pattern they return to the pool's first plain registered callback,
 * and without one they have nowhere to go (handle/start.c). */
static void
check_pool_flow(json_t *arr, const conn_check_t *x, bool pool_plain)
{
    const char *cb = x->conn->callback_url;
    char fix[400], msg[600];
    /* The pool flow uses the default connection, and on a computer the pool's website app
     * (start.c: the desktop's connection), whose Callback URL then decides. */
    if (strcmp(x->conn->identifier, DEFAULT_IDENT) != 0 &&
        strcmp(x->conn->type, STORE_CONN_OPEN) != 0)
        return;
    if (cb[0] && strcmp(cb, "#") != 0 && !strchr(cb, '*'))
        return; /* a plain Callback URL: the pool flow returns there */
    if (pool_plain) {
        add(arr, CONN_CHECK_OK, "pool-flow",
            "pool-flow logins (@authing/wxmp 1.0) return to the pool's first registered callback",
            NULL, "用户池模式的登录（@authing/wxmp 1.0）返回用户池登记的第一个回调地址", NULL);
        return;
    }
    wx_snprintf(fix, sizeof(fix),
                "wxauth pool update %s --redirect https://your.site/wechat/callback (or a plain "
                "connection --callback URL)",
                x->conn->pool_id);
    wx_snprintf(msg, sizeof(msg),
                "pages built for @authing/wxmp 1.0 (pool flow: no app_id, no redirect_url) would "
                "have no callback page: the Callback URL is %s and the pool has no plain "
                "registered callback",
                cb[0] ? cb : "empty");
    add(arr, CONN_CHECK_WARN, "pool-flow", msg, fix,
        "按 @authing/wxmp 1.0 写的页面（只带用户池 ID）登录后无处可回",
        "给用户池登记回调地址（wxauth pool update … --redirect URL），或给连接填写具体的 "
        "Callback URL");
}

void
conn_check_static(json_t *arr, const conn_check_t *x, bool pool_plain, bool app_plain)
{
    if (!x->conn->app_secret[0]) {
        char fix[400];
        wx_snprintf(fix, sizeof(fix), "WX_SECRET=… %s --secret-env WX_SECRET", x->set_cmd);
        add(arr, CONN_CHECK_FAIL, "secret", "no App Secret is stored", fix, "没有保存 App Secret",
            "从 设置与开发 → 基本配置 复制开发者密码（AppSecret）填入连接");
    }
    check_callback(arr, x, app_plain);
    check_pool_flow(arr, x, pool_plain);
    if (x->conn->push_token[0])
        conn_check_follow(arr, x);
}

void
conn_check_follow(json_t *arr, const conn_check_t *x)
{
    char msg[1600], msg_zh[1600], fix[700];
    add(arr, CONN_CHECK_OK, "push-token",
        "a message server Token is set: the account's pushes are checked with it, and computers "
        "may log in by following the account",
        NULL, "已设置消息服务器 Token：用它核对公众号推送的签名，电脑端可关注公众号登录", NULL);
    if (x->conn->push_aes_key[0]) {
        add(arr, CONN_CHECK_OK, "aes-key",
            "an EncodingAESKey is set: only encrypted pushes (safe or compat mode) are accepted",
            NULL, "已设置 EncodingAESKey：只接受加密的推送（安全模式或兼容模式）", NULL);
    } else {
        wx_snprintf(
            fix, sizeof(fix),
            "generate one with 随机生成 in 设置与开发 → 基本配置 → 服务器配置, choose 安全模式, "
            "and run: WX_AES_KEY=… %s --aes-key-env WX_AES_KEY",
            x->set_cmd);
        add(arr, CONN_CHECK_WARN, "aes-key",
            "no EncodingAESKey: plain pushes are accepted, signed with the Token only, and "
            "follow-to-login has no confirmation on the phone",
            fix,
            "没有设置 EncodingAESKey：接受明文推送（只用 Token 签名），而关注登录在手机上无需确认",
            "在 设置与开发 → 基本配置 → 服务器配置 随机生成 "
            "EncodingAESKey，选择安全模式，并填入连接");
    }
    if (!x->push_url[0]) {
        add(arr, CONN_CHECK_WARN, "push-url", "the server has no public_url for WeChat to push to",
            NULL, "服务器没有设置 public_url", "在配置中设置 [server] public_url");
        return;
    }
    wx_snprintf(msg, sizeof(msg),
                "in 设置与开发 → 基本配置 → 服务器配置 enter the URL %s, the same Token and "
                "EncodingAESKey, then 提交 and 启用 (WeChat checks the URL with a signed GET)",
                x->push_url);
    wx_snprintf(msg_zh, sizeof(msg_zh),
                "在 设置与开发 → 基本配置 → 服务器配置 填写服务器地址 %s、相同的 Token 和 "
                "EncodingAESKey，提交后启用",
                x->push_url);
    add(arr, CONN_CHECK_OK, "push-url", msg, NULL, msg_zh, NULL);
}

void
conn_check_txt(json_t *arr, const conn_check_t *x, const conn_check_http_t *h)
{
    const char *name = x->conn->txt_filename, *want = x->conn->txt_content, *url = x->txt_url;
    char fix[700], msg[1600];
    const char *fix_zh_file = "在 网页授权域名 设置处下载 MP_verify_….txt，填入连接的 Txt Filename "
                              "和 Txt Content（或 wxauth connection set --txt-file）";
    wx_snprintf(fix, sizeof(fix),
                "download the MP_verify_….txt that WeChat offers next to 网页授权域名 and run: "
                "%s --txt-file PATH/TO/MP_verify_….txt",
                x->set_cmd);
    if (!name[0] || !url[0] || !h) {
        add(arr, CONN_CHECK_WARN, "txt-file",
            "no verification file: WeChat asks for one when you save the webpage-authorization "
            "domain",
            fix, "没有域名校验文件：在微信后台保存网页授权域名时需要它", fix_zh_file);
        return;
    }
    if (!h->answered) {
        wx_snprintf(msg, sizeof(msg), "cannot fetch %s: %s", url,
                    h->timeout   ? "no answer in time"
                    : h->too_big ? "the answer is far longer than a verification file"
                                 : (h->error ? h->error : "no answer"));
        add(arr, CONN_CHECK_FAIL, "txt-file", msg,
            "WeChat fetches this exact URL: make [server] public_url's host reach wxauthd (DNS, "
            "firewall, proxy)",
            "无法取得域名校验文件：微信会访问同一个地址",
            "确认 public_url 的域名能访问到 wxauthd（DNS、防火墙、反向代理）");
        return;
    }
    if (h->status >= 300 && h->status < 400) {
        wx_snprintf(msg, sizeof(msg), "%s answered HTTP %ld (a redirect)", url, h->status);
        add(arr, CONN_CHECK_FAIL, "txt-file", msg,
            "WeChat does not follow redirects: pass /MP_verify_*.txt straight to wxauthd at this "
            "host's root",
            "校验文件地址返回了跳转：微信不跟随跳转",
            "让反向代理把根目录下的 /MP_verify_*.txt 直接交给 wxauthd");
    } else if (h->status != 200) {
        wx_snprintf(msg, sizeof(msg), "%s answered HTTP %ld instead of the file", url, h->status);
        add(arr, CONN_CHECK_FAIL, "txt-file", msg,
            "make the web server or proxy for this host pass /MP_verify_*.txt to wxauthd, and "
            "check that [server] public_url is the address WeChat uses",
            "域名根目录下取不到校验文件",
            "让该域名的 Web 服务器或反向代理把 /MP_verify_*.txt 交给 wxauthd，并确认 public_url "
            "就是微信访问的地址");
    } else if (!h->body || h->body_len != strlen(want) || memcmp(h->body, want, h->body_len) != 0) {
        wx_snprintf(fix, sizeof(fix),
                    "another server may be answering for this host, or the Txt Content is not "
                    "the file's: %s --txt-file PATH/TO/%s",
                    x->set_cmd, name);
        wx_snprintf(msg, sizeof(msg),
                    "%s answered, but not with the exact Txt Content (%zu bytes, expected %zu)",
                    url, strlen(h->body ? h->body : ""), strlen(want));
        add(arr, CONN_CHECK_FAIL, "txt-file", msg, fix, "校验文件的内容与微信给的不一致",
            "可能有别的服务器在回答这个域名，或 Txt Content 不是下载的文件内容：重新填入文件");
    } else {
        wx_snprintf(msg, sizeof(msg), "%s serves the exact content", url);
        add(arr, CONN_CHECK_OK, "txt-file", msg, NULL, "域名根目录下的校验文件内容正确", NULL);
    }
}

void
conn_check_wechat(json_t *arr, const conn_check_t *x, const char *api_base, const char *reason,
                  const char *message)
{
    char fix[700], msg[900];
    if (strcmp(reason, "accepted") == 0) {
        wx_snprintf(msg, sizeof(msg), "%s accepted App ID %s and its App Secret", api_base,
                    x->conn->appid);
        add(arr, CONN_CHECK_OK, "wechat", msg, NULL, "微信接受了 AppID 和 AppSecret", NULL);
    } else if (strcmp(reason, "wrong_secret") == 0 || strcmp(reason, "no_secret") == 0 ||
               strcmp(reason, "secret_unreadable") == 0) {
        wx_snprintf(fix, sizeof(fix),
                    "copy the App Secret again from 设置与开发 → 基本配置 (reset it there if "
                    "nobody has it) and run: WX_SECRET=… %s --secret-env WX_SECRET",
                    x->set_cmd);
        add(arr, CONN_CHECK_FAIL, "wechat", message, fix, "微信不接受 AppSecret（错误或已重置）",
            "从 设置与开发 → 基本配置 "
            "重新复制开发者密码（AppSecret；无人保存时在那里重置）并填入连接");
    } else if (strcmp(reason, "unknown_appid") == 0) {
        wx_snprintf(fix, sizeof(fix),
                    "copy the AppID (开发者ID) from 设置与开发 → 基本配置 and run: %s --appid wx…",
                    x->set_cmd);
        wx_snprintf(msg, sizeof(msg), "%s (the connection has %s)", message, x->conn->appid);
        add(arr, CONN_CHECK_FAIL, "wechat", msg, fix, "微信不认识这个 AppID",
            "从 设置与开发 → 基本配置 复制开发者ID（AppID）填入连接");
    } else if (strcmp(reason, "ip_not_whitelisted") == 0) {
        add(arr, CONN_CHECK_WARN, "wechat", message,
            "logins do not need it; to let doctor check the secret, add the server's public IP "
            "under 设置与开发 → 基本配置 → IP白名单",
            "本服务器的 IP 不在公众号的 IP 白名单中，无法核对 AppSecret（登录不受影响）",
            "如需核对，在 设置与开发 → 基本配置 → IP白名单 加入服务器的公网 IP");
    } else if (strcmp(reason, "unreachable") == 0 || strcmp(reason, "timeout") == 0) {
        add(arr, CONN_CHECK_FAIL, "wechat", message,
            "check [wechat] api_base, and that the server can reach it (DNS, firewall, outbound "
            "proxy); with the emulator, that it is running",
            "服务器连不上微信接口",
            "检查 [wechat] api_base，以及服务器能否访问它（DNS、防火墙、出站代理）；"
            "使用模拟器时确认它在运行");
    } else {
        add(arr, CONN_CHECK_FAIL, "wechat", message,
            "look the error code up in WeChat's global return codes (全局返回码)", "微信返回了错误",
            "在微信的全局返回码中查找这个错误码");
    }
}

/* host[:port] of an http(s) URL into out. */
static bool
url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    if (!p)
        return false;
    p += 3;
    size_t l = strcspn(p, "/?#");
    if (l == 0 || l >= n)
        return false;
    memcpy(out, p, l);
    out[l] = '\0';
    return true;
}

static bool
host_is_ip(const char *host)
{
    if (host[0] == '[')
        return true;
    for (const char *p = host; *p && *p != ':'; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return false;
    return true;
}

bool
conn_check_probe_wanted(const char *authorize_url)
{
    return authorize_url &&
           strncmp(authorize_url, REAL_WECHAT_AUTHORIZE, strlen(REAL_WECHAT_AUTHORIZE)) != 0;
}

/* WeChat's (and the emulator's) authorize error pages show "errcode: N" (or "错误码: N"). */
static long
page_errcode(const char *body)
{
    const char *p = body ? strstr(body, "errcode") : NULL;
    if (!p)
        return 0;
    p += 7;
    for (int i = 0; i < 8 && *p && (*p < '0' || *p > '9'); i++)
        p++;
    long v = 0;
    for (int i = 0; i < 7 && *p >= '0' && *p <= '9'; i++, p++)
        v = v * 10 + (*p - '0');
    return v;
}

void
conn_check_domain(json_t *arr, const conn_check_t *x, const char *api_base,
                  const conn_check_http_t *h)
{
    char host[300], msg[1200], fix[600];
    const char *redirect = x->redirect_uri;
    bool real = api_base && strncmp(api_base, REAL_WECHAT_API, strlen(REAL_WECHAT_API)) == 0;
    if (!url_host(redirect, host, sizeof(host))) {
        add(arr, CONN_CHECK_WARN, "domain", "the server has no public_url to return to", NULL,
            "服务器没有设置 public_url", "在配置中设置 [server] public_url");
        return;
    }
    if (real && strchr(host[0] == '[' ? strchr(host, ']') : host, ':')) {
        wx_snprintf(msg, sizeof(msg),
                    "WeChat returns to %s, but a webpage-authorization domain cannot have a port",
                    redirect);
        add(arr, CONN_CHECK_FAIL, "domain", msg,
            "serve wxauthd on port 443 (or 80) behind a proxy and set [server] public_url without "
            "a port",
            "网页授权域名不能带端口",
            "让 wxauthd 在 443（或 80）端口对外服务，public_url 不写端口");
        return;
    }
    if (real && (host_is_ip(host) || strncmp(host, "localhost", 9) == 0)) {
        wx_snprintf(msg, sizeof(msg),
                    "WeChat returns to %s, but a webpage-authorization domain must be a domain "
                    "name, not an IP address",
                    redirect);
        add(arr, CONN_CHECK_FAIL, "domain", msg,
            "give wxauthd a registered domain name and set [server] public_url to it",
            "网页授权域名必须是域名，不能是 IP 地址",
            "给 wxauthd 一个已备案的域名，并设为 public_url");
        return;
    }
    if (h) { /* the authorize page was asked about redirect_uri (not real WeChat) */
        long code = h->answered ? page_errcode(h->body) : 0;
        if (h->answered && code == 10003) {
            wx_snprintf(msg, sizeof(msg),
                        "WeChat (here %s) refused to return to %s (10003 redirect_uri domain "
                        "does not match): the account's 网页授权域名 is not %s",
                        api_base ? api_base : "?", redirect, host);
            wx_snprintf(fix, sizeof(fix),
                        "enter %s as %s (or set [server] public_url to the domain entered there)",
                        host, WHERE_DOMAIN);
            add(arr, CONN_CHECK_FAIL, "domain", msg, fix,
                "回调域名与公众号的网页授权域名不一致（微信错误 10003）",
                "在 设置与开发 → 公众号设置 → 功能设置 → 网页授权域名 填写 public_url 的域名，"
                "或把 public_url 改为那里填写的域名");
            return;
        }
        if (h->answered && (h->status == 200 || (h->status >= 300 && h->status < 400)) &&
            code == 0) {
            wx_snprintf(msg, sizeof(msg),
                        "WeChat (here %s) accepts %s as 网页授权域名: it returns to %s", api_base,
                        host, redirect);
            add(arr, CONN_CHECK_OK, "domain", msg, NULL, "回调域名与网页授权域名一致", NULL);
            return;
        }
        if (h->answered && code) {
            wx_snprintf(msg, sizeof(msg),
                        "the authorize page answered errcode %ld for this connection, so the "
                        "domain could not be checked",
                        code);
        } else {
            wx_snprintf(msg, sizeof(msg), "the authorize page could not be asked: %s",
                        h->answered  ? "unexpected answer"
                        : h->timeout ? "no answer in time"
                                     : (h->error ? h->error : "no answer"));
        }
        wx_snprintf(fix, sizeof(fix), "check [wechat] authorize_url; enter %s as %s", host,
                    WHERE_DOMAIN);
        add(arr, CONN_CHECK_WARN, "domain", msg, fix, "无法向授权页核对网页授权域名",
            "检查 [wechat] authorize_url；网页授权域名应填写 public_url 的域名");
        return;
    }
    if (real) {
        wx_snprintf(msg, sizeof(msg), "WeChat returns to %s: enter %s as %s", redirect, host,
                    WHERE_DOMAIN);
        add(arr, CONN_CHECK_OK, "domain", msg, NULL,
            "网页授权域名请填写 public_url 的域名（微信后台不提供查询，无法自动核对）", NULL);
    } else {
        wx_snprintf(msg, sizeof(msg),
                    "WeChat (here %s) returns to %s; with real WeChat, %s must be %s",
                    api_base ? api_base : "unknown", redirect, WHERE_DOMAIN, host);
        add(arr, CONN_CHECK_OK, "domain", msg, NULL, "网页授权域名请填写 public_url 的域名", NULL);
    }
}

void
conn_check_website(json_t *arr, const conn_check_t *x)
{
    char host[300], msg[900];
    if (!url_host(x->redirect_uri, host, sizeof(host))) {
        add(arr, CONN_CHECK_WARN, "domain", "the server has no public_url to return to", NULL,
            "服务器没有设置 public_url", "在配置中设置 [server] public_url");
        return;
    }
    wx_snprintf(msg, sizeof(msg),
                "WeChat returns to %s: the website app's 授权回调域 (Open Platform → 管理中心 → "
                "网站应用 → 开发信息) must be %s",
                x->redirect_uri, host);
    add(arr, CONN_CHECK_OK, "domain", msg, NULL, "网站应用的授权回调域请填写 public_url 的域名",
        NULL);
}

void
conn_check_count(const json_t *arr, int *failed, int *warned)
{
    size_t i;
    json_t *o;
    *failed = *warned = 0;
    json_array_foreach(arr, i, o)
    {
        const char *s = json_string_value(json_object_get(o, "status"));
        *failed += s && strcmp(s, "fail") == 0;
        *warned += s && strcmp(s, "warn") == 0;
    }
}
