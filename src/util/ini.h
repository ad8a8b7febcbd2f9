/* A small INI reader: [section] headers, key = value lines, '#' or ';' comments (whole lines,
 * or after whitespace at the end of one). Used for the
 * server's and the emulator's config files. Keys are looked up as "section.key". */
#ifndef WX_INI_H
#define WX_INI_H

#include "wx.h"

typedef struct wx_ini_entry {
    char *section;
    char *key;
    char *value;
    int line;
} wx_ini_entry_t;

typedef struct {
    wx_ini_entry_t *entries;
    size_t count;
} wx_ini_t;

wx_status_t wx_ini_load(const char *path, wx_ini_t *ini, wx_err_t *err);
wx_status_t wx_ini_parse(const char *text, wx_ini_t *ini, wx_err_t *err);
void wx_ini_free(wx_ini_t *ini);
/* Last value of key in section (NULL when absent). */
const char *wx_ini_get(const wx_ini_t *ini, const char *section, const char *key);

#endif
