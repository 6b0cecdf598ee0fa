/* epoll_server: the line protocol's parity and length handlers in C, one thread, epoll.
 * Written for the benchmark as the physical limit of this machine: no Python, one read and
 * one write per batch of requests per connection.
 *
 *   epoll_server [--host H] [--port P] [--max-line BYTES]
 *
 * Prints "tcp listening on H:P" once bound (P may be 0 = a free port). Replies as the
 * service does for plain requests (Indonesian): "angka 42 merupakan genap",
 * "jumlah karakter: 4" (code points), bare numbers -> parity, bare text -> length.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int fd;
    int want_out;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
    int discarding;
};

static size_t max_line = 65536;
static volatile sig_atomic_t stop;

static void on_signal(int sig) { (void)sig; stop = 1; }

static void out_reserve(struct conn *c, size_t more) {
    if (c->outlen + more <= c->outcap) return;
    if (c->outoff) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
        if (c->outlen + more <= c->outcap) return;
    }
    size_t cap = c->outcap ? c->outcap : 4096;
    while (cap < c->outlen + more) cap *= 2;
    c->out = realloc(c->out, cap);
    if (!c->out) { perror("realloc"); exit(1); }
    c->outcap = cap;
}

static void out_add(struct conn *c, const char *s, size_t n) {
    out_reserve(c, n);
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
}

static int is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* Echo of a number: as sent, blanks trimmed, head…tail past 40 characters. */
static void echo_number(struct conn *c, const char *s, size_t n) {
    if (n > 40) {
        out_add(c, s, 20);
        out_add(c, "\xe2\x80\xa6", 3);
        out_add(c, s + n - 20, 20);
    } else {
        out_add(c, s, n);
    }
}

/* Returns 1 and trims to the number if s is an integer, else 0. */
static int as_integer(const char **ps, size_t *pn) {
    const char *s = *ps;
    size_t n = *pn;
    while (n && is_blank(*s)) s++, n--;
    while (n && is_blank(s[n - 1])) n--;
    size_t i = (n && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (i == n) return 0;
    for (size_t j = i; j < n; j++)
        if (s[j] < '0' || s[j] > '9') return 0;
    *ps = s;
    *pn = n;
    return 1;
}

static void do_parity(struct conn *c, const char *s, size_t n) {
    const char *num = s;
    size_t len = n;
    if (!as_integer(&num, &len)) {
        static const char err[] = "ERR not_an_integer: bukan bilangan bulat\n";
        out_add(c, err, sizeof err - 1);
        return;
    }
    int odd = (num[len - 1] - '0') & 1;
    out_reserve(c, 128);
    out_add(c, "angka ", 6);
    echo_number(c, num, len);
    if (odd)
        out_add(c, " merupakan ganjil\n", 18);
    else
        out_add(c, " merupakan genap\n", 17);
}

static void do_length(struct conn *c, const char *s, size_t n) {
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    char buf[64];
    int k = snprintf(buf, sizeof buf, "jumlah karakter: %zu\n", chars);
    out_add(c, buf, (size_t)k);
}

static void answer(struct conn *c, const char *s, size_t n) {
    if (n && s[n - 1] == '\r') n--;
    if (n == 0) {
        static const char err[] = "ERR empty: baris kosong; coba: parity 42, length halo, atau help\n";
        out_add(c, err, sizeof err - 1);
        return;
    }
    const char *sp = memchr(s, ' ', n);
    size_t wlen = sp ? (size_t)(sp - s) : n;
    const char *rest = sp ? sp + 1 : s + n;
    size_t rlen = sp ? n - wlen - 1 : 0;
    if (wlen == 6 && strncasecmp(s, "parity", 6) == 0) {
        do_parity(c, rest, rlen);
    } else if (wlen == 6 && strncasecmp(s, "length", 6) == 0) {
        do_length(c, rest, rlen);
    } else if (wlen == 4 && strncasecmp(s, "help", 4) == 0) {
        static const char usage[] = "pakai: parity <bilangan bulat> | length <teks> | <teks> (auto)\n";
        out_add(c, usage, sizeof usage - 1);
    } else {
        const char *num = s;
        size_t len = n;
        if (as_integer(&num, &len))
            do_parity(c, s, n);
        else
            do_length(c, s, n);
    }
}

static void process(struct conn *c) {
    size_t start = 0;
    for (;;) {
        char *nl = memchr(c->in + start, '\n', c->inlen - start);
        if (!nl) break;
        size_t len = (size_t)(nl - (c->in + start));
        if (c->discarding) {
            c->discarding = 0;
        } else if (len > max_line + 1) {
            static const char err[] = "ERR line_too_long: baris terlalu panjang\n";
            out_add(c, err, sizeof err - 1);
        } else {
            answer(c, c->in + start, len);
        }
        start += len + 1;
    }
    if (start) {
        memmove(c->in, c->in + start, c->inlen - start);
        c->inlen -= start;
    }
    if (c->inlen > max_line + 1 && !c->discarding) {
        static const char err[] = "ERR line_too_long: baris terlalu panjang\n";
        out_add(c, err, sizeof err - 1);
        c->discarding = 1;
        c->inlen = 0;
    } else if (c->discarding) {
        c->inlen = 0;
    }
}

/* Returns -1 if the connection must be closed. */
static int flush_out(struct conn *c) {
    while (c->outoff < c->outlen) {
        ssize_t w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
        if (w < 0) {
            if (errno == EAGAIN) return 0;
            if (errno == EINTR) continue;
            return -1;
        }
        c->outoff += (size_t)w;
    }
    c->outoff = c->outlen = 0;
    return 0;
}

static void close_conn(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-line") && i + 1 < argc) max_line = (size_t)atol(argv[++i]);
        else { fprintf(stderr, "usage: epoll_server [--host H] [--port P] [--max-line N]\n"); return 2; }
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa_sig = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa_sig, NULL);
    sigaction(SIGINT, &sa_sig, NULL);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", host); return 2; }
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 4096) < 0) {
        fprintf(stderr, "cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        return 2;
    }
    socklen_t sl = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &sl);
    printf("tcp listening on %s:%d\n", host, ntohs(sa.sin_port));
    fflush(stdout);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event evs[256];
    char buf[65536];
    while (!stop) {
        int n = epoll_wait(ep, evs, 256, 500);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int e = 0; e < n; e++) {
            struct conn *c = evs[e].data.ptr;
            if (!c) {
                for (;;) {
                    int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            int dead = 0;
            if (evs[e].events & EPOLLOUT) {
                if (flush_out(c) < 0) dead = 1;
            }
            if (!dead && (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->want_out) {
                ssize_t r = read(c->fd, buf, sizeof buf);
                if (r <= 0) {
                    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                    dead = 1;
                } else {
                    if (c->inlen + (size_t)r > c->incap) {
                        size_t cap = c->incap ? c->incap : 4096;
                        while (cap < c->inlen + (size_t)r) cap *= 2;
                        c->in = realloc(c->in, cap);
                        c->incap = cap;
                    }
                    memcpy(c->in + c->inlen, buf, (size_t)r);
                    c->inlen += (size_t)r;
                    process(c);
                    if (flush_out(c) < 0) dead = 1;
                }
            }
            if (dead) {
                close_conn(ep, c);
                continue;
            }
            int want = c->outoff < c->outlen;
            if (want != c->want_out) {
                c->want_out = want;
                struct epoll_event cev = {.events = want ? EPOLLOUT : EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
            }
        }
    }
    return 0;
}
