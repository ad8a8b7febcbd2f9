/* Open connections on our port, from /proc (sockets.h). */
#include "sockets.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INODES_MAX (1u << 20) /* far above any open-file limit we set */

typedef struct {
    unsigned long *v;
    size_t n, cap;
} inodes_t;

static int
cmp_ul(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

/* The inodes of this process's sockets, sorted. */
static wx_status_t
own_sockets(inodes_t *s, wx_err_t *err)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char path[64], link[64];
    if (!d)
        return wx_err_set(err, WX_EIO, "cannot read /proc/self/fd");
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !wx_snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name))
            continue;
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n <= 8 || strncmp(link, "socket:[", 8) != 0)
            continue;
        link[n] = '\0';
        char *end = NULL;
        unsigned long ino = strtoul(link + 8, &end, 10);
        if (!end || *end != ']')
            continue;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 256;
            unsigned long *v = cap <= INODES_MAX ? realloc(s->v, cap * sizeof(*v)) : NULL;
            if (!v) {
                closedir(d);
                return wx_err_set(err, WX_ENOMEM, "out of memory");
            }
            s->v = v;
            s->cap = cap;
        }
        s->v[s->n++] = ino;
    }
    closedir(d);
    if (s->n)
        qsort(s->v, s->n, sizeof(s->v[0]), cmp_ul);
    return WX_OK;
}

/* Count the lines of /proc/net/tcp{,6} on our port, not listening, held by us. */
static void
count_table(const char *file, int port, const inodes_t *own, int64_t *count)
{
    FILE *f = fopen(file, "r");
    char line[512];
    if (!f)
        return;                          /* no IPv6: no tcp6 table */
    if (!fgets(line, sizeof(line), f)) { /* the header */
        fclose(f);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        char local[64], remote[64];
        unsigned st = 0, lport = 0;
        unsigned long ino = 0;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, "%*s %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote, &st, &ino) != 4)
            continue;
        const char *colon = strrchr(local, ':');
        if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
            continue;
        if ((int)lport != port || st == 0x0A /* LISTEN */ || ino == 0)
            continue;
        if (own->n && bsearch(&ino, own->v, own->n, sizeof(own->v[0]), cmp_ul))
            (*count)++;
    }
    fclose(f);
}

wx_status_t
http_sockets_open(int port, int64_t *out, wx_err_t *err)
{
    inodes_t own = {0};
    *out = 0;
    wx_status_t rc = own_sockets(&own, err);
    if (rc == WX_OK) {
        count_table("/proc/net/tcp", port, &own, out);
        count_table("/proc/net/tcp6", port, &own, out);
    }
    free(own.v);
    return rc;
}
