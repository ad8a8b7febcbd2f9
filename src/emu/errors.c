/* WeChat's error texts: errmsg of the API errcodes (spec §6) and the messages of the
 * authorize page's error codes (spec §1, plus the few the emulator chose, see README). */
#include "state.h"

typedef struct {
    int code;
    const char *msg;
} code_msg_t;

static const code_msg_t api_msgs[] = {
    {-1, "system error"},
    {40001, "invalid credential, access_token is invalid or not latest"},
    {40002, "invalid grant_type"},
    {40003, "invalid openid"},
    {40013, "invalid appid"},
    {40029, "invalid code"},
    {40030, "invalid refresh_token"},
    {40066, "invalid url"},
    {40097, "invalid args"}, /* qrcode/create: bad action_name, action_info or expire_seconds */
    {40125, "invalid appsecret"},
    {40163, "code been used"},
    {41001, "access_token missing"},
    {41002, "appid missing"},
    {41003, "refresh_token missing"},
    {41004, "appsecret missing"},
    {41008, "missing code"},
    {41009, "missing openid"},
    {43002, "require POST method"},
    {44002, "empty post data"},
    {47001, "data format error"},
    {42001, "access_token expired"},
    {42002, "refresh_token expired"},
    {42003, "code expired"},
    {45011, "api freq out of limit"},
    {48001, "api unauthorized"},
};

static const code_msg_t page_msgs[] = {
    {10001, "参数错误：参数顺序不正确"}, /* emulator's choice: parameter order */
    {10002, "response_type 参数错误"},   /* emulator's choice */
    {10003, "redirect_uri域名与后台配置不一致"},
    {10004, "此公众号被封禁"},
    {10005, "此公众号并没有这些scope的权限"},
    {10006, "必须关注此测试号"},
    {10009, "操作太频繁了，请稍后重试"},
    {10010, "scope不能为空"},
    {10011, "redirect_uri不能为空"},
    {10012, "appid不能为空"},
    {10013, "state不能为空"},
    {10014, "state 参数错误"}, /* emulator's choice: not [a-zA-Z0-9]{1,128} */
    {10015, "公众号未授权第三方平台，请检查授权状态"},
    {10016, "不支持微信开放平台的Appid，请使用公众号Appid"},
    {10017, "模拟用户不存在"}, /* emulator only: unknown emu_person */
    {10018, "模拟操作无效"},   /* emulator only: emu_action is not one the page knows */
    {40013, "invalid appid"},  /* unknown appid */
    {-1, "system error"},
};

static const char *
lookup(const code_msg_t *t, size_t n, int code)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].code == code)
            return t[i].msg;
    return NULL;
}

const char *
emu_errmsg(int errcode)
{
    const char *m = lookup(api_msgs, WX_ARRAY_LEN(api_msgs), errcode);
    return m ? m : "emulated error";
}

const char *
emu_page_errmsg(int code)
{
    const char *m = lookup(page_msgs, WX_ARRAY_LEN(page_msgs), code);
    if (!m)
        m = lookup(api_msgs, WX_ARRAY_LEN(api_msgs), code);
    return m ? m : "emulated error";
}
