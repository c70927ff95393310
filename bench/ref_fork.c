/* bench/ref_fork.c: reference fork-per-connection time-stamp server, the tutorial's first TCP server
 * (accept, fork, reply "%lld\n", exit) with its zombies reaped. Usage: ref_fork [PORT [WORK_MS]]; port 0 (the default) is chosen by the kernel
 * and printed on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0, work_ms = argc > 2 ? atoi(argv[2]) : 0;
    struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
    sigaction(SIGCHLD, &sa, NULL); /* the kernel reaps the children: no zombies */
    int sfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(sfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(sfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(sfd, 1024) < 0) {
        perror("ref_fork: bind/listen");
        return 1;
    }
    socklen_t alen = sizeof a;
    getsockname(sfd, (struct sockaddr *)&a, &alen);
    fprintf(stderr, "%s: listening on 127.0.0.1:%d\n", argv[0], ntohs(a.sin_port));
    for (;;) {
        int c = accept(sfd, NULL, NULL);
        if (c < 0) continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(sfd);
            char buf[32];
            int len = snprintf(buf, sizeof buf, "%lld\n", (long long)time(NULL));
            send(c, buf, (size_t)len, MSG_NOSIGNAL);
            close(c);
            if (work_ms > 0) usleep((useconds_t)work_ms * 1000);
            _exit(0);
        }
        close(c);
    }
}
