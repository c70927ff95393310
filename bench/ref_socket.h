/* The set-up the bench/ reference receivers share: a UDP socket (RFC 768) on 127.0.0.1 at a port the
 * kernel picks, named on stderr as netlab udp-recv does, and a 1 s receive timeout so a run ends. */
#ifndef NETLAB_BENCH_REF_SOCKET_H
#define NETLAB_BENCH_REF_SOCKET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

/* rcvbuf 0 keeps the kernel's default buffer; otherwise SO_RCVBUFFORCE (root), else SO_RCVBUF. */
static int ref_bind_loopback(const char* who, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("socket");
        exit(1);
    }
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in local = {.sin_family = AF_INET};
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof local;
    if (bind(fd, (struct sockaddr*)&local, sizeof local) < 0 ||
        getsockname(fd, (struct sockaddr*)&local, &len) < 0) {
        perror("bind");
        exit(1);
    }
    struct timeval idle = {.tv_sec = 1};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
    fprintf(stderr, "%s: listening on 127.0.0.1:%d\n", who, ntohs(local.sin_port));
    return fd;
}

#endif
