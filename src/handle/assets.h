/* Static files built into wxauthd (cmake/embed_assets.cmake): the browser SDK under /sdk/ and
 * the web console under /console/. */
#ifndef WX_HANDLE_ASSETS_H
#define WX_HANDLE_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path; /* URL path, e.g. "/sdk/wxmp.js" */
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted content hash */
} asset_t;

extern const asset_t assets_table[];
extern const size_t assets_count;

/* The asset at an exact URL path, or NULL. */
const asset_t *assets_find(const char *path);
/* Content-Type for a path, from its extension. */
const char *assets_content_type(const char *path);

#endif
