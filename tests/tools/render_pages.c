/* Writes every page of the message catalogue (src/util/msg.c) as wxauthd renders it, one
 * <key>.html per entry, and the pages' Content-Security-Policy as csp.txt, into DIR: the
 * screenshot test (tests/js/browser/screenshots.test.js) serves them with that CSP and
 * photographs each, so an entry no real error path reaches in the test is seen too. */
#include <stdio.h>
#include <string.h>

#include "util/msg.h"

static int
write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, len, f) != len) {
        fprintf(stderr, "render_pages: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: render_pages DIR\n");
        return 2;
    }
    for (int id = WX_MSG_NONE + 1; id < WX_MSG_COUNT && rc == 0; id++) {
        const wx_msg_t *m = wx_msg((wx_msg_id_t)id);
        if (m->kind != WX_MSG_KIND_PAGE)
            continue;
        wx_buf_t b;
        char name[128];
        wx_buf_init(&b, 65536);
        /* What a page carries in real use: the button's address where the entry has one, a
         * WeChat-style errcode and a developer's note on the error pages. */
        wx_msg_page_t p = {.id = (wx_msg_id_t)id,
                           .status = m->icon == WX_MSG_ICON_INFO ? 200 : 400,
                           .rid = "Xq3vK9sT2mWfA8bZ",
                           .accept_language = "zh-CN,zh;q=0.9",
                           .arg = "30",
                           .detail = m->icon == WX_MSG_ICON_WARN
                                         ? "What the site's developer must fix appears here."
                                         : NULL,
                           .action_url = m->action == WX_MSG_ACT_BACK ? NULL : "/retry"};
        snprintf(name, sizeof(name), "%s.html", m->key);
        if (wx_msg_page_render(&b, &p) != WX_OK)
            rc = 1;
        else
            rc = write_file(argv[1], name, wx_buf_str(&b), b.len);
        wx_buf_free(&b);
    }
    if (rc == 0)
        rc = write_file(argv[1], "csp.txt", WX_MSG_PAGE_CSP, strlen(WX_MSG_PAGE_CSP));
    return rc;
}
