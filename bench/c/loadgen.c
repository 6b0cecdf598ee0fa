/* loadgen: a small epoll load generator for the line protocol, written for the benchmark.
 *
 *   loadgen load HOST PORT CONNS DEPTH WARMUP_S DURATION_S
 *       CONNS connections, each keeping DEPTH requests in flight (DEPTH 1 = lockstep).
 *       Every reply line is checked against the reply the request must get. Prints one JSON
 *       line: requests answered in the measured window, rps, latency percentiles, errors.
 *   loadgen hold HOST PORT CONNS
 *       Opens CONNS connections (at most 64 connecting at once), sends one request on each
 *       and checks its reply, prints "ready N" and then holds them idle until stdin closes
 *       or a line arrives on it; then closes them all.
 *
 * Exit status: 0 ok, 1 usage/system error, 2 wrong replies, 3 stalled (no reply for 5 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXDEPTH 64
#define RBUF 65536
#define REQMAX 64
#define STALL_NS 5000000000ULL

struct conn {
    int fd;
    int connected;
    uint64_t sent, recvd;
    size_t rlen;
    size_t wlen, woff;
    char rbuf[RBUF];
    char wbuf[MAXDEPTH * REQMAX * 2];
    uint64_t t_sent[MAXDEPTH];
    char exp[MAXDEPTH][REQMAX];
    uint8_t explen[MAXDEPTH];
};

static const char TEXT[] = "halo dunia apa kabar semuanya baik baik saja";

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Request k of connection c, and the reply it must get. Returns the request length. */
static int make_req(uint64_t k, int c, char *req, char *exp, uint8_t *explen) {
    uint64_t n = (k * 2654435761ULL + (uint64_t)c * 40503ULL + 7) % 1000000000ULL;
    int len = 1 + (int)((k * 7 + (uint64_t)c) % 30);
    int r, e;
    switch (k & 3) {
    case 0: /* parity N */
        r = sprintf(req, "parity %llu\n", (unsigned long long)n);
        e = sprintf(exp, "angka %llu merupakan %s", (unsigned long long)n,
                    (n & 1) ? "ganjil" : "genap");
        break;
    case 1: /* length TEXT */
        r = sprintf(req, "length %.*s\n", len, TEXT);
        e = sprintf(exp, "jumlah karakter: %d", len);
        break;
    case 2: /* bare number: auto -> parity */
        r = sprintf(req, "%llu\n", (unsigned long long)n);
        e = sprintf(exp, "angka %llu merupakan %s", (unsigned long long)n,
                    (n & 1) ? "ganjil" : "genap");
        break;
    default: /* bare text: auto -> length */
        r = sprintf(req, "%.*s\n", len, TEXT);
        e = sprintf(exp, "jumlah karakter: %d", len);
        break;
    }
    *explen = (uint8_t)e;
    return r;
}

static int open_conn(struct sockaddr_in *sa) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Queue n new requests on c and try to write everything pending. -1 on a socket error. */
static int send_reqs(struct conn *c, int idx, int n, uint64_t t) {
    for (int i = 0; i < n; i++) {
        uint64_t k = c->sent;
        int slot = (int)(k % MAXDEPTH);
        int r = make_req(k, idx, c->wbuf + c->wlen, c->exp[slot], &c->explen[slot]);
        c->wlen += (size_t)r;
        c->t_sent[slot] = t;
        c->sent++;
    }
    while (c->woff < c->wlen) {
        ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
        if (w < 0) {
            if (errno == EAGAIN) break;
            if (errno == EINTR) continue;
            return -1;
        }
        c->woff += (size_t)w;
    }
    if (c->woff == c->wlen) {
        c->woff = c->wlen = 0;
    } else if (c->woff > sizeof c->wbuf / 2) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    return 0;
}

static uint32_t *lat;
static size_t nlat, caplat;
static uint64_t errors;
static char first_error[512];

static void record_lat(uint64_t ns) {
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 1 << 16;
        lat = realloc(lat, caplat * sizeof *lat);
        if (!lat) { perror("realloc"); exit(1); }
    }
    uint64_t us = ns / 1000;
    lat[nlat++] = us > 0xffffffffULL ? 0xffffffffU : (uint32_t)us;
}

static void bad_reply(struct conn *c, int slot, const char *line, size_t len) {
    errors++;
    if (!first_error[0]) {
        snprintf(first_error, sizeof first_error, "expected '%.*s' got '%.*s'",
                 c->explen[slot], c->exp[slot], (int)(len > 200 ? 200 : len), line);
        for (char *p = first_error; *p; p++)
            if (*p == '"' || *p == '\\' || (unsigned char)*p < 32) *p = '?';
    }
}

/* Read what is there; check every complete reply line. Returns the number of replies,
 * -1 on EOF or error. */
static int read_replies(struct conn *c, uint64_t t, int measuring) {
    int got = 0;
    for (;;) {
        ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF - c->rlen);
        if (r < 0) {
            if (errno == EAGAIN) break;
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) return -1;
        c->rlen += (size_t)r;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(c->rbuf + start, '\n', c->rlen - start);
            if (!nl) break;
            size_t len = (size_t)(nl - (c->rbuf + start));
            const char *line = c->rbuf + start;
            if (c->recvd >= c->sent) {
                errors++;
                if (!first_error[0]) snprintf(first_error, sizeof first_error, "unasked reply");
            } else {
                int slot = (int)(c->recvd % MAXDEPTH);
                if (len != c->explen[slot] || memcmp(line, c->exp[slot], len) != 0)
                    bad_reply(c, slot, line, len);
                if (measuring) record_lat(t - c->t_sent[slot]);
                c->recvd++;
            }
            got++;
            start += len + 1;
        }
        if (start) {
            memmove(c->rbuf, c->rbuf + start, c->rlen - start);
            c->rlen -= start;
        }
        if (c->rlen == RBUF) return -1; /* a reply line over 64 KiB: not ours */
        if ((size_t)r < RBUF / 2) break;
    }
    return got;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p) {
    if (!nlat) return 0;
    size_t i = (size_t)(p * (double)(nlat - 1) + 0.5);
    return lat[i];
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int run_load(struct sockaddr_in *sa, int nconn, int depth, double warm, double dur) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    if (!cs || ep < 0) { perror("setup"); return 1; }
    for (int i = 0; i < nconn; i++) {
        cs[i].fd = open_conn(sa);
        if (cs[i].fd < 0) { perror("connect"); return 1; }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    uint64_t t0 = now_ns();
    uint64_t t_meas = t0 + (uint64_t)(warm * 1e9);
    uint64_t t_end = t_meas + (uint64_t)(dur * 1e9);
    uint64_t last_progress = t0, measured = 0;
    int stopping = 0, status = 0;
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, 100);
        uint64_t t = now_ns();
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        if (!stopping && t >= t_end) stopping = 1;
        int measuring = t >= t_meas && t < t_end;
        for (int e = 0; e < n; e++) {
            struct conn *c = &cs[evs[e].data.u32];
            int idx = (int)evs[e].data.u32;
            if (!c->connected && (evs[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    fprintf(stderr, "connect: %s\n", strerror(err));
                    return 1;
                }
                c->connected = 1;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)idx};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                if (send_reqs(c, idx, depth, t) < 0) { perror("write"); return 1; }
                continue;
            }
            if (evs[e].events & EPOLLOUT) {
                if (send_reqs(c, idx, 0, t) < 0) { perror("write"); return 1; }
            }
            if (evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                int got = read_replies(c, t, measuring);
                if (got < 0) {
                    fprintf(stderr, "connection %d closed by the server after %llu replies\n",
                            idx, (unsigned long long)c->recvd);
                    return 1;
                }
                if (got > 0) {
                    last_progress = t;
                    if (measuring) measured += (uint64_t)got;
                    if (!stopping && send_reqs(c, idx, got, t) < 0) { perror("write"); return 1; }
                }
            }
            struct epoll_event ev = {.events = EPOLLIN | (c->woff < c->wlen ? EPOLLOUT : 0),
                                     .data.u32 = (uint32_t)idx};
            if (c->connected) epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        }
        if (stopping) {
            int pending = 0;
            for (int i = 0; i < nconn; i++) pending |= cs[i].recvd < cs[i].sent;
            if (!pending) break;
        }
        if (t - last_progress > STALL_NS) {
            uint64_t inflight = 0;
            for (int i = 0; i < nconn; i++) inflight += cs[i].sent - cs[i].recvd;
            fprintf(stderr, "stalled: no reply for 5 s with %llu requests in flight\n",
                    (unsigned long long)inflight);
            status = 3;
            break;
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < nconn; i++) {
        total += cs[i].recvd;
        close(cs[i].fd);
    }
    qsort(lat, nlat, sizeof *lat, cmp_u32);
    printf("{\"conns\": %d, \"depth\": %d, \"seconds\": %.3f, \"requests\": %llu, "
           "\"total_replies\": %llu, \"rps\": %.1f, \"p50_us\": %.0f, \"p90_us\": %.0f, "
           "\"p99_us\": %.0f, \"max_us\": %.0f, \"errors\": %llu, \"first_error\": \"%s\", "
           "\"stalled\": %s}\n",
           nconn, depth, dur, (unsigned long long)measured, (unsigned long long)total,
           (double)measured / dur, pct(0.5), pct(0.9), pct(0.99), pct(1.0),
           (unsigned long long)errors, first_error, status == 3 ? "true" : "false");
    fflush(stdout);
    if (status) return status;
    return errors ? 2 : 0;
}

static int run_hold(struct sockaddr_in *sa, int nconn) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    if (!cs || ep < 0) { perror("setup"); return 1; }
    int opened = 0, done = 0, active = 0;
    uint64_t last_progress = now_ns();
    struct epoll_event evs[256];
    while (done < nconn) {
        while (opened < nconn && active < 64) {
            struct conn *c = &cs[opened];
            c->fd = open_conn(sa);
            if (c->fd < 0) { perror("connect"); return 1; }
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)opened};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            opened++;
            active++;
        }
        int n = epoll_wait(ep, evs, 256, 100);
        uint64_t t = now_ns();
        for (int e = 0; e < n; e++) {
            int idx = (int)evs[e].data.u32;
            struct conn *c = &cs[idx];
            if (!c->connected) {
                int err = 0;
                socklen_t l = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) { fprintf(stderr, "connect %d: %s\n", idx, strerror(err)); return 1; }
                c->connected = 1;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)idx};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                if (send_reqs(c, idx, 1, t) < 0) { perror("write"); return 1; }
                continue;
            }
            int got = read_replies(c, t, 0);
            if (got < 0) { fprintf(stderr, "connection %d closed by the server\n", idx); return 1; }
            if (got > 0 && c->recvd == c->sent) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                done++;
                active--;
                last_progress = t;
            }
        }
        if (t - last_progress > STALL_NS) {
            fprintf(stderr, "stalled after %d of %d connections\n", done, nconn);
            return 3;
        }
    }
    printf("ready %d errors %llu\n", done, (unsigned long long)errors);
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < nconn; i++) close(cs[i].fd);
    return errors ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: loadgen load HOST PORT CONNS DEPTH WARMUP_S DURATION_S\n"
                        "       loadgen hold HOST PORT CONNS\n");
        return 1;
    }
    raise_nofile();
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
    if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", argv[2]);
        return 1;
    }
    int nconn = atoi(argv[4]);
    if (nconn < 1) { fprintf(stderr, "bad CONNS\n"); return 1; }
    if (strcmp(argv[1], "load") == 0 && argc == 8) {
        int depth = atoi(argv[5]);
        if (depth < 1 || depth > MAXDEPTH) { fprintf(stderr, "DEPTH 1..%d\n", MAXDEPTH); return 1; }
        return run_load(&sa, nconn, depth, atof(argv[6]), atof(argv[7]));
    }
    if (strcmp(argv[1], "hold") == 0) return run_hold(&sa, nconn);
    fprintf(stderr, "bad arguments\n");
    return 1;
}
