/* The desktop login methods of a pool (desktop_methods.h). The rules follow what the start
 * endpoint does with a computer's login (handle/reads.c conf_conn_pick, handle/start.c): a
 * website app first when the pool allows it, else the default connection's follow-to-login
 * when it has a message server Token, else the service-account scan. */
#include "desktop_methods.h"

#include <string.h>

#include "../store/query.h"
#include "../util/wx.h"

static const char *const names[DMETHOD_COUNT] = {"auto", "scan", "qrconnect", "follow"};

bool
desktop_method_parse(const char *s, desktop_method_t *out)
{
    if (!s || !*s) {
        *out = DMETHOD_AUTO;
        return true;
    }
    for (int i = 0; i < DMETHOD_COUNT; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (desktop_method_t)i;
            return true;
        }
    return false;
}

const char *
desktop_method_name(desktop_method_t m)
{
    return m > DMETHOD_AUTO && m < DMETHOD_COUNT ? names[m] : "auto";
}

const desktop_conn_t *
desktop_conn_default(const desktop_conn_t *conns, size_t n)
{
    const desktop_conn_t *mp = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(conns[i].identifier, STORE_DEFAULT_CONN) == 0)
            return &conns[i];
        if (!mp && !conns[i].open)
            mp = &conns[i];
    }
    return mp ? mp : (n ? &conns[0] : NULL);
}

static void
set(desktop_method_info_t *m, desktop_why_t why, const char *identifier)
{
    m->why = why;
    wx_strlcpy(m->identifier, identifier ? identifier : "", sizeof(m->identifier));
}

void
desktop_methods_of(const store_pool_t *pool, bool server_on, const desktop_conn_t *conns, size_t n,
                   desktop_methods_t *out)
{
    const desktop_conn_t *dflt = desktop_conn_default(conns, n), *open = NULL, *follow = NULL;
    const char *dm = pool->desktop_method;
    desktop_why_t off = !server_on                ? DMETHOD_WHY_SERVER_OFF
                        : strcmp(dm, "none") == 0 ? DMETHOD_WHY_POOL_OFF
                                                  : DMETHOD_WHY_NONE;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (conns[i].open && !open)
            open = &conns[i];
        /* The default connection's Token first: it is the one a login naming none uses. */
        if (!conns[i].open && conns[i].push_token && (!follow || &conns[i] == dflt))
            follow = &conns[i];
    }
    bool mp = dflt && !dflt->open;
    set(&out->m[DMETHOD_SCAN], mp ? off : DMETHOD_WHY_NO_MP, mp ? dflt->identifier : NULL);
    set(&out->m[DMETHOD_QRCONNECT], open ? off : DMETHOD_WHY_NO_OPEN,
        open ? open->identifier : NULL);
    set(&out->m[DMETHOD_FOLLOW],
        follow ? off : (mp ? DMETHOD_WHY_NO_PUSH_TOKEN : DMETHOD_WHY_NO_MP),
        follow ? follow->identifier : NULL);
    /* "qrconnect" is the admin's choice of the website app alone (e.g. to keep the phishable
     * scan-and-confirm away): the other methods are not offered, not even asked for. */
    if (off == DMETHOD_WHY_NONE && strcmp(dm, "qrconnect") == 0)
        for (int i = DMETHOD_SCAN; i < DMETHOD_COUNT; i++)
            if (i != DMETHOD_QRCONNECT && out->m[i].why == DMETHOD_WHY_NONE)
                out->m[i].why = DMETHOD_WHY_POOL_QRCONNECT;
    out->pick = DMETHOD_AUTO;
    if (off != DMETHOD_WHY_NONE)
        return;
    if (strcmp(dm, "qrconnect") == 0) { /* the website app or nothing: never a fallback */
        out->pick = open ? DMETHOD_QRCONNECT : DMETHOD_AUTO;
        return;
    }
    if (open)
        out->pick = DMETHOD_QRCONNECT;
    else if (mp && dflt->push_token)
        out->pick = DMETHOD_FOLLOW;
    else if (mp)
        out->pick = DMETHOD_SCAN;
}
