/* JSON-lines event log on stderr. One line per event; fields are given as key/value pairs so
 * values are always JSON-escaped. Never pass a secret, a WeChat code or a token. */
#ifndef WX_LOG_H
#define WX_LOG_H

#include "wx.h"

typedef enum { WX_LOG_DEBUG = 0, WX_LOG_INFO, WX_LOG_WARN, WX_LOG_ERROR } wx_log_level_t;

void wx_log_set_level(wx_log_level_t lvl);
bool wx_log_parse_level(const char *s, wx_log_level_t *out);
/* Set the "svc" field of every line (e.g. "wxauthd", "emulator"). */
void wx_log_set_service(const char *svc);
/* wx_log(level, "event", "key1", "value1", "key2", "value2", ..., NULL). Values are strings;
 * use wx_log_kv_int for numbers via the "#" prefix on the key: "#status", "302". */
void wx_log(wx_log_level_t lvl, const char *event, ...) __attribute__((sentinel));

#endif
