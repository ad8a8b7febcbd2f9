/* Benchmark: does a login waiting on a slow WeChat hold a thread? Measures, in the same run,
 * the time of one login alone (the reference, median of several) and the wall time of N logins
 * started at once, and prints their ratio. With an event-driven server the ratio stays near 1
 * (a few at most); a thread-per-login server with W threads would need about N/W times the
 * reference. Usage: login_concurrency START_URL [N] [REPEAT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "harness_multi.h"

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: login_concurrency START_URL [N=200] [REPEAT=5]\n");
        return 2;
    }
    const char *url = argv[1];
    int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 200;
    int rep = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
    if (n < 1 || n > 5000 || rep < 1 || rep > 50) {
        fprintf(stderr, "login_concurrency: N must be 1..5000 and REPEAT 1..50\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    double single[50];
    wxt_multi_result_t r;
    for (int i = 0; i < rep; i++) {
        if (wxt_multi_login(url, "alice", 1, &r) != 0 || r.ok != 1) {
            fprintf(stderr, "single login failed: %s\n", r.first_error);
            return 1;
        }
        single[i] = r.elapsed_ms;
    }
    qsort(single, (size_t)rep, sizeof(double), cmp);
    double ref = single[rep / 2];
    if (wxt_multi_login(url, "alice", n, &r) != 0 || r.failed) {
        fprintf(stderr, "concurrent logins failed: %d ok, %d failed: %s\n", r.ok, r.failed,
                r.first_error);
        return 1;
    }
    printf("one login alone (median of %d): %.0f ms\n", rep, ref);
    printf("%d logins at once: %.0f ms wall, slowest %.0f ms, %d ok\n", n, r.elapsed_ms, r.max_ms,
           r.ok);
    printf("ratio (all %d at once / one alone): %.2f\n", n, r.elapsed_ms / ref);
    curl_global_cleanup();
    return 0;
}
