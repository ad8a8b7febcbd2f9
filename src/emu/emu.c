/* The emulator object: its parts, the emulated clock, and a person's identifiers. */
#include "state.h"

#include <stdlib.h>
#include <string.h>

#include "../util/clock.h"
#include "ids.h"

wx_status_t
emu_new(const emu_config_t *cfg, emu_model_t *model, emu_t **out, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    emu_t *e = calloc(1, sizeof(*e));
    *out = NULL;
    if (!e)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    e->cfg = *cfg;
    rc = emu_grants_init(&e->grants, (size_t)cfg->max_grants, err);
    if (rc != WX_OK) {
        free(e);
        return rc;
    }
    e->model = *model; /* the model moves in */
    e->model.crowd = (size_t)cfg->crowd;
    memset(model, 0, sizeof(*model));
    *out = e;
    return WX_OK;
}

void
emu_free(emu_t *e)
{
    if (!e)
        return;
    emu_held_free(&e->held);
    emu_pushes_free(e);
    emu_grants_free(&e->grants);
    emu_model_free(&e->model);
    free(e);
}

int64_t
emu_now(const emu_t *e)
{
    return wx_now() + e->clock_offset;
}

wx_status_t
emu_person_ids(const emu_t *e, const emu_account_t *a, const emu_person_t *p,
               char openid[EMU_OPENID_LEN + 1], char unionid[EMU_OPENID_LEN + 1])
{
    wx_status_t rc;
    unionid[0] = '\0';
    /* A snapshot-page user is virtual: its own openid, never a unionid. Snapshot pages are
     * inside WeChat: a website app's QR code is scanned by the real user. */
    bool snapshot = p->snapshot && !a->website;
    rc = emu_id_derive(e->cfg.id_seed, snapshot ? "snapshot" : "openid", a->appid, p->id, openid);
    if (rc == WX_OK && !snapshot && a->open_platform[0])
        rc = emu_id_derive(e->cfg.id_seed, "unionid", a->open_platform, p->id, unionid);
    return rc;
}
