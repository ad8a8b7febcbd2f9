/* INI parser. A '#' or ';' at the start of a line, or after whitespace anywhere on it, starts a
 * comment that runs to the end of the line: docs and habit put comments after values, and
 * taking "8080   # nginx" as the value would be worse than any value that needs " #". */
#include "ini.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define INI_MAX_BYTES (1024 * 1024)

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Cut the line at its comment, if any. */
static void
strip_comment(char *l)
{
    for (char *p = l; *p; p++)
        if ((*p == '#' || *p == ';') && (p == l || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

static wx_status_t
ini_add(wx_ini_t *ini, const char *sec, const char *k, const char *v, int line)
{
    wx_ini_entry_t *e = realloc(ini->entries, (ini->count + 1) * sizeof(*e));
    if (!e)
        return WX_ENOMEM;
    ini->entries = e;
    e = &ini->entries[ini->count];
    e->section = strdup(sec);
    e->key = strdup(k);
    e->value = strdup(v);
    e->line = line;
    if (!e->section || !e->key || !e->value) {
        free(e->section), free(e->key), free(e->value);
        return WX_ENOMEM;
    }
    ini->count++;
    return WX_OK;
}

wx_status_t
wx_ini_parse(const char *text, wx_ini_t *ini, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    memset(ini, 0, sizeof(*ini));
    char *copy = strdup(text), *save = NULL;
    char section[128] = "";
    int lineno = 0;
    if (!copy)
        return wx_err_set(err, WX_ENOMEM, "out of memory");
    for (char *p = copy; p; p = save) {
        save = strchr(p, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        strip_comment(p);
        char *l = trim(p);
        if (!*l)
            continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (!end || end[1] != '\0') {
                rc = wx_err_set(err, WX_ECONFIG,
                                "line %d: malformed section header (write [name] alone on its "
                                "line, a comment after it starting with # or ;)",
                                lineno);
                goto out;
            }
            *end = '\0';
            if (!wx_strlcpy(section, trim(l + 1), sizeof(section))) {
                rc = wx_err_set(err, WX_ECONFIG, "line %d: section name too long", lineno);
                goto out;
            }
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) {
            rc = wx_err_set(err, WX_ECONFIG, "line %d: expected 'key = value'", lineno);
            goto out;
        }
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (!*k) {
            rc = wx_err_set(err, WX_ECONFIG, "line %d: empty key", lineno);
            goto out;
        }
        if (ini_add(ini, section, k, v, lineno) != WX_OK) {
            rc = wx_err_set(err, WX_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    free(copy);
    if (rc != WX_OK)
        wx_ini_free(ini);
    return rc;
}

wx_status_t
wx_ini_load(const char *path, wx_ini_t *ini, wx_err_t *err)
{
    wx_status_t rc = WX_OK;
    wx_buf_t b;
    wx_buf_init(&b, INI_MAX_BYTES);
    FILE *f = fopen(path, "r");
    if (!f)
        return wx_err_set(err, WX_ECONFIG, "cannot open config file %s", path);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (wx_buf_append(&b, chunk, n) != WX_OK) {
            rc = wx_err_set(err, WX_ECONFIG, "config file %s is too large", path);
            goto out;
        }
    }
    rc = wx_ini_parse(wx_buf_str(&b), ini, err);
    if (rc != WX_OK) {
        char m[WX_ERR_MSG_MAX];
        wx_strlcpy(m, err ? err->msg : "", sizeof(m));
        wx_err_set(err, rc, "%s: %s", path, m);
    }
out:
    fclose(f);
    wx_buf_free(&b);
    return rc;
}

void
wx_ini_free(wx_ini_t *ini)
{
    for (size_t i = 0; i < ini->count; i++) {
        free(ini->entries[i].section);
        free(ini->entries[i].key);
        free(ini->entries[i].value);
    }
    free(ini->entries);
    memset(ini, 0, sizeof(*ini));
}

const char *
wx_ini_get(const wx_ini_t *ini, const char *section, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < ini->count; i++)
        if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
            v = ini->entries[i].value;
    return v;
}
