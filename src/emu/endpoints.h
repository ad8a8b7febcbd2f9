/* The emulator's endpoints as faults and the call log name them. */
#ifndef EMU_ENDPOINTS_H
#define EMU_ENDPOINTS_H

#include <stdbool.h>
#include <string.h>

typedef enum {
    EMU_EP_AUTHORIZE = 0, /* /connect/oauth2/authorize */
    EMU_EP_ACCESS_TOKEN,  /* /sns/oauth2/access_token */
    EMU_EP_REFRESH_TOKEN, /* /sns/oauth2/refresh_token */
    EMU_EP_USERINFO,      /* /sns/userinfo */
    EMU_EP_AUTH,          /* /sns/auth */
    EMU_EP_UNKNOWN,       /* any other /sns/ or /cgi-bin/ path */
    EMU_EP_TOKEN,         /* /cgi-bin/token (account access token) */
    EMU_EP_STABLE_TOKEN,  /* /cgi-bin/stable_token */
    EMU_EP_QRCONNECT,     /* /connect/qrconnect (Open Platform website apps) */
    EMU_EP_QRCODE,        /* /cgi-bin/qrcode/create */
    EMU_EP_PUSH,          /* the emulator's own push to an account's server (outbound) */
    EMU_EP_COUNT
} emu_endpoint_t;

static inline const char *
emu_endpoint_name(emu_endpoint_t ep)
{
    static const char *const names[EMU_EP_COUNT] = {
        "authorize", "access_token", "refresh_token", "userinfo",      "auth", "unknown",
        "token",     "stable_token", "qrconnect",     "qrcode_create", "push"};
    return (unsigned)ep < EMU_EP_COUNT ? names[ep] : "?";
}

/* Name to endpoint; false when unknown. */
static inline bool
emu_endpoint_parse(const char *s, emu_endpoint_t *out)
{
    for (int i = 0; i < EMU_EP_COUNT; i++)
        if (strcmp(s, emu_endpoint_name((emu_endpoint_t)i)) == 0) {
            *out = (emu_endpoint_t)i;
            return true;
        }
    return false;
}

#endif
