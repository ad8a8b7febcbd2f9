/* Many logins at once from one thread (libcurl multi), each its own browser with its own
 * cookie jar: start -> emulator authorize (emu_person/emu_action) -> wxauthd callback. Used by
 * the concurrency test. No test framework inside. (The benchmark has its own driver,
 * bench/loadgen.c.) */
#ifndef WXT_HARNESS_MULTI_H
#define WXT_HARNESS_MULTI_H

typedef struct {
    int ok; /* logins that ended on the business callback with code=200 */
    int failed;
    int lost;     /* of the failed: no HTTP answer at all (connection closed, reset, timeout) */
    int messages; /* of the failed: an answer that is not a success (error redirect or page) */
    double elapsed_ms; /* wall time for all of them */
    double max_ms;     /* slowest single login */
    char first_error[256];
} wxt_multi_result_t;

/* Run n logins of person concurrently against start_url (all started at once). */
int wxt_multi_login(const char *start_url, const char *person, int n, wxt_multi_result_t *out);

typedef struct {
    /* Called once, when every login has sent its callback request to wxauthd and
     * hook_after_ms more have passed (e.g. to stop the server under load). */
    void (*hook)(void *arg);
    void *arg;
    int hook_after_ms;
} wxt_multi_opts_t;
int wxt_multi_login_ex(const char *start_url, const char *person, int n, const wxt_multi_opts_t *o,
                       wxt_multi_result_t *out);

#endif
