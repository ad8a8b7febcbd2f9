/* A fresh SQLite file for a unit test, under $WX_TEST_TMP (made if missing: a fresh build has
 * none yet), and its removal with the WAL and shared-memory files. Header-only; the tests that
 * use it include cmocka first. */
#ifndef WXT_TMP_DB_H
#define WXT_TMP_DB_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/rand.h"

/* path: "<tmp>/<prefix>-<pid>-<random>.db"; url: "sqlite:" + path. */
static inline void
wxt_tmp_db(const char *prefix, char *path, size_t pn, char *url, size_t un)
{
    const char *tmp = getenv("WX_TEST_TMP");
    const char *dir = tmp && *tmp ? tmp : "/tmp";
    char rnd[9];
    assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
    assert_int_equal(wx_rand_hex(rnd, 4), WX_OK);
    assert_true((size_t)snprintf(path, pn, "%s/%s-%ld-%s.db", dir, prefix, (long)getpid(), rnd) <
                pn);
    assert_true((size_t)snprintf(url, un, "sqlite:%s", path) < un);
}

static inline void
wxt_tmp_db_remove(const char *path)
{
    char p[1200];
    remove(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    remove(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    remove(p);
}

#endif
