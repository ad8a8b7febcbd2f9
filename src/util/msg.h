/* The one catalogue of what a WeChat user can read: every page wxauthd shows and every
 * `message` a business callback receives, each in Chinese (zh-CN) and English, by id. Handlers
 * name an id; they never write user text themselves. How to add one: src/util/README.md. */
#ifndef WX_UTIL_MSG_H
#define WX_UTIL_MSG_H

#include "buf.h"
#include "wx.h"

typedef enum {
    WX_MSG_NONE = 0,
    /* ---- pages (wx_msg_page_render) ---- */
    WX_MSG_PAGE_BUSY,                  /* out of memory, too many logins at once */
    WX_MSG_PAGE_RATE_LIMITED,          /* 429; {} = seconds to wait */
    WX_MSG_PAGE_START_UNAVAILABLE,     /* the store cannot be used: nothing sent to WeChat */
    WX_MSG_PAGE_START_FAILED,          /* the login could not start (our side) */
    WX_MSG_PAGE_INVALID_LINK,          /* a malformed login link (which part: the detail) */
    WX_MSG_PAGE_NOT_FOUND,             /* no such login address */
    WX_MSG_PAGE_UNKNOWN_APP,           /* app_id names no application */
    WX_MSG_PAGE_UNKNOWN_POOL,          /* no user pool with that id */
    WX_MSG_PAGE_UNKNOWN_CONNECTION,    /* no WeChat connection with that identifier */
    WX_MSG_PAGE_APP_POOL_MISMATCH,     /* app_id of another pool than the path's */
    WX_MSG_PAGE_CONNECTION_INCOMPLETE, /* App ID or App Secret not set */
    WX_MSG_PAGE_REDIRECT_NOT_ALLOWED,  /* redirect_url not in the allow-lists */
    WX_MSG_PAGE_NO_CALLBACK,           /* no page to come back to is configured */
    WX_MSG_PAGE_UNKNOWN_STATE,         /* callback with an unknown or missing state */
    WX_MSG_PAGE_OTHER_BROWSER,         /* callback in another browser than the start */
    WX_MSG_PAGE_LINK_USED,             /* callback reloaded after the replay window */
    WX_MSG_PAGE_IN_PROGRESS,           /* a reload waited too long for WeChat */
    WX_MSG_PAGE_LOGIN_FAILED,          /* our side failed at the callback */
    WX_MSG_PAGE_FINISH_UNAVAILABLE,    /* the store cannot be used at the callback */
    WX_MSG_PAGE_TARGET_REVOKED,        /* the callback address was removed during the login */
    WX_MSG_PAGE_OPEN_IN_BROWSER,       /* HEAD on a login address */
    WX_MSG_PAGE_OPEN_IN_WECHAT,        /* /oidc/auth outside WeChat (200) */
    WX_MSG_PAGE_OIDC_BAD_CLIENT,       /* /oidc/auth: client_id missing or unknown */
    WX_MSG_PAGE_OIDC_BAD_REDIRECT,     /* /oidc/auth: redirect_uri missing or not registered */
    WX_MSG_PAGE_INVALID_REQUEST,       /* a form or parameter that cannot be read */
    WX_MSG_PAGE_LOGOUT_REFUSED,        /* /oidc/session/end refused */
    WX_MSG_PAGE_SIGNED_OUT,            /* /oidc/session/end done (200) */
    WX_MSG_PAGE_RETURNING,             /* form_post: the page that posts back to the client */
    WX_MSG_PAGE_POPUP_OK,              /* authing-js-sdk popup: logged in, closing (popup.c) */
    WX_MSG_PAGE_POPUP_ERROR,           /* popup: the login did not complete, closing */
    WX_MSG_PAGE_POPUP_NO_OPENER,       /* popup: nobody to tell (shown by its script) */
    WX_MSG_PAGE_DEMO_PHONE_LINK,       /* desktop QR page, scan_outside_wechat only: a link */
    WX_MSG_PAGE_DESKTOP_METHOD_OFF,    /* ?desktop_method= names a method not set up; {} = it */
    /* the desktop login (handle/desktop.c): fixed texts of its QR and confirmation pages */
    WX_MSG_PAGE_DESKTOP_QR_SCAN,   /* QR page, scan method: title and what to do */
    WX_MSG_PAGE_DESKTOP_QR_FOLLOW, /* QR page, follow method (scan, follow, 确认登录) */
    WX_MSG_PAGE_DESKTOP_CONFIRM,   /* phone's confirmation page: question and warning */
    /* ... the computer's /desktop/finish */
    WX_MSG_PAGE_DESKTOP_FINISH_FAILED,    /* our side could not finish (record, user, rand) */
    WX_MSG_PAGE_DESKTOP_CONFIG_CHANGED,   /* pool, connection or app deleted meanwhile */
    WX_MSG_PAGE_DESKTOP_UNKNOWN_TICKET,   /* no such ticket */
    WX_MSG_PAGE_DESKTOP_REFUSED_ON_PHONE, /* the phone refused */
    WX_MSG_PAGE_DESKTOP_OTHER_BROWSER,    /* the ticket is another browser's */
    WX_MSG_PAGE_DESKTOP_ALREADY_USED,     /* the login was already taken */
    WX_MSG_PAGE_DESKTOP_EXPIRED,          /* the QR code expired */
    WX_MSG_PAGE_DESKTOP_NOT_CONFIRMED,    /* finish before the phone confirmed */
    /* ... the phone (/desktop/scan, the WeChat callback, /desktop/phone, /desktop/confirm) */
    WX_MSG_PAGE_DESKTOP_PHONE_EXPIRED,        /* the QR code expired */
    WX_MSG_PAGE_DESKTOP_PHONE_UNKNOWN_TICKET, /* no such ticket */
    WX_MSG_PAGE_DESKTOP_PHONE_USED,           /* scanned already, or decided */
    WX_MSG_PAGE_DESKTOP_BAD_QR,               /* /desktop/scan without a valid t */
    WX_MSG_PAGE_DESKTOP_NOT_IN_WECHAT,        /* /desktop/scan outside WeChat (or HEAD) */
    WX_MSG_PAGE_DESKTOP_FOLLOW_NOT_SCANNED,   /* follow ticket's link before its scan */
    WX_MSG_PAGE_DESKTOP_FOLLOW_OTHER_USER,    /* follow ticket's link forwarded to another */
    WX_MSG_PAGE_DESKTOP_PHONE_FAILED,         /* /desktop/phone: any other code */
    WX_MSG_PAGE_DESKTOP_PHONE_DENIED,         /* /desktop/phone: the user declined */
    WX_MSG_PAGE_DESKTOP_PHONE_BLOCKED,        /* /desktop/phone: account blocked */
    WX_MSG_PAGE_DESKTOP_PHONE_SNAPSHOT,       /* /desktop/phone: a Moments snapshot page */
    WX_MSG_PAGE_DESKTOP_PHONE_WECHAT_DOWN,    /* /desktop/phone: WeChat unreachable */
    WX_MSG_PAGE_DESKTOP_CONFIRMED,            /* the phone confirmed (200) */
    WX_MSG_PAGE_DESKTOP_REFUSED,              /* the phone refused (200) */
    WX_MSG_PAGE_DESKTOP_CONFIRM_STALE,        /* the form's token is not this phone's */
    WX_MSG_PAGE_DESKTOP_ALREADY_DECIDED,      /* confirm/refuse after a decision */
    WX_MSG_PAGE_DESKTOP_OTHER_PHONE,          /* the ticket was scanned by another phone */
    WX_MSG_PAGE_DESKTOP_CONFIRM_UNAVAILABLE,  /* the store failed at the decision */
    /* ---- `message` on the business callback (Authing's language: Chinese) ---- */
    WX_MSG_CB_OK,
    WX_MSG_CB_DENIED,
    WX_MSG_CB_EXPIRED,
    WX_MSG_CB_BLOCKED,
    WX_MSG_CB_SNAPSHOT,
    WX_MSG_CB_INTERRUPTED,
    WX_MSG_CB_QUEUE_FULL,
    WX_MSG_CB_LOCAL_RESOURCES,
    WX_MSG_CB_SHUTDOWN,
    WX_MSG_CB_WECHAT_TIMEOUT,
    WX_MSG_CB_WECHAT_UNREACHABLE,
    WX_MSG_CB_WECHAT_MISMATCH,
    WX_MSG_CB_INTERNAL,
    WX_MSG_CB_CONNECTION_GONE,
    WX_MSG_CB_WRONG_CONNECTION,
    WX_MSG_CB_SECRET_UNREADABLE,
    WX_MSG_CB_OPENID_OTHER_POOL,
    /* WeChat errcodes (wx_msg_wechat picks one) */
    WX_MSG_CB_WECHAT_SYSTEM,        /* -1 */
    WX_MSG_CB_WECHAT_BAD_SECRET,    /* 40001, 40125 */
    WX_MSG_CB_WECHAT_BAD_APPID,     /* 40013 */
    WX_MSG_CB_WECHAT_BAD_CODE,      /* 40029, 41008 */
    WX_MSG_CB_WECHAT_CODE_USED,     /* 40163 */
    WX_MSG_CB_WECHAT_CODE_EXPIRED,  /* 42003 */
    WX_MSG_CB_WECHAT_BAD_OPENID,    /* 40003 */
    WX_MSG_CB_WECHAT_TOKEN_EXPIRED, /* 42001, 40014 */
    WX_MSG_CB_WECHAT_QUOTA,         /* 45009, 45011 */
    WX_MSG_CB_WECHAT_UNAUTHORIZED,  /* 48001, 50001 */
    WX_MSG_CB_WECHAT_OTHER,         /* any other errcode */
    /* ---- the service account's chat messages (passive replies, follow to log in) ---- */
    WX_MSG_CHAT_FOLLOW_CONFIRM, /* {} = the site; the link to confirm follows it */
    WX_MSG_CHAT_FOLLOW_EXPIRED,
    WX_MSG_CHAT_FOLLOW_USED,
    /* ---- short texts a page's script shows (the desktop QR page's states) ---- */
    WX_MSG_TEXT_DESKTOP_SCANNED,
    WX_MSG_TEXT_DESKTOP_CONFIRMED,
    WX_MSG_TEXT_DESKTOP_REFUSED,
    WX_MSG_TEXT_DESKTOP_USED,
    WX_MSG_TEXT_DESKTOP_EXPIRED,
    WX_MSG_TEXT_DESKTOP_NETWORK,
    WX_MSG_COUNT
} wx_msg_id_t;

typedef enum {
    WX_MSG_KIND_PAGE,
    WX_MSG_KIND_CALLBACK,
    WX_MSG_KIND_CHAT, /* a text message of the account in the user's WeChat chat */
    WX_MSG_KIND_TEXT, /* a line a page's script shows (handed to it in the page) */
} wx_msg_kind_t;

/* What the page's button does. */
typedef enum {
    WX_MSG_ACT_RETRY,   /* 重试: this address again (the caller may name another) */
    WX_MSG_ACT_RELOGIN, /* 重新登录: a fresh start of the login (the caller's URL), else back */
    WX_MSG_ACT_BACK,    /* 返回: the caller's URL (the site), else the previous page */
} wx_msg_action_t;

typedef enum {
    WX_MSG_ICON_WARN,
    WX_MSG_ICON_INFO,
    WX_MSG_ICON_WAIT,
} wx_msg_icon_t;

typedef struct {
    const char *key; /* stable name, e.g. "page.unknown_state" (logs, tests, docs) */
    wx_msg_kind_t kind;
    wx_msg_icon_t icon;
    wx_msg_action_t action;
    const char *title_zh, *title_en; /* pages only */
    const char *zh, *en;             /* "{}" is replaced by the page's arg */
} wx_msg_t;

/* The entry of id (never NULL: an id out of range gives WX_MSG_PAGE_LOGIN_FAILED's). */
const wx_msg_t *wx_msg(wx_msg_id_t id);

/* The business callback's `message`: the Chinese text, as Authing answers its users. */
const char *wx_msg_text(wx_msg_id_t id);

/* The callback message of a WeChat errcode: a plain sentence for the user (the errcode itself
 * travels as the callback's `code`). */
wx_msg_id_t wx_msg_wechat(long errcode);

/* text with "{}" replaced by arg (as is: a chat message is plain text), into out; false when
 * it does not fit. */
bool wx_msg_fill(const char *text, const char *arg, char *out, size_t n);

/* Language order of a page: Chinese first unless Accept-Language puts English first. */
bool wx_msg_english_first(const char *accept_language);

typedef struct {
    wx_msg_id_t id;
    int status;                  /* HTTP status, shown small */
    const char *rid;             /* request id, shown small for support */
    long code;                   /* a WeChat errcode or callback code, shown small (0: none) */
    const char *accept_language; /* the request's header, or NULL */
    const char *arg;             /* replaces "{}" in the texts (escaped); NULL: "" */
    const char *detail;          /* for the site's developer: what to fix (escaped); NULL */
    const char *action_url;      /* the button's target (escaped); NULL: per action */
    const char *outcome; /* the heading's data-outcome (the log's outcome: tests, scripts); NULL */
} wx_msg_page_t;

/* The page of p->id: Chinese and English, the action button, status/code/request id small.
 * Its inline script (the back button) is allowed by WX_MSG_PAGE_CSP. */
wx_status_t wx_msg_page_render(wx_buf_t *b, const wx_msg_page_t *p);

/* The Content-Security-Policy of these pages (the script's hash: tests/unit/util/test_msg.c
 * checks it against the script). */
#define WX_MSG_PAGE_CSP                                                                            \
    "default-src 'none'; style-src 'unsafe-inline'; script-src "                                   \
    "'sha256-" WX_MSG_SCRIPT_SHA256 "'; base-uri 'none'; form-action 'none'; "                     \
    "frame-ancestors 'none'"
#define WX_MSG_SCRIPT_SHA256 "WBwpR67z+Jm6GfJPBEVmyke7XRSrP75dXob/+lp1iJY="
/* The back button's script, exactly as on the page. */
extern const char wx_msg_page_script[];

#endif
