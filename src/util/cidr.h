/* IP addresses and CIDR ranges (see cidr.c). */
#ifndef WX_UTIL_CIDR_H
#define WX_UTIL_CIDR_H

#include "wx.h"

#define WX_CIDR_MAX 32

typedef struct {
    bool v6;
    unsigned char addr[16]; /* IPv4 in the first 4 bytes */
    int bits;
} wx_cidr_t;

typedef struct {
    size_t n;
    wx_cidr_t e[WX_CIDR_MAX];
} wx_cidr_list_t;

/* "10.0.0.0/8, 192.0.2.7 ::1 fd00::/8" (commas or spaces) into out; WX_ECONFIG naming the bad
 * entry. An empty text gives an empty list. */
wx_status_t wx_cidr_list_parse(const char *text, wx_cidr_list_t *out, wx_err_t *err);
/* Whether the address text ip (IPv4, IPv6, IPv4-mapped IPv6) is in one of l's ranges. */
bool wx_cidr_list_has(const wx_cidr_list_t *l, const char *ip);
/* Parse one address into a /32 or /128 entry; false when ip is not an address. */
bool wx_ip_parse(const char *ip, wx_cidr_t *out);
/* The key per-address limits count a client under: the IPv4 address (an IPv4-mapped IPv6 one
 * counts as IPv4), or the /64 of an IPv6 address ("2001:db8:1:2::/64"), since one host usually
 * owns a whole /64. Text that is not an address is copied as it is. */
void wx_ip_client_key(const char *ip, char *out, size_t n);

#endif
