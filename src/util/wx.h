/* Status codes and the error out-param shared by every module.
 * A function returns a wx_status_t; on failure it fills a wx_err_t with a message fit for the
 * user (msg) and, separately, detail for the log, so nothing internal leaks to a browser. */
#ifndef WX_H
#define WX_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef enum {
    WX_OK = 0,
    WX_ENOMEM,    /* allocation failed */
    WX_EINVAL,    /* bad input */
    WX_ENOENT,    /* no such thing */
    WX_EEXIST,    /* already exists */
    WX_EEXPIRED,  /* past its lifetime */
    WX_EUSED,     /* single-use thing used again */
    WX_ETOOBIG,   /* over a size limit */
    WX_EDENIED,   /* not allowed */
    WX_EIO,       /* I/O or system call failed */
    WX_ESTORE,    /* storage backend failed */
    WX_ECRYPTO,   /* crypto library failed */
    WX_EUPSTREAM, /* WeChat (or the emulator) answered with an error */
    WX_ETIMEOUT,  /* an outbound call timed out */
    WX_ECONFIG,   /* configuration is wrong */
    WX_EBUSY,     /* try again: another request holds it */
    WX_ESHUTDOWN, /* stopped because the server is shutting down */
    WX_ELOCAL,    /* out of a resource on our side (file descriptors, kernel memory) */
} wx_status_t;

#define WX_ERR_MSG_MAX 256
#define WX_ERR_DETAIL_MAX 512

typedef struct {
    wx_status_t status;
    int code;                       /* protocol-level code (e.g. a WeChat errcode), 0 if none */
    char msg[WX_ERR_MSG_MAX];       /* safe to show a user */
    char detail[WX_ERR_DETAIL_MAX]; /* for the log only; never a secret */
} wx_err_t;

/* Fill err (may be NULL) and return st, so callers write `rc = wx_err_set(...); goto out;`. */
wx_status_t wx_err_set(wx_err_t *err, wx_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add log-only detail to an error already set. */
void wx_err_detail(wx_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wx_err_clear(wx_err_t *err);
const char *wx_status_str(wx_status_t st);

/* Copy src into dst (size n), always NUL-terminated. Returns false if src was cut. */
bool wx_strlcpy(char *dst, const char *src, size_t n);
/* snprintf that reports truncation as false. */
bool wx_snprintf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parse a whole decimal integer in [min,max]; false on junk, overflow or range. */
bool wx_parse_long(const char *s, long min, long max, long *out);
/* Constant-time comparison of two byte strings (length leaks, contents do not). */
bool wx_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

#define WX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
