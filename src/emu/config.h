/* The emulator's configuration: the [emulator] settings, and the [account APPID] and
 * [person ID] sections that fill the model. Every key is listed in src/emu/README.md. */
#ifndef EMU_CONFIG_H
#define EMU_CONFIG_H

#include "../util/ini.h"
#include "../util/log.h"
#include "model.h"

#define EMU_LISTEN_DEFAULT "127.0.0.1:8090"

typedef struct {
    char listen[128];
    char public_url[160]; /* where browsers reach the emulator ("" = http:// + listen) */
    bool ua_check;
    long latency_ms, jitter_ms; /* added to every sns API call */
    char id_seed[256];          /* "" until emu_config_finish: a random one per run */
    char admin_token[256];      /* "" = admin API without auth */
    bool legacy_profile;        /* userinfo shows real sex and location (before 2021-10-20) */
    long max_grants;            /* cap of each of codes, access tokens, refresh tokens */
    long crowd;                 /* people crowd-0 .. crowd-{crowd-1} exist without a section */
    wx_log_level_t log_level;
} emu_config_t;

void emu_config_defaults(emu_config_t *c);
/* Settings and model from a parsed INI; errors name the line. */
wx_status_t emu_config_from_ini(const wx_ini_t *ini, emu_config_t *c, emu_model_t *m,
                                wx_err_t *err);
wx_status_t emu_config_load(const char *path, emu_config_t *c, emu_model_t *m, wx_err_t *err);
/* WXEMU_LATENCY_MS overrides latency_ms. */
wx_status_t emu_config_env(emu_config_t *c, wx_err_t *err);
/* Once every source is read (file, environment, command line): refuse a listen address that
 * is not loopback without an admin_token (WX_ECONFIG, saying what to set), and without an
 * id_seed draw a random one, so openids cannot be computed from the people's ids; *seeded
 * says whether it was configured. */
wx_status_t emu_config_finish(emu_config_t *c, bool *seeded, wx_err_t *err);
/* Whether the host of a listen address ("127.0.0.1:8090", "[::1]:8090", "localhost:8090") is
 * loopback. */
bool emu_listen_is_loopback(const char *listen);

#endif
