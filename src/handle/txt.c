/* Domain-verification files at the root (authing-compat.md §5): GET /MP_verify_xxx.txt answers
 * the exact Txt Content of the connection that registered that name, on every host name. Only
 * names of WeChat's shape are looked up; nothing else is ever served from the root this way. */
#include "ctx.h"

#include <string.h>

#include "../http/reply.h"

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

void
handle_txt(http_req_t *r)
{
    worker_ctx_t *ctx = handle_ctx(r);
    char content[STORE_TXT_CONTENT_MAX];
    wx_err_t err = {0};
    const char *name = r->path + 1;
    if (r->path[0] != '/' || strchr(name, '/') || !handle_txt_name_valid(name) ||
        (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)) {
        http_reply_error(r, 404, 404, "not found");
        return;
    }
    wx_status_t rc = store_txt_get(ctx->store, name, content, sizeof(content), &err);
    if (rc == WX_ENOENT) {
        http_reply_error(r, 404, 404, "not found");
        return;
    }
    if (rc != WX_OK) {
        http_reply_error(r, 500, 500, "storage error");
        return;
    }
    r->outcome = "txt";
    http_add_header(r, "Cache-Control", "no-cache");
    http_reply_raw(r, 200, "text/plain; charset=utf-8", content, strlen(content));
}
