/* Bounded growing buffer. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
wx_buf_init(wx_buf_t *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max;
}

void
wx_buf_free(wx_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void
wx_buf_reset(wx_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static wx_status_t
buf_reserve(wx_buf_t *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return WX_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return WX_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return WX_ENOMEM;
    b->data = p;
    b->cap = cap;
    return WX_OK;
}

wx_status_t
wx_buf_append(wx_buf_t *b, const void *p, size_t n)
{
    wx_status_t rc = buf_reserve(b, n);
    if (rc != WX_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return WX_OK;
}

wx_status_t
wx_buf_puts(wx_buf_t *b, const char *s)
{
    return wx_buf_append(b, s, strlen(s));
}

wx_status_t
wx_buf_printf(wx_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return WX_EINVAL;
    wx_status_t rc = buf_reserve(b, (size_t)n);
    if (rc != WX_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return WX_OK;
}

char *
wx_buf_steal(wx_buf_t *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *
wx_buf_str(const wx_buf_t *b)
{
    return b->data ? b->data : "";
}
