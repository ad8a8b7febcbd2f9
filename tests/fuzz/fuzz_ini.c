/* Fuzz driver: the INI reader (src/util/ini.c) behind the server's and the emulator's config
 * files. Every entry it keeps must be found again by wx_ini_get. */
#include "fuzz.h"
#include "util/ini.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    wx_ini_t ini = {0};
    wx_err_t err = {0};
    if (wx_ini_parse(s, &ini, &err) == WX_OK) {
        for (size_t i = 0; i < ini.count; i++) {
            const wx_ini_entry_t *e = &ini.entries[i];
            FUZZ_CHECK(e->line >= 1);
            FUZZ_CHECK(wx_ini_get(&ini, e->section, e->key) != NULL);
        }
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    wx_ini_free(&ini);
    free(s);
    return 0;
}
