/* The people's avatars, drawn by the emulator itself: a demo or a test machine has no
 * internet, and a picture from thirdwx.qlogo.cn would be a broken image on every page that
 * shows the user. The URL keeps WeChat's shape (/mmopen/vi_32/<id>/<size>). */
#include "state.h"

#include <stdint.h>
#include <string.h>

#include "../http/reply.h"
#include "../util/html.h"

void
emu_avatar_url(const emu_t *e, const emu_person_t *p, char *out, size_t n)
{
    if (p->avatar[0] == '/') /* drawn here: relative to the emulator's own address */
        wx_snprintf(out, n, "%s%s", e->cfg.public_url, p->avatar);
    else
        wx_strlcpy(out, p->avatar, n);
}

/* The first character of s (one UTF-8 sequence), or "?" when s does not start with one. */
static size_t
first_char(const char *s, char out[5])
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = u[0] < 0x80             ? 1
                 : (u[0] & 0xe0) == 0xc0 ? 2
                 : (u[0] & 0xf0) == 0xe0 ? 3
                 : (u[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    for (size_t i = 1; i < len; i++)
        if ((u[i] & 0xc0) != 0x80)
            len = 0;
    if (len == 0 || u[0] == 0 || (len == 1 && u[0] < 0x20)) {
        memcpy(out, "?", 2);
        return 1;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return len;
}

/* GET /mmopen/vi_32/<person id>/<size>: a square SVG, the colour picked from the id, the
 * nickname's first character in white. Sizes as WeChat's (0 = the largest, 640). */
void
emu_route_avatar(http_req_t *r)
{
    static const char *const colours[] = {"#07c160", "#10aeff", "#fa9d3b", "#fa5151",
                                          "#6467f0", "#1485ee", "#91d300", "#576b95"};
    static const char prefix[] = "/mmopen/vi_32/";
    emu_t *e = r->worker->ctx;
    char id[EMU_PERSON_ID_MAX + 1], ch[5];
    const char *rest = r->path + strlen(prefix), *slash;
    long size;
    wx_buf_t b;

    if (strncmp(r->path, prefix, strlen(prefix)) != 0 || !(slash = strchr(rest, '/')) ||
        (size_t)(slash - rest) >= sizeof(id) || !wx_parse_long(slash + 1, 0, 640, &size) ||
        (size != 0 && size != 46 && size != 64 && size != 96 && size != 132)) {
        http_reply_error(r, 404, 404, "no such avatar: /mmopen/vi_32/<person>/{0,46,64,96,132}");
        return;
    }
    memcpy(id, rest, (size_t)(slash - rest));
    id[slash - rest] = '\0';
    const emu_person_t *p = emu_person_id_valid(id) ? emu_model_person(&e->model, id) : NULL;
    if (!p) {
        http_reply_error(r, 404, 404, "no such person");
        return;
    }
    uint32_t h = 2166136261u; /* FNV-1a: the same person always gets the same colour */
    for (const char *c = id; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    if (size == 0)
        size = 640;
    first_char(p->nickname, ch);
    wx_buf_init(&b, 4096);
    wx_buf_printf(&b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%ld\" height=\"%ld\" "
                  "viewBox=\"0 0 132 132\"><rect width=\"132\" height=\"132\" fill=\"%s\"/>"
                  "<text x=\"66\" y=\"66\" dy=\".35em\" text-anchor=\"middle\" "
                  "font-family=\"sans-serif\" font-size=\"64\" fill=\"#fff\">",
                  size, size, colours[h % WX_ARRAY_LEN(colours)]);
    wx_html_escape(&b, ch);
    wx_buf_puts(&b, "</text></svg>");
    http_add_header(r, "Cache-Control", "public, max-age=86400");
    http_reply_raw(r, 200, "image/svg+xml", wx_buf_str(&b), b.len);
    wx_buf_free(&b);
}
