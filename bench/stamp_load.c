/* bench/stamp_load.c: a load generator for the time-stamp servers (TCP, RFC 793): keeps CONCURRENCY
 * connections in flight from one epoll loop for SECONDS, each one connect, read to end of file,
 * close. Prints one line: connections/s and latency percentiles (connect to end of file).
 * Usage: stamp_load PORT CONCURRENCY SECONDS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 4000000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conn {
    int fd;
    double started;
    size_t got;
};

static float *samples;
static long nsamples, errors, short_replies;
static struct sockaddr_in server;
static int ep;

static void start(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        perror("socket");
        exit(1);
    }
    c->started = now_s();
    c->got = 0;
    if (connect(c->fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) {
        ++errors;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        perror("epoll_ctl");
        exit(1);
    }
}

static int cmp(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: stamp_load PORT CONCURRENCY SECONDS\n");
        return 2;
    }
    int port = atoi(argv[1]), concurrency = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (port <= 0 || concurrency <= 0 || concurrency > 10000 || seconds <= 0 || seconds > 60) {
        fprintf(stderr, "stamp_load: bad arguments\n");
        return 2;
    }
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)port);
    inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    samples = malloc(sizeof(float) * MAX_SAMPLES);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)concurrency, sizeof *conns);
    double t0 = now_s(), end = t0 + seconds;
    for (int i = 0; i < concurrency; ++i) start(&conns[i]);
    int in_flight = concurrency;
    struct epoll_event events[256];
    while (in_flight > 0) {
        int n = epoll_wait(ep, events, 256, 1000);
        if (n < 0 && errno == EINTR) continue;
        if (n == 0 && now_s() > end + 5) break; /* a stuck server: give up, bounded */
        double t = now_s();
        for (int i = 0; i < n; ++i) {
            struct conn *c = events[i].data.ptr;
            char buf[256];
            ssize_t got;
            while ((got = read(c->fd, buf, sizeof buf)) > 0) c->got += (size_t)got;
            if (got < 0 && errno == EAGAIN) continue;
            if (got < 0) ++errors;
            else if (c->got == 0) ++short_replies;
            else if (nsamples < MAX_SAMPLES) samples[nsamples++] = (float)(t - c->started);
            close(c->fd);
            if (t < end) start(c);
            else --in_flight;
        }
    }
    double took = now_s() - t0;
    qsort(samples, (size_t)nsamples, sizeof(float), cmp);
#define PCT(p) (nsamples ? samples[(long)((double)(nsamples - 1) * (p))] * 1e3 : 0.0)
    printf("conns %ld seconds %.2f rate %.0f p50_ms %.3f p90_ms %.3f p99_ms %.3f max_ms %.3f errors %ld "
           "empty %ld\n",
           nsamples, took, (double)nsamples / took, PCT(0.5), PCT(0.9), PCT(0.99), PCT(1.0), errors,
           short_replies);
    return 0;
}
