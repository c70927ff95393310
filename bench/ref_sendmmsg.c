/* Reference sender for bench/udp.sh: the fastest plain C flood of one score record (RFC 768
 * datagrams, the record layout of lib/score_record.hpp), batched 64 per sendmmsg(2).
 * usage: ref_sendmmsg PORT COUNT SIZE   (SIZE 13 = the tutorial's "Mike" record, up to 504)
 * prints: "sent N packets in S s: R packets/s" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { batch = 64, header = 8, max_record = 504 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s PORT COUNT SIZE\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned long long count = strtoull(argv[2], NULL, 10);
    size_t size = strtoul(argv[3], NULL, 10);
    if (port <= 0 || port > 65535 || size < header + 2 || size > max_record) {
        fprintf(stderr, "%s: bad PORT or SIZE (10..504)\n", argv[0]);
        return 2;
    }

    /* One record, sent `count` times: math and chinese in network order, then a NUL-terminated
     * name filling the rest ("Mike" for 13 bytes). */
    unsigned char record[max_record];
    uint32_t math = htonl(90), chinese = htonl(85);
    memcpy(record, &math, 4);
    memcpy(record + 4, &chinese, 4);
    if (size == 13)
        memcpy(record + header, "Mike", 4);
    else
        memset(record + header, 'x', size - header - 1);
    record[size - 1] = '\0';

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr*)&to, sizeof to) < 0) {
        perror("connect");
        return 1;
    }

    struct iovec iov[batch];
    struct mmsghdr msgs[batch];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < batch; ++i) {
        iov[i].iov_base = record;
        iov[i].iov_len = size;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    double start = now();
    unsigned long long sent = 0;
    while (sent < count) {
        unsigned n = count - sent < batch ? (unsigned)(count - sent) : batch;
        int rc = sendmmsg(fd, msgs, n, 0);
        if (rc > 0) {
            sent += (unsigned long long)rc;
        } else if (rc < 0 && errno != EINTR && errno != ECONNREFUSED) {
            /* ECONNREFUSED reports an earlier datagram's ICMP error; anything else is fatal. */
            perror("sendmmsg");
            return 1;
        }
    }
    double seconds = now() - start;
    printf("sent %llu packets in %.3f s: %.0f packets/s\n", sent, seconds, seconds > 0 ? sent / seconds : 0);
    close(fd);
    return 0;
}
