/* Concurrent logins with libcurl multi (see harness_multi.h). */
#include "harness_multi.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "location_header.h"

#define UA "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI"

typedef struct {
    CURL *h;
    int step; /* 0 start, 1 authorize, 2 callback */
    char *location;
    char url[4096];
    double t0;
    const char *person;
} flow_t;

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static size_t
discard(char *p, size_t s, size_t n, void *arg)
{
    return s * n;
}

static size_t
on_header(char *p, size_t s, size_t n, void *arg)
{
    flow_t *f = arg;
    size_t len = s * n, vl;
    const char *v;
    if (wxt_location_header(p, len, &v, &vl)) {
        free(f->location);
        f->location = strndup(v, vl);
    }
    return len;
}

static void
flow_go(CURLM *m, flow_t *f)
{
    free(f->location);
    f->location = NULL;
    curl_easy_setopt(f->h, CURLOPT_URL, f->url);
    curl_multi_add_handle(m, f->h);
}

int
wxt_multi_login(const char *start_url, const char *person, int n, wxt_multi_result_t *out)
{
    return wxt_multi_login_ex(start_url, person, n, NULL, out);
}

int
wxt_multi_login_ex(const char *start_url, const char *person, int n, const wxt_multi_opts_t *o,
                   wxt_multi_result_t *out)
{
    int at_callback = 0; /* logins whose callback request went out */
    double hook_at = -1; /* when the hook is due (ms), once all are at the callback */
    bool hooked = false;
    memset(out, 0, sizeof(*out));
    CURLM *m = curl_multi_init();
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    flow_t *flows = calloc((size_t)n, sizeof(*flows));
    if (!m || !flows)
        return -1;
    double t0 = now_ms();
    for (int i = 0; i < n; i++) {
        flow_t *f = &flows[i];
        f->h = curl_easy_init();
        f->person = person;
        f->t0 = t0;
        curl_easy_setopt(f->h, CURLOPT_COOKIEFILE, "");
        curl_easy_setopt(f->h, CURLOPT_USERAGENT, UA);
        curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(f->h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(f->h, CURLOPT_HEADERDATA, f);
        curl_easy_setopt(f->h, CURLOPT_PRIVATE, f);
        curl_easy_setopt(f->h, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(f->h, CURLOPT_FORBID_REUSE, 0L);
        snprintf(f->url, sizeof(f->url), "%s", start_url);
        flow_go(m, f);
    }
    int running = n, guard = 0;
    while (running > 0 && guard++ < 1000000) {
        int still = 0, numfds = 0;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            flow_t *f = NULL;
            long status = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(m, f->h);
            bool next = msg->data.result == CURLE_OK && status == 302 && f->location;
            if (next && f->step == 0) {
                char *hash = strchr(f->location, '#');
                if (hash)
                    *hash = '\0';
                snprintf(f->url, sizeof(f->url), "%s&emu_person=%s&emu_action=allow", f->location,
                         f->person);
                f->step = 1;
                flow_go(m, f);
                continue;
            }
            if (next && f->step == 1) {
                snprintf(f->url, sizeof(f->url), "%s", f->location);
                f->step = 2;
                flow_go(m, f);
                if (++at_callback == n && o && o->hook)
                    hook_at = now_ms() + o->hook_after_ms;
                continue;
            }
            double took = now_ms() - f->t0;
            if (took > out->max_ms)
                out->max_ms = took;
            if (next && f->step == 2 && strstr(f->location, "code=200&")) {
                out->ok++;
            } else {
                out->failed++;
                if (msg->data.result != CURLE_OK)
                    out->lost++;
                else
                    out->messages++;
                if (!out->first_error[0])
                    snprintf(out->first_error, sizeof(out->first_error),
                             "step %d: curl %d, HTTP %ld, location %.150s", f->step,
                             (int)msg->data.result, status, f->location ? f->location : "-");
            }
            running--;
        }
        if (!hooked && hook_at >= 0 && now_ms() >= hook_at) {
            hooked = true;
            o->hook(o->arg);
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, hook_at >= 0 && !hooked ? 5 : 100, &numfds);
    }
    out->elapsed_ms = now_ms() - t0;
    for (int i = 0; i < n; i++) {
        curl_easy_cleanup(flows[i].h);
        free(flows[i].location);
    }
    free(flows);
    curl_multi_cleanup(m);
    return running == 0 ? 0 : -1;
}
