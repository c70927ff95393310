/* A closed-loop blocking client for bench/tcp.sh's concurrency sweep: N threads, each doing
 * socket, connect, read to the end, close, again and again for S seconds -- the shape of
 * `while true; do netlab tcp-stamp-client; done` without the process start, N of them in flight.
 * Usage: closed_loop PORT THREADS SECONDS
 * Prints one line: "conn_per_s N ok N failed N p50_us N p99_us N". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { max_samples = 1 << 16 };

struct worker {
    pthread_t thread;
    long ok, failed;
    unsigned samples; /* latencies of the first max_samples connections, microseconds */
    unsigned *latency;
};

static struct sockaddr_in server;
static double end_at;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int one_connection(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    char buf[64];
    long got = 0, n;
    if (connect(fd, (struct sockaddr *)&server, sizeof server) == 0)
        while ((n = read(fd, buf, sizeof buf)) > 0) got += n;
    close(fd);
    return got > 0 ? 0 : -1;
}

static void *run(void *arg) {
    struct worker *w = arg;
    double t;
    while ((t = now()) < end_at) {
        int rc = one_connection();
        double took = now() - t;
        if (rc == 0) {
            ++w->ok;
            if (w->samples < max_samples) w->latency[w->samples++] = (unsigned)(took * 1e6);
        } else {
            ++w->failed;
        }
    }
    return NULL;
}

static int by_value(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: closed_loop PORT THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[2]);
    double seconds = atof(argv[3]);
    if (threads < 1 || threads > 4096 || seconds <= 0) {
        fprintf(stderr, "closed_loop: THREADS 1..4096, SECONDS > 0\n");
        return 2;
    }
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)atoi(argv[1]));
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct worker *w = calloc((size_t)threads, sizeof *w);
    double start = now();
    end_at = start + seconds;
    for (int i = 0; i < threads; ++i) {
        w[i].latency = malloc(max_samples * sizeof(unsigned));
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
    long ok = 0, failed = 0;
    size_t total = 0;
    for (int i = 0; i < threads; ++i) {
        pthread_join(w[i].thread, NULL);
        ok += w[i].ok;
        failed += w[i].failed;
        total += w[i].samples;
    }
    double took = now() - start;
    unsigned *all = malloc((total + 1) * sizeof(unsigned));
    size_t k = 0;
    for (int i = 0; i < threads; ++i)
        for (unsigned j = 0; j < w[i].samples; ++j) all[k++] = w[i].latency[j];
    qsort(all, total, sizeof(unsigned), by_value);
    unsigned p50 = total ? all[total / 2] : 0, p99 = total ? all[total * 99 / 100] : 0;
    printf("conn_per_s %.0f ok %ld failed %ld p50_us %u p99_us %u\n", (double)ok / took, ok, failed, p50, p99);
    return 0;
}
