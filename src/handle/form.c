/* application/x-www-form-urlencoded request bodies (the OAuth endpoints' input). */
#include "form.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

wx_status_t
handle_form_parse(http_req_t *r, wx_query_t *form, wx_err_t *err)
{
    size_t len = 0;
    const char *ct = http_req_header(r, "Content-Type");
    memset(form, 0, sizeof(*form));
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return wx_err_set(err, WX_EINVAL, "the body must be application/x-www-form-urlencoded");
    char *body = http_req_body(r, &len);
    if (!body)
        return wx_err_set(err, WX_ETOOBIG, "the body is missing or too large");
    wx_status_t rc = wx_query_parse(body, form, err);
    OPENSSL_cleanse(body, len); /* the OAuth forms carry secrets and tokens */
    free(body);
    return rc;
}
