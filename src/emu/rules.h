/* The authorize page's rules as pure functions (spec §1): parameter order, the redirect_uri
 * domain check (host and port), state and scope syntax. No I/O, so unit tests cover them. */
#ifndef EMU_RULES_H
#define EMU_RULES_H

#include "../util/url.h"
#include "model.h"

#define EMU_HOST_MAX 256
#define EMU_STATE_MAX 128

/* appid, redirect_uri, response_type, scope, state: those present must come first, in that
 * order, each once; anything after them is optional (forcePopup, emu_person, emu_action...)
 * and may not repeat one of the five. On false, why says what is wrong. */
bool emu_params_in_order(const wx_query_t *q, char *why, size_t n);

/* "host[:port]" (n bytes of s): host is a DNS name or a [IPv6] literal, lowercased into host;
 * port 0 when absent. False on anything else (scheme, path, userinfo, bad port). */
bool emu_hostport_parse(const char *s, size_t n, char *host, size_t hn, long *port);

/* Host and effective port (the scheme's default when absent) of an absolute http(s) URL.
 * False when it is not one, or has userinfo or odd characters in its authority. */
bool emu_redirect_hostport(const char *uri, char *host, size_t hn, long *port);

/* Does redirect_uri point at the configured domain entry "host[:port]"? Exact host (no
 * sub-domains), and the same port: the entry's, or the scheme's default when it has none. */
bool emu_domain_match(const char *domain, const char *redirect_uri);
/* Any of the account's domains. */
bool emu_redirect_allowed(const emu_account_t *a, const char *redirect_uri);

/* state: [A-Za-z0-9]{1,128}. */
bool emu_state_valid(const char *s);
/* "snsapi_base" / "snsapi_userinfo" / "snsapi_login" to EMU_SCOPE_*; 0 when none. */
unsigned emu_scope_parse(const char *s);
const char *emu_scope_name(unsigned scope);

#endif
