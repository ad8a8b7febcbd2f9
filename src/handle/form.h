/* Form bodies of POST endpoints. */
#ifndef WX_HANDLE_FORM_H
#define WX_HANDLE_FORM_H

#include "../http/server.h"
#include "../util/url.h"

/* Parse the request body as a form into form (caller wx_query_free()s, also on failure). */
wx_status_t handle_form_parse(http_req_t *r, wx_query_t *form, wx_err_t *err);

#endif
