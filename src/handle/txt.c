/* Domain-verification files at the root (authing-compat.md §5): GET /MP_verify_xxx.txt answers
 * the exact Txt Content of the connection that registered that name, on every host name. Only
 * names of WeChat's shape are looked up; nothing else is ever served from the root this way. */
#include "ctx.h"
#include "reads.h"

#include <stdlib.h>
#include <string.h>

#include "../http/reply.h"
#include "../util/log.h"

/* WeChat's files are MP_verify_<alphanumerics>.txt. */
bool
handle_txt_name_valid(const char *name)
{
    static const char prefix[] = "MP_verify_", suffix[] = ".txt";
    size_t n = strlen(name), pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
    if (n <= pl + sl || n > 100 || strncmp(name, prefix, pl) != 0 ||
        strcmp(name + n - sl, suffix) != 0)
        return false;
    for (size_t i = pl; i < n - sl; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

typedef struct {
    http_req_t *r;
    char name[STORE_TXT_NAME_MAX];
    char content[STORE_TXT_CONTENT_MAX];
} txt_read_t;

static wx_status_t
txt_run(store_t *st, void *arg, wx_err_t *err)
{
    txt_read_t *t = arg;
    return store_txt_get(st, t->name, t->content, sizeof(t->content), err);
}

static void
txt_read(wx_status_t rc, const wx_err_t *err, void *arg)
{
    txt_read_t *t = arg;
    http_req_t *r = t->r;
    if (rc == WX_ENOENT) {
        http_reply_error(r, 404, 404, "not found");
    } else if (rc != WX_OK) {
        wx_log(WX_LOG_WARN, "txt_unreadable", "rid", r->id, "error", err->msg, "detail",
               err->detail, NULL);
        http_reply_error(r, 503, 500, "storage error");
    } else {
        r->outcome = "txt";
        http_add_header(r, "Cache-Control", "no-cache");
        http_reply_raw(r, 200, "text/plain; charset=utf-8", t->content, strlen(t->content));
    }
    free(t);
}

void
handle_txt(http_req_t *r)
{
    const char *name = r->path + 1;
    txt_read_t *t = NULL;
    if (r->path[0] != '/' || strchr(name, '/') || !handle_txt_name_valid(name) ||
        (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)) {
        http_reply_error(r, 404, 404, "not found");
        return;
    }
    if (!(t = calloc(1, sizeof(*t))) || !wx_strlcpy(t->name, name, sizeof(t->name))) {
        free(t);
        http_reply_error(r, 503, 500, "out of memory");
        return;
    }
    t->r = r;
    handle_read(r->worker, txt_run, txt_read, t);
}
