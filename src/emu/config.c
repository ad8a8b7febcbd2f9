/* Config file and environment for the emulator. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../util/cidr.h"
#include "../util/rand.h"
#include "faults.h"
#include "grants.h"

void
emu_config_defaults(emu_config_t *c)
{
    memset(c, 0, sizeof(*c));
    wx_strlcpy(c->listen, EMU_LISTEN_DEFAULT, sizeof(c->listen));
    c->ua_check = true;
    c->max_grants = EMU_GRANTS_CAP_DEFAULT;
    c->log_level = WX_LOG_INFO;
}

static wx_status_t
set_string(char *dst, size_t n, const char *key, const char *v, wx_err_t *err)
{
    if (!wx_strlcpy(dst, v, n))
        return wx_err_set(err, WX_EINVAL, "%s is longer than %zu bytes", key, n - 1);
    return WX_OK;
}

static wx_status_t
emulator_set(emu_config_t *c, const char *key, const char *v, wx_err_t *err)
{
    if (strcmp(key, "listen") == 0)
        return set_string(c->listen, sizeof(c->listen), key, v, err);
    if (strcmp(key, "public_url") == 0) {
        if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
            return wx_err_set(err, WX_EINVAL, "public_url must be an http(s) URL");
        wx_status_t rc = set_string(c->public_url, sizeof(c->public_url), key, v, err);
        size_t n = strlen(c->public_url);
        while (rc == WX_OK && n > 8 && c->public_url[n - 1] == '/')
            c->public_url[--n] = '\0';
        return rc;
    }
    if (strcmp(key, "ua_check") == 0) {
        if (!emu_parse_bool(v, &c->ua_check))
            return wx_err_set(err, WX_EINVAL, "ua_check must be on or off");
        return WX_OK;
    }
    if (strcmp(key, "legacy_profile") == 0) {
        if (!emu_parse_bool(v, &c->legacy_profile))
            return wx_err_set(err, WX_EINVAL, "legacy_profile must be on or off");
        return WX_OK;
    }
    if (strcmp(key, "latency_ms") == 0 || strcmp(key, "jitter_ms") == 0) {
        long *dst = key[0] == 'l' ? &c->latency_ms : &c->jitter_ms;
        if (!wx_parse_long(v, 0, EMU_LATENCY_MAX_MS, dst))
            return wx_err_set(err, WX_EINVAL, "%s must be an integer in [0, %d]", key,
                              EMU_LATENCY_MAX_MS);
        return WX_OK;
    }
    if (strcmp(key, "id_seed") == 0) {
        if (!v[0])
            return wx_err_set(err, WX_EINVAL, "id_seed may not be empty");
        return set_string(c->id_seed, sizeof(c->id_seed), key, v, err);
    }
    if (strcmp(key, "admin_token") == 0)
        return set_string(c->admin_token, sizeof(c->admin_token), key, v, err);
    if (strcmp(key, "max_grants") == 0) {
        if (!wx_parse_long(v, 1, 10000000, &c->max_grants))
            return wx_err_set(err, WX_EINVAL, "max_grants must be an integer in [1, 10000000]");
        return WX_OK;
    }
    if (strcmp(key, "crowd") == 0) {
        if (!wx_parse_long(v, 0, EMU_CROWD_MAX, &c->crowd))
            return wx_err_set(err, WX_EINVAL, "crowd must be an integer in [0, %d]", EMU_CROWD_MAX);
        return WX_OK;
    }
    if (strcmp(key, "log_level") == 0) {
        if (!wx_log_parse_level(v, &c->log_level))
            return wx_err_set(err, WX_EINVAL, "log_level must be debug, info, warn or error");
        return WX_OK;
    }
    return wx_err_set(err, WX_EINVAL, "unknown key '%.40s' in [emulator]", key);
}

/* "account wx123" -> "wx123" when section starts with prefix, else NULL. */
static const char *
section_arg(const char *section, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(section, prefix, n) != 0 || section[n] != ' ')
        return NULL;
    const char *p = section + n;
    while (*p == ' ')
        p++;
    return p;
}

static wx_status_t
account_entry(emu_model_t *m, const char *appid, const char *key, const char *v, wx_err_t *err)
{
    emu_account_t *a = emu_model_account(m, appid);
    if (!a) {
        emu_account_t fresh;
        wx_status_t rc = emu_account_init(&fresh, appid, err);
        if (rc == WX_OK)
            rc = emu_model_put_account(m, &fresh, err);
        if (rc != WX_OK)
            return rc;
        a = emu_model_account(m, appid);
    }
    return emu_account_set(a, key, v, err);
}

static wx_status_t
person_entry(emu_model_t *m, const char *id, const char *key, const char *v, wx_err_t *err)
{
    emu_person_t *p = emu_model_person(m, id);
    if (!p) {
        emu_person_t fresh;
        wx_status_t rc = emu_person_init(&fresh, id, err);
        if (rc == WX_OK)
            rc = emu_model_put_person(m, &fresh, err);
        if (rc != WX_OK)
            return rc;
        p = emu_model_person(m, id);
    }
    return emu_person_set(p, key, v, err);
}

wx_status_t
emu_config_from_ini(const wx_ini_t *ini, emu_config_t *c, emu_model_t *m, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    wx_err_t e = {0};
    for (size_t i = 0; i < ini->count; i++) {
        const wx_ini_entry_t *en = &ini->entries[i];
        const char *arg;
        if (strcmp(en->section, "emulator") == 0) {
            rc = emulator_set(c, en->key, en->value, &e);
        } else if ((arg = section_arg(en->section, "account")) != NULL) {
            rc = account_entry(m, arg, en->key, en->value, &e);
        } else if ((arg = section_arg(en->section, "person")) != NULL) {
            rc = person_entry(m, arg, en->key, en->value, &e);
        } else {
            rc = wx_err_set(&e, WX_ECONFIG,
                            "unknown section [%.60s] (want [emulator], [account APPID] or "
                            "[person ID])",
                            en->section);
        }
        if (rc != WX_OK)
            return wx_err_set(err, WX_ECONFIG, "line %d: %s", en->line, e.msg);
    }
    for (size_t i = 0; i < m->naccounts; i++) {
        rc = emu_account_check(&m->accounts[i], &e);
        if (rc != WX_OK)
            return wx_err_set(err, WX_ECONFIG, "%s", e.msg);
    }
    return WX_OK;
}

wx_status_t
emu_config_load(const char *path, emu_config_t *c, emu_model_t *m, wx_err_t *err)
{
    wx_ini_t ini;
    wx_err_t e = {0};
    wx_status_t rc = wx_ini_load(path, &ini, err);
    if (rc != WX_OK)
        return rc;
    rc = emu_config_from_ini(&ini, c, m, &e);
    if (rc != WX_OK)
        wx_err_set(err, rc, "%s: %s", path, e.msg);
    wx_ini_free(&ini);
    return rc;
}

wx_status_t
emu_config_env(emu_config_t *c, wx_err_t *err)
{
    const char *v = getenv("WXEMU_LATENCY_MS");
    if (v && v[0] && !wx_parse_long(v, 0, EMU_LATENCY_MAX_MS, &c->latency_ms))
        return wx_err_set(err, WX_ECONFIG, "WXEMU_LATENCY_MS must be an integer in [0, %d]",
                          EMU_LATENCY_MAX_MS);
    return WX_OK;
}

bool
emu_listen_is_loopback(const char *listen)
{
    char host[128];
    wx_cidr_t a;
    const char *end;
    if (listen[0] == '[') {
        end = strchr(listen, ']');
        if (!end)
            return false;
        listen++;
    } else {
        end = strrchr(listen, ':');
        if (!end)
            end = listen + strlen(listen);
    }
    if ((size_t)(end - listen) >= sizeof(host))
        return false;
    memcpy(host, listen, (size_t)(end - listen));
    host[end - listen] = '\0';
    if (strcmp(host, "localhost") == 0)
        return true;
    if (!wx_ip_parse(host, &a))
        return false; /* empty (every address), or a name that may resolve anywhere */
    if (!a.v6)
        return a.addr[0] == 127;
    static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return memcmp(a.addr, one, sizeof(one)) == 0;
}

wx_status_t
emu_config_finish(emu_config_t *c, bool *seeded, wx_err_t *err)
{
    /* Its admin API rewrites accounts, people, the clock and the faults, and lists every
     * person's openid: never open to a network without a token. */
    if (!c->admin_token[0] && !emu_listen_is_loopback(c->listen))
        return wx_err_set(err, WX_ECONFIG,
                          "listen = %s is not a loopback address, and [emulator] admin_token is "
                          "not set: set admin_token (its admin API changes accounts, people, "
                          "the clock and faults), or listen on 127.0.0.1 or [::1]",
                          c->listen);
    *seeded = c->id_seed[0] != '\0';
    if (!*seeded && wx_rand_hex(c->id_seed, 32) != WX_OK)
        return wx_err_set(err, WX_ECRYPTO, "no random bytes for the id_seed");
    return WX_OK;
}
