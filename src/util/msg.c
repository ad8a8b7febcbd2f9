/* The message catalogue (msg.h) and the one page layout of wxauthd's user-facing pages:
 * WeUI-like (WeChat's own look), plain block CSS and an ES3 script, so the old WebViews that
 * WeChat users still have render it as intended. */
#include "msg.h"

#include <string.h>

#include "html.h"

#define P WX_MSG_KIND_PAGE
#define C WX_MSG_KIND_CALLBACK
#define WARN WX_MSG_ICON_WARN
#define INFO WX_MSG_ICON_INFO
#define WAIT WX_MSG_ICON_WAIT
#define RETRY WX_MSG_ACT_RETRY
#define RELOGIN WX_MSG_ACT_RELOGIN
#define BACK WX_MSG_ACT_BACK

/* Callback messages have no title and no button; their English is for docs and OIDC clients
 * (error_description must be ASCII, RFC 6749 §4.1.2.1). */
#define CB(id, key, zh, en) [id] = {key, C, WARN, BACK, NULL, NULL, zh, en}
#define CHAT(id, key, zh, en) [id] = {key, WX_MSG_KIND_CHAT, INFO, BACK, NULL, NULL, zh, en}
#define TEXT(id, key, zh, en) [id] = {key, WX_MSG_KIND_TEXT, INFO, BACK, NULL, NULL, zh, en}

static const wx_msg_t catalogue[WX_MSG_COUNT] = {
    [WX_MSG_PAGE_BUSY] = {"page.busy", P, WAIT, RETRY, "服务繁忙", "Server busy",
                          "登录的人太多了，请稍后重试。",
                          "Too many people are logging in right now. Please try again in a "
                          "moment."},
    [WX_MSG_PAGE_RATE_LIMITED] = {"page.rate_limited", P, WAIT, RETRY, "登录请求过于频繁",
                                  "Too many login requests",
                                  "您所在的网络登录请求过于频繁，请约 {} 秒后重试。",
                                  "Too many login requests from your network; please try again "
                                  "in about {} seconds."},
    [WX_MSG_PAGE_START_UNAVAILABLE] = {"page.start_unavailable", P, WAIT, RETRY, "暂时无法登录",
                                       "Login could not start", "服务暂时不可用，请稍后重试。",
                                       "The service is temporarily unavailable; please try "
                                       "again in a moment."},
    [WX_MSG_PAGE_START_FAILED] = {"page.start_failed", P, WARN, RETRY, "无法开始登录",
                                  "Login could not start",
                                  "登录没能开始，请重试。如果问题持续，请联系网站。",
                                  "The login could not start. Please try again; if it keeps "
                                  "happening, contact the site."},
    [WX_MSG_PAGE_INVALID_LINK] = {"page.invalid_link", P, WARN, BACK, "登录链接无效",
                                  "Invalid login link",
                                  "这个登录链接不完整或有误，请返回网站重新点击登录。",
                                  "This login link is incomplete or wrong. Go back to the site "
                                  "and tap its login button again."},
    [WX_MSG_PAGE_NOT_FOUND] = {"page.not_found", P, WARN, BACK, "页面不存在", "Page not found",
                               "这个地址不存在，请返回网站重新登录。",
                               "There is no page at this address. Go back to the site and log "
                               "in again."},
    [WX_MSG_PAGE_UNKNOWN_APP] =
        {"page.unknown_app", P, WARN, BACK, "应用不存在", "Unknown application",
         "这个登录链接指向的应用不存在，网站的登录设置可能有误，请联系网站。",
         "The application this login link names does not exist; the "
         "site's login set-up may be wrong. Please tell the site."},
    [WX_MSG_PAGE_UNKNOWN_POOL] =
        {"page.unknown_pool", P, WARN, BACK, "用户池不存在", "Unknown user pool",
         "这个登录链接指向的用户池不存在，网站的登录设置可能有误，请联系网站。",
         "The user pool this login link names does not exist; the "
         "site's login set-up may be wrong. Please tell the site."},
    [WX_MSG_PAGE_UNKNOWN_CONNECTION] = {"page.unknown_connection", P, WARN, BACK, "微信登录未配置",
                                        "Unknown WeChat connection",
                                        "网站没有配置这个微信登录方式，请联系网站。",
                                        "The site has not set up this WeChat login. Please "
                                        "tell the site."},
    [WX_MSG_PAGE_APP_POOL_MISMATCH] = {"page.app_pool_mismatch", P, WARN, BACK, "登录链接无效",
                                       "Application and user pool do not match",
                                       "登录链接中的应用与用户池不一致，请联系网站。",
                                       "The application and the user pool in this login link do "
                                       "not belong together. Please tell the site."},
    [WX_MSG_PAGE_CONNECTION_INCOMPLETE] = {"page.connection_incomplete", P, WARN, BACK,
                                           "微信登录尚未配置完成",
                                           "WeChat connection not configured",
                                           "网站的微信登录还没有配置完成，请稍后再试或联系网站。",
                                           "The site's WeChat login is not fully set up yet. "
                                           "Try again later or tell the site."},
    [WX_MSG_PAGE_REDIRECT_NOT_ALLOWED] = {"page.redirect_not_allowed", P, WARN, BACK,
                                          "回调地址不被允许", "This redirect_url is not allowed",
                                          "登录后要返回的地址不在网站允许的列表中，无法登录。"
                                          "请联系网站。",
                                          "The address to return to after the login is not on "
                                          "the site's allowed list, so the login cannot start. "
                                          "Please tell the site."},
    [WX_MSG_PAGE_NO_CALLBACK] = {"page.no_callback", P, WARN, BACK, "未配置登录后返回的页面",
                                 "No callback page configured",
                                 "网站没有设置登录后返回的页面，无法登录。请联系网站。",
                                 "The site has not set the page to return to after the login, "
                                 "so the login cannot start. Please tell the site."},
    [WX_MSG_PAGE_UNKNOWN_STATE] = {"page.unknown_state", P, WARN, BACK, "登录链接无效或已过期",
                                   "Unknown login link",
                                   "这个登录链接无效或已过期，请返回网站重新登录。",
                                   "This login link is unknown or too old. Go back to the site "
                                   "and log in again."},
    [WX_MSG_PAGE_OTHER_BROWSER] =
        {"page.other_browser", P, WARN, BACK, "请在原浏览器中登录",
         "Login started in another browser",
         "这个登录是在另一个浏览器中开始的。请在您正在使用的页面上重新点击登录。",
         "This login was started in another browser. Please log in "
         "again from the page you are on."},
    [WX_MSG_PAGE_LINK_USED] = {"page.link_used", P, WARN, RELOGIN, "登录链接已使用",
                               "This login link was already used",
                               "这个登录链接已经用过了，请重新登录。",
                               "This login link was already used. Please log in again."},
    [WX_MSG_PAGE_IN_PROGRESS] = {"page.in_progress", P, WAIT, RETRY, "正在登录",
                                 "Login still in progress", "微信响应较慢，请稍等片刻后刷新本页。",
                                 "WeChat is slow to answer. Please wait a moment and reload "
                                 "this page."},
    [WX_MSG_PAGE_LOGIN_FAILED] = {"page.login_failed", P, WARN, RELOGIN, "登录失败", "Login failed",
                                  "登录没有完成，请重新登录。",
                                  "The login did not finish. Please log in again."},
    [WX_MSG_PAGE_FINISH_UNAVAILABLE] = {"page.finish_unavailable", P, WAIT, RETRY,
                                        "暂时无法完成登录", "Login could not finish",
                                        "服务暂时不可用，请稍后刷新本页。",
                                        "The service is temporarily unavailable; please reload "
                                        "this page in a moment."},
    [WX_MSG_PAGE_TARGET_REVOKED] = {"page.target_revoked", P, WARN, BACK,
                                    "该应用已不允许此回调地址",
                                    "This application no longer allows this callback address",
                                    "登录过程中，网站删除了该应用或从允许列表中移除了此回调地址，"
                                    "登录已停止。请回到网站重新登录。",
                                    "While you were logging in, the site deleted this "
                                    "application or removed this callback address from its "
                                    "allowed list, so the login was stopped. Go back to the "
                                    "site and log in again."},
    [WX_MSG_PAGE_OPEN_IN_BROWSER] = {"page.open_in_browser", P, INFO, BACK, "请用浏览器打开",
                                     "Open in a browser", "此登录链接只能在浏览器中打开。",
                                     "This login link opens in a browser only (GET)."},
    [WX_MSG_PAGE_OPEN_IN_WECHAT] = {"page.open_in_wechat", P, INFO, BACK, "请在微信中打开",
                                    "Please open this page in WeChat",
                                    "此应用使用微信登录：请在微信中打开此链接（例如发送给自己或"
                                    "文件传输助手后点击）。",
                                    "This application signs you in with WeChat: open this link "
                                    "inside WeChat (send it to yourself or to File Transfer, "
                                    "then tap it)."},
    [WX_MSG_PAGE_OIDC_BAD_CLIENT] = {"page.oidc_bad_client", P, WARN, BACK, "应用不存在",
                                     "Unknown client_id",
                                     "登录请求中的应用不存在或有误，请联系网站。",
                                     "The application of this sign-in request is missing or "
                                     "unknown. Please tell the site."},
    [WX_MSG_PAGE_OIDC_BAD_REDIRECT] = {"page.oidc_bad_redirect", P, WARN, BACK, "返回地址未注册",
                                       "This redirect_uri is not registered",
                                       "登录后要返回的地址没有在网站的应用中注册，无法登录。请联系"
                                       "网站。",
                                       "The address to return to after signing in is not "
                                       "registered for this application. Please tell the "
                                       "site."},
    [WX_MSG_PAGE_INVALID_REQUEST] = {"page.invalid_request", P, WARN, BACK, "请求无效",
                                     "Invalid request", "这个请求无法处理，请返回后重试。",
                                     "This request cannot be handled. Please go back and try "
                                     "again."},
    [WX_MSG_PAGE_LOGOUT_REFUSED] = {"page.logout_refused", P, WARN, BACK, "退出登录失败",
                                    "Logout refused", "无法完成退出登录，请返回网站重试。",
                                    "The logout could not be done. Go back to the site and try "
                                    "again."},
    [WX_MSG_PAGE_SIGNED_OUT] = {"page.signed_out", P, INFO, BACK, "已退出登录",
                                "You are signed out", "您已退出登录，可以关闭此页面。",
                                "You are signed out of this site's WeChat login; you may close "
                                "this page."},

    /* Seen only without JavaScript (the form posts itself): its button is the form's. */
    [WX_MSG_PAGE_RETURNING] = {"page.returning", P, WAIT, BACK, "正在返回应用",
                               "Returning to the application", "请点击继续。", "Press continue."},
    [WX_MSG_PAGE_POPUP_OK] = {"page.popup_ok", P, INFO, BACK, "登录成功", "Logged in",
                              "正在返回原页面，此窗口将自动关闭。",
                              "Returning to the page that opened this window, which closes by "
                              "itself."},
    [WX_MSG_PAGE_POPUP_ERROR] = {"page.popup_error", P, WARN, BACK, "登录未完成",
                                 "Login not completed", "正在把结果告诉原页面，此窗口将自动关闭。",
                                 "The page that opened this window is told why; this window "
                                 "closes by itself."},
    [WX_MSG_PAGE_POPUP_NO_OPENER] = {"page.popup_no_opener", P, WARN, BACK, "无法返回原页面",
                                     "Cannot return to the page", "请关闭此窗口，回到原页面重试。",
                                     "The page that opened this window is gone, or this "
                                     "application has no registered web origin to answer "
                                     "(wxauth app update APP --web-origin ORIGIN). Close this "
                                     "window and try again."},
    /* Shown on the desktop QR page as a box above a link (desktop.c), only with [desktop]
     * scan_outside_wechat = on (the emulator's demo): real users never see it. */
    [WX_MSG_PAGE_DEMO_PHONE_LINK] =
        {"page.demo_phone_link", P, INFO, BACK, "演示模式：模拟手机扫码",
         "Demo mode: play the phone",
         "没有手机？在新标签页中打开下面的链接，即可模拟用微信扫描此二维码。",
         "No phone? Open the link below in a new tab to play WeChat "
         "scanning this code (the WeChat emulator; demo only)."},

    /* A computer's login link naming a desktop method (?desktop_method=, e.g. the console's
     * 测试 button) the pool has not set up: which one, and the detail box says how. */
    [WX_MSG_PAGE_DESKTOP_METHOD_OFF] = {"page.desktop_method_off", P, WARN, BACK,
                                        "此电脑端登录方式未配置",
                                        "This desktop login method is not set up",
                                        "网站没有配置这种电脑端扫码登录方式（{}），请返回网站，"
                                        "用其他方式登录。",
                                        "The site has not set up this desktop QR-code login "
                                        "method ({}). Go back to the site and log in another "
                                        "way."},

    /* The desktop login (handle/desktop.c, docs/desktop-login.md). The QR page and the phone's
     * confirmation page have layouts of their own: they read the title and the text of these
     * three entries (wx_msg), their labels next to values stay in desktop.c. */
    [WX_MSG_PAGE_DESKTOP_QR_SCAN] = {"page.desktop_qr_scan", P, INFO, BACK, "微信扫码登录",
                                     "Log in with WeChat",
                                     "请使用微信“扫一扫”扫描二维码，然后在手机上确认登录。",
                                     "Scan the code with WeChat on your phone, then confirm the "
                                     "login on the phone."},
    [WX_MSG_PAGE_DESKTOP_QR_FOLLOW] = {"page.desktop_qr_follow", P, INFO, BACK, "微信扫码登录",
                                       "Log in with WeChat",
                                       "请使用微信“扫一扫”扫描二维码并关注公众号（已关注的用户扫码"
                                       "即可），然后在公众号消息中点“确认登录”。",
                                       "Scan the code with WeChat and follow the account (if you "
                                       "already follow it, scanning is enough), then tap the "
                                       "confirm link in the account's message."},
    [WX_MSG_PAGE_DESKTOP_CONFIRM] = {"page.desktop_confirm", P, WARN, BACK, "确认在电脑上登录？",
                                     "Log in on a computer?",
                                     "如果不是你本人正在这台电脑上登录，请点击“拒绝”。不要确认别人"
                                     "发给你的二维码。",
                                     "If you are not logging in on this computer yourself, "
                                     "refuse. Never confirm a code someone sent you."},

    /* The computer's /desktop/finish: back to the page before it (the site's QR page, which a
     * reload gives a new code). */
    [WX_MSG_PAGE_DESKTOP_FINISH_FAILED] = {"page.desktop_finish_failed", P, WARN, BACK,
                                           "无法完成登录", "Login failed",
                                           "登录没能完成，请回到网站重新扫码登录。",
                                           "The login could not be completed. Go back to the "
                                           "site and scan a new QR code."},
    [WX_MSG_PAGE_DESKTOP_CONFIG_CHANGED] = {"page.desktop_config_changed", P, WARN, BACK,
                                            "无法完成登录", "Login could not finish",
                                            "登录过程中，网站的微信登录配置已更改，请回到网站重新"
                                            "登录。",
                                            "The site's WeChat login was changed during the "
                                            "login. Go back to the site and log in again."},
    [WX_MSG_PAGE_DESKTOP_UNKNOWN_TICKET] = {"page.desktop_unknown_ticket", P, WARN, BACK,
                                            "二维码无效", "Unknown QR code",
                                            "此二维码无效或已过期，请回到网站重新登录。",
                                            "This QR code is unknown or too old. Go back to the "
                                            "site and log in again."},
    [WX_MSG_PAGE_DESKTOP_REFUSED_ON_PHONE] = {"page.desktop_refused_on_phone", P, WARN, BACK,
                                              "已拒绝登录", "Login refused",
                                              "此登录已在手机上被拒绝。如需登录，请回到网站重新"
                                              "扫码。",
                                              "The login was refused on the phone. To log in, go "
                                              "back to the site and scan a new code."},
    [WX_MSG_PAGE_DESKTOP_OTHER_BROWSER] = {"page.desktop_other_browser", P, WARN, BACK,
                                           "登录属于另一个浏览器", "Another browser's login",
                                           "此登录属于另一台电脑或浏览器，无法在这里完成。",
                                           "This login belongs to another computer or browser "
                                           "and cannot be completed here."},
    [WX_MSG_PAGE_DESKTOP_ALREADY_USED] = {"page.desktop_already_used", P, WARN, BACK,
                                          "登录链接已使用", "Already used",
                                          "此二维码的登录已经完成，不能再次使用。请回到网站重新"
                                          "登录。",
                                          "This QR code's login was already completed; it cannot "
                                          "be used again. Go back to the site to log in again."},
    [WX_MSG_PAGE_DESKTOP_EXPIRED] = {"page.desktop_expired", P, WARN, BACK, "二维码已过期",
                                     "QR code expired", "二维码已过期，请回到网站重新扫码登录。",
                                     "The QR code expired. Go back to the site and scan a new "
                                     "one."},
    [WX_MSG_PAGE_DESKTOP_NOT_CONFIRMED] = {"page.desktop_not_confirmed", P, WAIT, BACK, "尚未确认",
                                           "Not confirmed yet",
                                           "手机上尚未确认登录，请返回上一页等待确认。",
                                           "The login is not confirmed on the phone yet. Go back "
                                           "and wait."},

    /* The phone: the QR code is on the computer, so the way on is there (刷新二维码); the
     * button goes back, or closes the page in WeChat. */
    [WX_MSG_PAGE_DESKTOP_PHONE_EXPIRED] = {"page.desktop_phone_expired", P, WARN, BACK,
                                           "二维码已过期", "QR code expired",
                                           "二维码已过期，请在电脑上点击“刷新二维码”后重新扫描。",
                                           "The QR code expired. Click \"New QR code\" on the "
                                           "computer and scan again."},
    [WX_MSG_PAGE_DESKTOP_PHONE_UNKNOWN_TICKET] = {"page.desktop_phone_unknown_ticket", P, WARN,
                                                  BACK, "二维码无效", "Unknown QR code",
                                                  "此二维码无效或已过期，请在电脑上刷新二维码后重新"
                                                  "扫描。",
                                                  "This QR code is unknown or too old. Get a new "
                                                  "one on the computer and scan it."},
    [WX_MSG_PAGE_DESKTOP_PHONE_USED] = {"page.desktop_phone_used", P, WARN, BACK, "二维码已被使用",
                                        "QR code already used",
                                        "此二维码已被扫描或已处理。如需登录，请在电脑上刷新二维码"
                                        "后重新扫描。",
                                        "This QR code was already scanned or used. To log in, get "
                                        "a new one on the computer and scan it."},
    [WX_MSG_PAGE_DESKTOP_BAD_QR] = {"page.desktop_bad_qr", P, WARN, BACK, "二维码无效",
                                    "Invalid QR code", "二维码内容不完整，请重新扫描。",
                                    "The QR code's link is incomplete. Please scan it again."},
    [WX_MSG_PAGE_DESKTOP_NOT_IN_WECHAT] = {"page.desktop_not_in_wechat", P, INFO, BACK,
                                           "请使用微信扫码", "Scan with WeChat",
                                           "请用手机微信的“扫一扫”扫描电脑上的二维码。此链接不能在"
                                           "其他浏览器中完成登录。",
                                           "Scan the code on the computer with WeChat on your "
                                           "phone. This link cannot complete a login in another "
                                           "browser."},
    [WX_MSG_PAGE_DESKTOP_FOLLOW_NOT_SCANNED] = {"page.desktop_follow_not_scanned", P, INFO, BACK,
                                                "请先扫码", "Scan the QR code first",
                                                "请先用微信“扫一扫”扫描电脑上的二维码（关注公众"
                                                "号），再点公众号消息中的“确认登录”。",
                                                "Scan the QR code on the computer with WeChat "
                                                "first (follow the account), then tap the confirm "
                                                "link in the account's message."},
    [WX_MSG_PAGE_DESKTOP_FOLLOW_OTHER_USER] = {"page.desktop_follow_other_user", P, WARN, BACK,
                                               "无法确认", "Cannot confirm",
                                               "此确认链接属于扫码关注的另一个微信用户，可能是被转"
                                               "发的链接。请勿确认别人发给你的登录请求；如需登录，"
                                               "请自己扫描电脑上的二维码。",
                                               "This confirmation link belongs to the WeChat user "
                                               "who scanned the code (it was forwarded). Never "
                                               "confirm a login someone sent you; to log in, scan "
                                               "the code on the computer yourself."},
    /* /desktop/phone?code=: the phone's WeChat login ended on an error; only the code is read,
     * so a crafted link cannot put words of its own on the page. */
    [WX_MSG_PAGE_DESKTOP_PHONE_FAILED] = {"page.desktop_phone_failed", P, WARN, BACK, "登录未完成",
                                          "Login not completed",
                                          "登录未完成，请在电脑上刷新二维码后重试。",
                                          "The login did not complete. Get a new QR code on the "
                                          "computer and try again."},
    [WX_MSG_PAGE_DESKTOP_PHONE_DENIED] = {"page.desktop_phone_denied", P, INFO, BACK, "登录未完成",
                                          "Login not completed",
                                          "你取消了微信授权，电脑上的登录不会完成。",
                                          "You declined WeChat's authorization: the computer "
                                          "will not be logged in."},
    [WX_MSG_PAGE_DESKTOP_PHONE_BLOCKED] = {"page.desktop_phone_blocked", P, WARN, BACK,
                                           "登录未完成", "Login not completed",
                                           "此账号已被网站停用，无法登录。",
                                           "This account has been blocked by the site and cannot "
                                           "log in."},
    [WX_MSG_PAGE_DESKTOP_PHONE_SNAPSHOT] = {"page.desktop_phone_snapshot", P, WARN, BACK,
                                            "登录未完成", "Login not completed",
                                            "请在完整页面中打开后重新扫码。",
                                            "Open the full page, then scan again."},
    [WX_MSG_PAGE_DESKTOP_PHONE_WECHAT_DOWN] = {"page.desktop_phone_wechat_down", P, WAIT, BACK,
                                               "登录未完成", "Login not completed",
                                               "暂时无法连接微信，请在电脑上刷新二维码后重试。",
                                               "WeChat could not be reached. Get a new QR code on "
                                               "the computer and try again."},
    [WX_MSG_PAGE_DESKTOP_CONFIRMED] = {"page.desktop_confirmed", P, INFO, BACK, "已确认登录",
                                       "Login confirmed", "已确认，请回到电脑上继续。",
                                       "Confirmed: continue on the computer."},
    [WX_MSG_PAGE_DESKTOP_REFUSED] = {"page.desktop_refused", P, INFO, BACK, "已拒绝登录",
                                     "Login refused", "已拒绝，电脑上的登录不会完成。",
                                     "Refused: the computer will not be logged in."},
    [WX_MSG_PAGE_DESKTOP_CONFIRM_STALE] = {"page.desktop_confirm_stale", P, WARN, BACK, "无法确认",
                                           "Cannot confirm",
                                           "确认页面已失效，请重新扫描电脑上的二维码。",
                                           "This confirmation page is not valid for this phone. "
                                           "Scan the code on the computer again."},
    [WX_MSG_PAGE_DESKTOP_ALREADY_DECIDED] = {"page.desktop_already_decided", P, INFO, BACK,
                                             "此登录已处理", "Already decided",
                                             "此登录已经确认或拒绝，不能更改。",
                                             "This login was already confirmed or refused; it "
                                             "cannot be changed."},
    [WX_MSG_PAGE_DESKTOP_OTHER_PHONE] = {"page.desktop_other_phone", P, WARN, BACK, "无法确认",
                                         "Cannot confirm", "此登录请求不属于这台手机。",
                                         "This login request does not belong to this phone."},
    /* A POST: nothing to reload; back to the confirmation page, whose buttons post again. */
    [WX_MSG_PAGE_DESKTOP_CONFIRM_UNAVAILABLE] = {"page.desktop_confirm_unavailable", P, WAIT, BACK,
                                                 "暂时无法确认", "Could not confirm",
                                                 "服务暂时不可用，请返回确认页面，稍后重试。",
                                                 "The service is temporarily unavailable. Go back "
                                                 "to the confirmation page and try again in a "
                                                 "moment."},

    CB(WX_MSG_CB_OK, "cb.ok", "登录成功", "Logged in"),
    CB(WX_MSG_CB_DENIED, "cb.denied", "用户取消了授权", "The user declined the authorization"),
    CB(WX_MSG_CB_EXPIRED, "cb.expired", "登录链接已过期，请重新登录",
       "The login link expired, please log in again"),
    CB(WX_MSG_CB_BLOCKED, "cb.blocked", "该账号已被禁用，请联系网站管理员",
       "This account has been blocked"),
    CB(WX_MSG_CB_SNAPSHOT, "cb.snapshot", "当前是朋友圈快照页，请打开完整页面后再登录",
       "This is a snapshot preview: open the full page to log in"),
    CB(WX_MSG_CB_INTERRUPTED, "cb.interrupted", "登录被中断，请重新登录",
       "The login was interrupted, please log in again"),
    CB(WX_MSG_CB_QUEUE_FULL, "cb.queue_full", "登录人数过多，请稍后重试",
       "Too many logins at once, please try again"),
    CB(WX_MSG_CB_LOCAL_RESOURCES, "cb.local_resources", "服务器繁忙，请稍后重试",
       "The login server is overloaded, please try again later"),
    CB(WX_MSG_CB_SHUTDOWN, "cb.shutdown", "服务正在重启，请重新登录",
       "The server is restarting, please log in again"),
    CB(WX_MSG_CB_WECHAT_TIMEOUT, "cb.wechat_timeout", "微信响应超时，请重试",
       "WeChat did not answer in time, please try again"),
    CB(WX_MSG_CB_WECHAT_UNREACHABLE, "cb.wechat_unreachable", "无法连接微信，请重试",
       "WeChat could not be reached, please try again"),
    CB(WX_MSG_CB_WECHAT_MISMATCH, "cb.wechat_mismatch", "微信返回的用户信息不一致，请重新登录",
       "WeChat returned the profile of another user, please log in again"),
    CB(WX_MSG_CB_INTERNAL, "cb.internal", "服务器出错，登录没有完成，请重新登录",
       "Login failed on the server, please try again"),
    CB(WX_MSG_CB_CONNECTION_GONE, "cb.connection_gone",
       "网站的微信登录配置已被删除，请联系网站管理员",
       "The WeChat connection is no longer configured"),
    CB(WX_MSG_CB_WRONG_CONNECTION, "cb.wrong_connection", "登录返回到了错误的地址，请重新登录",
       "The login came back to the wrong connection"),
    CB(WX_MSG_CB_SECRET_UNREADABLE, "cb.secret_unreadable",
       "网站的微信登录配置无法读取，请联系网站管理员",
       "The WeChat connection's App Secret cannot be read"),
    CB(WX_MSG_CB_OPENID_OTHER_POOL, "cb.openid_other_pool",
       "此微信账号已在另一个用户池登录过，请联系网站管理员",
       "This WeChat account belongs to another user pool of this site: the site's WeChat "
       "connection is set up twice"),
    CB(WX_MSG_CB_WECHAT_SYSTEM, "cb.wechat_system", "微信系统繁忙，请稍后重试",
       "WeChat is busy (system error), please try again"),
    CB(WX_MSG_CB_WECHAT_BAD_SECRET, "cb.wechat_bad_secret",
       "网站的微信公众号配置有误（AppSecret 无效），请联系网站管理员",
       "WeChat refused the site's App Secret: the site must fix its WeChat connection"),
    CB(WX_MSG_CB_WECHAT_BAD_APPID, "cb.wechat_bad_appid",
       "网站的微信公众号配置有误（AppID 无效），请联系网站管理员",
       "WeChat refused the site's App ID: the site must fix its WeChat connection"),
    CB(WX_MSG_CB_WECHAT_BAD_CODE, "cb.wechat_bad_code", "微信登录凭证无效，请重新登录",
       "WeChat did not accept the login code, please log in again"),
    CB(WX_MSG_CB_WECHAT_CODE_USED, "cb.wechat_code_used", "微信登录凭证已被使用，请重新登录",
       "The WeChat login code was already used, please log in again"),
    CB(WX_MSG_CB_WECHAT_CODE_EXPIRED, "cb.wechat_code_expired", "微信登录凭证已过期，请重新登录",
       "The WeChat login code expired, please log in again"),
    CB(WX_MSG_CB_WECHAT_BAD_OPENID, "cb.wechat_bad_openid", "微信用户标识无效，请重新登录",
       "WeChat did not accept the user's openid, please log in again"),
    CB(WX_MSG_CB_WECHAT_TOKEN_EXPIRED, "cb.wechat_token_expired", "微信授权已过期，请重新登录",
       "WeChat's authorization expired, please log in again"),
    CB(WX_MSG_CB_WECHAT_QUOTA, "cb.wechat_quota", "微信接口调用过于频繁，请稍后重试",
       "The site reached WeChat's call quota, please try again later"),
    CB(WX_MSG_CB_WECHAT_UNAUTHORIZED, "cb.wechat_unauthorized",
       "网站的微信公众号没有网页授权权限，请联系网站管理员",
       "The site's official account may not use WeChat's webpage authorization"),
    CB(WX_MSG_CB_WECHAT_OTHER, "cb.wechat_other", "微信登录失败，请重新登录",
       "WeChat refused the login, please log in again"),
    CHAT(
        WX_MSG_CHAT_FOLLOW_CONFIRM, "chat.follow_confirm",
        "你正在电脑上登录「{}」。如果是你本人正在这台电脑上登录，请点击下面的“确认登录”；如果不是，"
        "请不要点击：不要确认别人发给你的二维码。",
        "Logging in to {} on a computer: tap the confirm link below if it is you. If it is "
        "not you, ignore this message."),
    CHAT(WX_MSG_CHAT_FOLLOW_EXPIRED, "chat.follow_expired",
         "二维码已过期，请在电脑上点击“刷新二维码”后重新扫描。",
         "The QR code expired: get a new one on the computer and scan again."),
    CHAT(WX_MSG_CHAT_FOLLOW_USED, "chat.follow_used",
         "此二维码已被使用，请在电脑上点击“刷新二维码”后重新扫描。",
         "This QR code was already used: get a new one on the computer and scan again."),
    TEXT(WX_MSG_TEXT_DESKTOP_SCANNED, "text.desktop_scanned", "已扫码，请在手机上确认登录。",
         "Scanned: confirm the login on your phone."),
    TEXT(WX_MSG_TEXT_DESKTOP_CONFIRMED, "text.desktop_confirmed", "已确认，正在登录…",
         "Confirmed: logging you in..."),
    TEXT(WX_MSG_TEXT_DESKTOP_REFUSED, "text.desktop_refused", "已在手机上拒绝登录。",
         "The login was refused on the phone."),
    TEXT(WX_MSG_TEXT_DESKTOP_USED, "text.desktop_used", "此二维码已使用。",
         "This QR code was already used."),
    TEXT(WX_MSG_TEXT_DESKTOP_EXPIRED, "text.desktop_expired", "二维码已过期，请点击“刷新二维码”。",
         "The QR code expired: get a new one."),
    TEXT(WX_MSG_TEXT_DESKTOP_NETWORK, "text.desktop_network", "网络错误，请刷新页面。",
         "Network error: reload the page."),
};

const wx_msg_t *
wx_msg(wx_msg_id_t id)
{
    if ((int)id <= WX_MSG_NONE || id >= WX_MSG_COUNT || !catalogue[id].key)
        id = WX_MSG_PAGE_LOGIN_FAILED;
    return &catalogue[id];
}

bool
wx_msg_fill(const char *text, const char *arg, char *out, size_t n)
{
    const char *hole = strstr(text, "{}");
    if (!hole)
        return wx_strlcpy(out, text, n);
    return wx_snprintf(out, n, "%.*s%s%s", (int)(hole - text), text, arg ? arg : "", hole + 2);
}

const char *
wx_msg_text(wx_msg_id_t id)
{
    return wx_msg(id)->zh;
}

wx_msg_id_t
wx_msg_wechat(long errcode)
{
    switch (errcode) {
    case -1:
        return WX_MSG_CB_WECHAT_SYSTEM;
    case 40001:
    case 40125:
        return WX_MSG_CB_WECHAT_BAD_SECRET;
    case 40013:
        return WX_MSG_CB_WECHAT_BAD_APPID;
    case 40029:
    case 41008:
        return WX_MSG_CB_WECHAT_BAD_CODE;
    case 40163:
        return WX_MSG_CB_WECHAT_CODE_USED;
    case 42003:
        return WX_MSG_CB_WECHAT_CODE_EXPIRED;
    case 40003:
        return WX_MSG_CB_WECHAT_BAD_OPENID;
    case 40014:
    case 42001:
        return WX_MSG_CB_WECHAT_TOKEN_EXPIRED;
    case 45009:
    case 45011:
        return WX_MSG_CB_WECHAT_QUOTA;
    case 48001:
    case 50001:
        return WX_MSG_CB_WECHAT_UNAUTHORIZED;
    default:
        return WX_MSG_CB_WECHAT_OTHER;
    }
}

/* The first language range of the header, compared case-insensitively: "en" or "en-…" puts
 * English first; anything else (zh-CN, as WeChat sends, or none) keeps Chinese first. q-values
 * are not weighed: browsers list their first choice first. */
bool
wx_msg_english_first(const char *al)
{
    if (!al)
        return false;
    while (*al == ' ' || *al == '\t')
        al++;
    return (al[0] == 'e' || al[0] == 'E') && (al[1] == 'n' || al[1] == 'N') &&
           (al[2] == '\0' || al[2] == '-' || al[2] == ',' || al[2] == ';' || al[2] == ' ');
}

/* WeChat's green, its grey texts and its bottom-aligned buttons, without flexbox or variables. */
static const char page_style[] =
    "html{-webkit-text-size-adjust:100%}"
    "body{margin:0;background:#fff;color:#191919;font-family:-apple-system,"
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei',Helvetica,Arial,sans-serif;"
    "font-size:17px;line-height:1.5}"
    ".wx-page{max-width:480px;margin:0 auto;padding:48px 24px 24px;text-align:center}"
    ".wx-icon{width:64px;height:64px;line-height:64px;margin:0 auto 24px;border-radius:32px;"
    "color:#fff;font-size:40px;font-weight:bold}"
    ".wx-warn{background:#fa5151}.wx-info{background:#10aeff}.wx-wait{background:#ffc300}"
    "h1{font-size:22px;font-weight:500;margin:0 0 12px}"
    ".wx-text{margin:0 0 16px;word-wrap:break-word}"
    ".wx-alt{color:rgba(0,0,0,.55);font-size:14px;margin:0 0 24px}"
    ".wx-alt h2{font-size:15px;font-weight:500;margin:0 0 4px}.wx-alt p{margin:0}"
    ".wx-dev{text-align:left;background:#f7f7f7;border-radius:4px;padding:12px;margin:0 0 24px;"
    "font-size:13px;color:rgba(0,0,0,.65);word-wrap:break-word}"
    ".wx-dev p{margin:0}.wx-dev .wx-dev-h{font-weight:500;margin-bottom:4px}"
    ".wx-btn{display:block;max-width:280px;margin:0 auto 24px;padding:9px 16px;border-radius:4px;"
    "background:#07c160;color:#fff;font-size:17px;font-weight:500;text-decoration:none}"
    ".wx-foot{color:rgba(0,0,0,.3);font-size:12px;margin:0;word-wrap:break-word}";

/* The back button when the page knows no better address: the page before, or (a page opened
 * straight from a chat has none) WeChat's own close. ES3, no dependency. */
const char wx_msg_page_script[] =
    "(function(){var a=document.getElementById('wx-back');if(!a)return;"
    "a.onclick=function(){if(history.length>1){history.back()}"
    "else if(window.WeixinJSBridge){WeixinJSBridge.call('closeWindow')}"
    "else{window.close()}return false}})();";

/* s with "{}" replaced by arg, escaped. */
static wx_status_t
put_text(wx_buf_t *b, const char *s, const char *arg)
{
    wx_status_t rc = WX_OK;
    while (rc == WX_OK && *s) {
        const char *hole = strstr(s, "{}");
        size_t n = hole ? (size_t)(hole - s) : strlen(s);
        char part[1024];
        while (rc == WX_OK && n > 0) { /* escaped a slice at a time: no copy of s */
            size_t k = n < sizeof(part) - 1 ? n : sizeof(part) - 1;
            memcpy(part, s, k);
            part[k] = '\0';
            rc = wx_html_escape(b, part);
            s += k;
            n -= k;
        }
        if (hole && rc == WX_OK) {
            rc = wx_html_escape(b, arg ? arg : "");
            s += 2;
        }
    }
    return rc;
}

static const char *
action_label(wx_msg_action_t a)
{
    return a == WX_MSG_ACT_RETRY     ? "重试 · Try again"
           : a == WX_MSG_ACT_RELOGIN ? "重新登录 · Log in again"
                                     : "返回 · Back";
}

wx_status_t
wx_msg_page_render(wx_buf_t *b, const wx_msg_page_t *p)
{
    const wx_msg_t *m = wx_msg(p->id);
    bool en = wx_msg_english_first(p->accept_language);
    const char *t1 = en ? m->title_en : m->title_zh, *t2 = en ? m->title_zh : m->title_en;
    const char *x1 = en ? m->en : m->zh, *x2 = en ? m->zh : m->en;
    const char *icon = m->icon == WX_MSG_ICON_INFO   ? "wx-info\">i"
                       : m->icon == WX_MSG_ICON_WAIT ? "wx-wait\">&hellip;"
                                                     : "wx-warn\">!";
    const char *url = p->action_url && *p->action_url ? p->action_url : NULL;
    /* Nothing to retry or restart from: back to where the user came from. */
    wx_msg_action_t act = url ? m->action : WX_MSG_ACT_BACK;
    wx_status_t rc = WX_OK;
#define PUT(call)                                                                                  \
    do {                                                                                           \
        if (rc == WX_OK)                                                                           \
            rc = (call);                                                                           \
    } while (0)
    PUT(wx_buf_printf(b,
                      "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                      "<title>",
                      en ? "en" : "zh-CN"));
    PUT(wx_html_escape(b, t1));
    PUT(wx_buf_puts(b, " &middot; "));
    PUT(wx_html_escape(b, t2));
    PUT(wx_buf_printf(b, "</title><style>%s</style></head><body><div class=\"wx-page\">",
                      page_style));
    PUT(wx_buf_printf(b, "<div class=\"wx-icon %s</div><h1", icon));
    if (p->outcome && *p->outcome) { /* what the log says: tests and scripts read it */
        PUT(wx_buf_puts(b, " data-outcome=\""));
        PUT(wx_html_escape(b, p->outcome));
        PUT(wx_buf_puts(b, "\""));
    }
    PUT(wx_buf_puts(b, ">"));
    PUT(wx_html_escape(b, t1));
    PUT(wx_buf_puts(b, "</h1><p class=\"wx-text\">"));
    PUT(put_text(b, x1, p->arg));
    PUT(wx_buf_printf(b, "</p><div class=\"wx-alt\" lang=\"%s\"><h2>", en ? "zh-CN" : "en"));
    PUT(wx_html_escape(b, t2));
    PUT(wx_buf_puts(b, "</h2><p>"));
    PUT(put_text(b, x2, p->arg));
    PUT(wx_buf_puts(b, "</p></div>"));
    if (p->detail && *p->detail) {
        PUT(wx_buf_puts(b, "<div class=\"wx-dev\"><p class=\"wx-dev-h\">给网站开发者 &middot; "
                           "For the site&#39;s developer</p><p>"));
        PUT(wx_html_escape(b, p->detail));
        PUT(wx_buf_puts(b, "</p></div>"));
    }
    PUT(wx_buf_printf(b, "<a class=\"wx-btn\"%s href=\"", url ? "" : " id=\"wx-back\""));
    PUT(wx_html_escape(b, url ? url : "#"));
    PUT(wx_buf_printf(b, "\">%s</a><p class=\"wx-foot\">", action_label(act)));
    if (p->code)
        PUT(wx_buf_printf(b, "错误码 Code %ld &middot; ", p->code));
    PUT(wx_buf_printf(b, "HTTP %d &middot; 请求编号 Request ID ", p->status));
    PUT(wx_html_escape(b, p->rid ? p->rid : "-"));
    PUT(wx_buf_printf(b, "</p></div><script>%s</script></body></html>\n", wx_msg_page_script));
#undef PUT
    return rc;
}
