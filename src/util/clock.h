/* Wall clock in seconds and milliseconds. */
#ifndef WX_CLOCK_H
#define WX_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t wx_now(void);
int64_t wx_now_ms(void);
/* Monotonic milliseconds, for durations. */
int64_t wx_mono_ms(void);
/* Monotonic microseconds, for short durations (metrics). */
int64_t wx_mono_us(void);
/* ISO 8601 UTC "2026-11-22T10:00:00.000Z" into out (at least 25 bytes). */
void wx_time_iso(int64_t unix_seconds, char *out, size_t n);

#endif
