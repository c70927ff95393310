/* bench/ref_epoll.c: reference single-process event-loop time-stamp server (epoll(7)): a non-blocking
 * listening socket, accept until EAGAIN, reply "%lld\n" and close. Usage: ref_epoll [PORT]; port 0 (the default) is chosen
 * by the kernel and printed on stderr. */
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
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int sfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(sfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(sfd, 1024) < 0) {
        perror("ref_epoll: bind/listen");
        return 1;
    }
    socklen_t alen = sizeof a;
    getsockname(sfd, (struct sockaddr *)&a, &alen);
    fprintf(stderr, "%s: listening on 127.0.0.1:%d\n", argv[0], ntohs(a.sin_port));
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    for (;;) {
        struct epoll_event out;
        if (epoll_wait(ep, &out, 1, -1) < 1) continue;
        int c;
        while ((c = accept4(sfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
            char buf[32];
            int len = snprintf(buf, sizeof buf, "%lld\n", (long long)time(NULL));
            send(c, buf, (size_t)len, MSG_NOSIGNAL);
            close(c);
        }
    }
}
