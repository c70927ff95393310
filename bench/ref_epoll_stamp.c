/* The ceiling reference for bench/tcp.sh: a minimal single-threaded epoll time-stamp server.
 * Non-blocking accept until EAGAIN, one send of "%lld\n", close. No logging, no error recovery.
 * Usage: ref_epoll_stamp PORT (0 = any; prints "listening on 127.0.0.1:PORT" to stderr). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 2333)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(sfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sfd, 1024) < 0) {
        perror("bind/listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(sfd, (struct sockaddr *)&addr, &len);
    fprintf(stderr, "ref_epoll_stamp: listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, ready[16];
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    for (;;) {
        if (epoll_wait(ep, ready, 16, -1) < 0) continue;
        int c;
        while ((c = accept4(sfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
            char buf[32];
            int n = snprintf(buf, sizeof buf, "%lld\n", (long long)time(NULL));
            send(c, buf, n, MSG_NOSIGNAL);
            close(c);
        }
    }
}
