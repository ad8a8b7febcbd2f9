/* Which desktop (QR-code) login methods a pool has, and which one a computer gets when the
 * login names none (docs/desktop-login.md): the one place these rules live for the admin
 * API's GET /pools/{id}/desktop, the public GET /desktop/methods and the start URL's
 * ?desktop_method= (handle/start.c, handle/reads.c). Pure: the caller reads the pool and its
 * connections. */
#ifndef WX_PROTO_DESKTOP_METHODS_H
#define WX_PROTO_DESKTOP_METHODS_H

#include <stdbool.h>
#include <stddef.h>

#include "../store/store.h"

typedef enum {
    DMETHOD_AUTO = 0,  /* the start URL names none: the pool decides (zeroed = auto) */
    DMETHOD_SCAN,      /* a ticket the phone scans, then confirms (desktop.c) */
    DMETHOD_QRCONNECT, /* the Open Platform website app's own QR page */
    DMETHOD_FOLLOW,    /* the account's parametric QR code, then a push (follow.c) */
    DMETHOD_COUNT
} desktop_method_t;

/* Why a method cannot be used. */
typedef enum {
    DMETHOD_WHY_NONE = 0,       /* it can */
    DMETHOD_WHY_SERVER_OFF,     /* [desktop] login = off */
    DMETHOD_WHY_POOL_OFF,       /* the pool's desktop_method is none */
    DMETHOD_WHY_POOL_QRCONNECT, /* the pool's desktop_method is qrconnect: its website app only */
    DMETHOD_WHY_NO_MP,          /* no service-account connection (scan, follow) */
    DMETHOD_WHY_NAMED_OPEN,     /* the login names a website app (scan, follow) */
    DMETHOD_WHY_NO_OPEN,        /* no website app (qrconnect) */
    DMETHOD_WHY_NO_PUSH_TOKEN,  /* no connection with a message server Token (follow) */
} desktop_why_t;

/* What the rules need to know of one connection (no secrets). */
typedef struct {
    char identifier[STORE_IDENT_MAX];
    bool open;       /* an Open Platform website app (STORE_CONN_OPEN) */
    bool push_token; /* a message server Token: follow to log in */
} desktop_conn_t;

typedef struct {
    desktop_why_t why;                /* DMETHOD_WHY_NONE: available */
    char identifier[STORE_IDENT_MAX]; /* its connection ("" when none) */
} desktop_method_info_t;

typedef struct {
    desktop_method_info_t m[DMETHOD_COUNT]; /* by method; m[DMETHOD_AUTO] unused */
    desktop_method_t pick; /* what a computer gets naming no method; AUTO: none (phone's page) */
} desktop_methods_t;

/* "scan", "qrconnect", "follow" (and "" or "auto": AUTO); false for anything else. */
bool desktop_method_parse(const char *s, desktop_method_t *out);
/* The method's keyword ("auto" for AUTO). */
const char *desktop_method_name(desktop_method_t m);

/* The methods of a pool whose connections are conns[0..n), oldest first (store_conn_list's
 * order); server_on is [desktop] login. */
void desktop_methods_of(const store_pool_t *pool, bool server_on, const desktop_conn_t *conns,
                        size_t n, desktop_methods_t *out);
/* The connection a login naming none uses (store_conn_default's rule), or NULL. */
const desktop_conn_t *desktop_conn_default(const desktop_conn_t *conns, size_t n);

#endif
