/* wxbench_login: a closed-loop load driver for full WeChat logins, written in C so that it is
 * not the bottleneck (its own ceiling is measured by bench/login.sh against nginx).
 *
 * Each of N virtual browsers logs in again and again, like a browser would: GET the start URL
 * (keeps the cookies it sets), follow the 302 to the WeChat authorize page, adding the emulator's
 * emu_person/emu_action (the "#wechat_redirect" fragment is never sent), follow the 302 back to
 * the server's callback, and check that the last 302 ends on the business callback with code=200.
 * Every login starts with an empty cookie jar (a new browser) and a person picked round-robin
 * from PREFIX0 .. PREFIX{users-1}. Connections are kept alive, as a WebView does.
 *
 * After --warmup seconds it counts the logins that end in the next --seconds seconds and prints
 * one line of key=value:
 * logins/s, failures, latency percentiles, and for each --pid the CPU ms and disk KB written per
 * login (from /proc/PID/stat and /proc/PID/io) and its RSS at the end.
 *
 *   wxbench_login --start URL [--inflight 64] [--seconds 10] [--warmup 2] [--users 1000]
 *                 [--person crowd-] [--pid PID]... [--max-fail-ratio 0.0]
 * Exit 0 when the failures stay within --max-fail-ratio, 1 otherwise, 2 on usage errors. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "location_header.h" /* tests/integration: shared with the test harnesses */

#define UA "Mozilla/5.0 (Linux; Android 14) MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI"
#define MAX_PIDS 4
#define MAX_LAT 2000000

typedef struct {
    CURL *h;
    int step; /* 0 start, 1 authorize, 2 callback */
    char location[8192];
    size_t location_len;
    bool location_cut;
    char url[8192];
    double t0;
} flow_t;

typedef struct {
    int pid;
    double cpu0, cpu1;  /* ms */
    long long io0, io1; /* bytes written to storage */
    long long rss_kb;   /* at the end */
} proc_t;

static struct {
    CURLM *m;
    int ep;
    double timeout_at; /* curl's timer, ms on the monotonic clock; < 0: none */
    const char *start;
    const char *person;
    long users, next_person;
    double measure_from, measure_to;
    long ok, failed, in_window_failed;
    double *lat;
    long nlat;
    char first_error[512];
} g;

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
    (void)p;
    (void)arg;
    return s * n;
}

static size_t
on_header(char *p, size_t s, size_t n, void *arg)
{
    flow_t *f = arg;
    size_t len = s * n, vl;
    const char *v;
    if (wxt_location_header(p, len, &v, &vl)) {
        f->location_cut = vl >= sizeof(f->location);
        if (f->location_cut)
            vl = sizeof(f->location) - 1;
        memcpy(f->location, v, vl);
        f->location[vl] = '\0';
        f->location_len = vl;
    }
    return len;
}

static void
flow_request(flow_t *f)
{
    f->location[0] = '\0';
    f->location_len = 0;
    f->location_cut = false;
    curl_easy_setopt(f->h, CURLOPT_URL, f->url);
    curl_multi_add_handle(g.m, f->h);
}

static void
flow_begin(flow_t *f)
{
    curl_easy_setopt(f->h, CURLOPT_COOKIELIST, "ALL"); /* a new browser */
    f->step = 0;
    f->t0 = now_ms();
    snprintf(f->url, sizeof(f->url), "%s", g.start);
    flow_request(f);
}

static void
record_error(const flow_t *f, CURLcode cc, long status)
{
    if (!g.first_error[0])
        snprintf(g.first_error, sizeof(g.first_error), "step %d: curl %d (%s), HTTP %ld, to %.200s",
                 f->step, (int)cc, curl_easy_strerror(cc), status,
                 f->location[0] ? f->location : "-");
}

static void
flow_done(flow_t *f, CURLcode cc, long status)
{
    curl_multi_remove_handle(g.m, f->h);
    bool next = cc == CURLE_OK && status == 302 && f->location[0] && !f->location_cut;
    if (next && f->step == 0) {
        char *hash = strchr(f->location, '#');
        if (hash)
            *hash = '\0';
        long who = g.next_person++ % g.users;
        int n = snprintf(f->url, sizeof(f->url), "%.7000s&emu_person=%.64s%ld&emu_action=allow",
                         f->location, g.person, who);
        if (n < 0 || (size_t)n >= sizeof(f->url)) {
            g.failed++;
            record_error(f, CURLE_URL_MALFORMAT, status);
            flow_begin(f);
            return;
        }
        f->step = 1;
        flow_request(f);
        return;
    }
    if (next && f->step == 1) {
        snprintf(f->url, sizeof(f->url), "%s", f->location);
        f->step = 2;
        flow_request(f);
        return;
    }
    double t = now_ms();
    /* Throughput: logins that ended inside the window (whenever they started). */
    bool counted = t >= g.measure_from && t <= g.measure_to;
    if (next && f->step == 2 && strstr(f->location, "code=200&")) {
        if (counted) {
            g.ok++;
            if (g.nlat < MAX_LAT)
                g.lat[g.nlat++] = t - f->t0;
        }
    } else {
        g.failed++;
        if (counted)
            g.in_window_failed++;
        record_error(f, cc, status);
    }
    if (t < g.measure_to)
        flow_begin(f);
}

static int
on_socket(CURL *e, curl_socket_t s, int what, void *uarg, void *sarg)
{
    (void)e;
    (void)uarg;
    struct epoll_event ev = {.data.fd = s};
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(g.ep, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (sarg) {
        epoll_ctl(g.ep, EPOLL_CTL_MOD, s, &ev);
    } else {
        epoll_ctl(g.ep, EPOLL_CTL_ADD, s, &ev);
        curl_multi_assign(g.m, s, (void *)1);
    }
    return 0;
}

static int
on_timer(CURLM *m, long ms, void *arg)
{
    (void)m;
    (void)arg;
    g.timeout_at = ms < 0 ? -1 : now_ms() + (double)ms;
    return 0;
}

static void
drain(void)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(g.m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        flow_t *f = NULL;
        long status = 0;
        CURLcode cc = msg->data.result;
        CURL *h = msg->easy_handle;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&f);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        flow_done(f, cc, status);
    }
}

static bool
proc_sample(proc_t *p, double *cpu, long long *io, long long *rss)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *rp = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return false;
    *cpu = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
    *io = 0;
    snprintf(path, sizeof(path), "/proc/%d/io", p->pid);
    if ((fp = fopen(path, "r")) != NULL) {
        while (fgets(buf, sizeof(buf), fp))
            if (strncmp(buf, "write_bytes:", 12) == 0)
                *io = strtoll(buf + 12, NULL, 10);
        fclose(fp);
    }
    *rss = 0;
    snprintf(path, sizeof(path), "/proc/%d/status", p->pid);
    if ((fp = fopen(path, "r")) != NULL) {
        while (fgets(buf, sizeof(buf), fp))
            if (strncmp(buf, "VmRSS:", 6) == 0)
                *rss = strtoll(buf + 6, NULL, 10);
        fclose(fp);
    }
    return true;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
pct(double p)
{
    if (g.nlat == 0)
        return 0;
    long i = (long)(p * (double)(g.nlat - 1));
    return g.lat[i];
}

static void
usage(void)
{
    fprintf(stderr, "usage: wxbench_login --start URL [--inflight N] [--seconds S] [--warmup S]\n"
                    "                     [--users N] [--person PREFIX] [--pid PID]...\n"
                    "                     [--max-fail-ratio R]\n");
}

int
main(int argc, char **argv)
{
    long inflight = 64;
    double seconds = 10, warmup = 2, max_fail = 0;
    proc_t procs[MAX_PIDS];
    int nprocs = 0;
    g.person = "crowd-";
    g.users = 1000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(a, "--start") == 0)
            g.start = v;
        else if (strcmp(a, "--inflight") == 0)
            inflight = strtol(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0)
            seconds = strtod(v, NULL);
        else if (strcmp(a, "--warmup") == 0)
            warmup = strtod(v, NULL);
        else if (strcmp(a, "--users") == 0)
            g.users = strtol(v, NULL, 10);
        else if (strcmp(a, "--person") == 0)
            g.person = v;
        else if (strcmp(a, "--max-fail-ratio") == 0)
            max_fail = strtod(v, NULL);
        else if (strcmp(a, "--pid") == 0 && nprocs < MAX_PIDS)
            procs[nprocs++] = (proc_t){.pid = (int)strtol(v, NULL, 10)};
        else {
            usage();
            return 2;
        }
    }
    if (!g.start || inflight < 1 || inflight > 20000 || seconds <= 0 || seconds > 600 ||
        warmup < 0 || warmup > 600 || g.users < 1) {
        usage();
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g.m = curl_multi_init();
    g.ep = epoll_create1(0);
    g.lat = malloc(sizeof(double) * MAX_LAT);
    flow_t *flows = calloc((size_t)inflight, sizeof(*flows));
    if (!g.m || g.ep < 0 || !g.lat || !flows) {
        fprintf(stderr, "wxbench_login: out of memory\n");
        return 1;
    }
    curl_multi_setopt(g.m, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(g.m, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(g.m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    curl_multi_setopt(g.m, CURLMOPT_MAXCONNECTS, (long)inflight * 3);
    g.timeout_at = -1;
    double t0 = now_ms();
    g.measure_from = t0 + warmup * 1000;
    g.measure_to = g.measure_from + seconds * 1000;
    for (long i = 0; i < inflight; i++) {
        flow_t *f = &flows[i];
        f->h = curl_easy_init();
        curl_easy_setopt(f->h, CURLOPT_COOKIEFILE, "");
        curl_easy_setopt(f->h, CURLOPT_USERAGENT, UA);
        curl_easy_setopt(f->h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(f->h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(f->h, CURLOPT_HEADERDATA, f);
        curl_easy_setopt(f->h, CURLOPT_PRIVATE, f);
        curl_easy_setopt(f->h, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(f->h, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(f->h, CURLOPT_NOSIGNAL, 1L);
        flow_begin(f);
    }
    bool sampled = false;
    struct epoll_event evs[256];
    int running = 1;
    /* Bounded: the loop ends when the window closed and every login in flight ended (each has a
     * 60 s curl timeout), or at the hard deadline below. */
    double hard_end = g.measure_to + 70000;
    while (now_ms() < hard_end) {
        double t = now_ms();
        if (!sampled && t >= g.measure_from) {
            for (int i = 0; i < nprocs; i++)
                proc_sample(&procs[i], &procs[i].cpu0, &procs[i].io0, &procs[i].rss_kb);
            sampled = true;
        }
        if (sampled && t >= g.measure_to && procs[0].cpu1 == 0 && nprocs > 0) {
            for (int i = 0; i < nprocs; i++)
                proc_sample(&procs[i], &procs[i].cpu1, &procs[i].io1, &procs[i].rss_kb);
        }
        int wait = 50;
        if (g.timeout_at >= 0) {
            double d = g.timeout_at - t;
            wait = d <= 0 ? 0 : d < 50 ? (int)d + 1 : 50;
        }
        int n = epoll_wait(g.ep, evs, 256, wait);
        for (int i = 0; i < n; i++) {
            int ev = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                     (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                     (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(g.m, evs[i].data.fd, ev, &running);
        }
        if (g.timeout_at >= 0 && now_ms() >= g.timeout_at) {
            g.timeout_at = -1;
            curl_multi_socket_action(g.m, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        drain();
        if (now_ms() >= g.measure_to && running == 0)
            break;
    }
    if (nprocs > 0 && procs[0].cpu1 == 0)
        for (int i = 0; i < nprocs; i++)
            proc_sample(&procs[i], &procs[i].cpu1, &procs[i].io1, &procs[i].rss_kb);
    qsort(g.lat, (size_t)g.nlat, sizeof(double), cmp_double);
    double rate = (double)g.ok / seconds;
    printf("inflight=%ld seconds=%.1f ok=%ld failed=%ld rate=%.1f p50_ms=%.1f p90_ms=%.1f "
           "p99_ms=%.1f max_ms=%.1f",
           inflight, seconds, g.ok, g.failed, rate, pct(0.5), pct(0.9), pct(0.99),
           g.nlat ? g.lat[g.nlat - 1] : 0.0);
    for (int i = 0; i < nprocs; i++) {
        proc_t *p = &procs[i];
        double per = g.ok ? 1.0 / (double)g.ok : 0;
        printf(" pid%d_cpu_ms=%.3f pid%d_disk_kb=%.2f pid%d_rss_kb=%lld", i,
               (p->cpu1 - p->cpu0) * per, i, (double)(p->io1 - p->io0) / 1024.0 * per, i,
               p->rss_kb);
    }
    printf("\n");
    if (g.first_error[0])
        fprintf(stderr, "wxbench_login: first failure: %s\n", g.first_error);
    for (long i = 0; i < inflight; i++)
        curl_easy_cleanup(flows[i].h);
    free(flows);
    free(g.lat);
    curl_multi_cleanup(g.m);
    close(g.ep);
    curl_global_cleanup();
    long total = g.ok + g.in_window_failed;
    return (total > 0 && (double)g.in_window_failed <= max_fail * (double)total) ? 0 : 1;
}
