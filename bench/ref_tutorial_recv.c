/* Reference receiver for bench/udp.sh, of the socket tutorial's design: one recvfrom(2) per datagram
 * into a 504-byte buffer, inet_ntop, printf "IP PORT" and "name math chinese", fflush per record,
 * default socket buffer. Added only so that a run ends: 127.0.0.1:0 and the port on stderr, exit
 * after COUNT records or 1 s without a datagram (SO_RCVTIMEO).
 * usage: ref_tutorial_recv COUNT > FILE */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ref_socket.h"

struct record {
    uint32_t math;
    uint32_t chinese;
    char name[];
} __attribute__((packed));

enum { buffer_size = 504 };

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s COUNT\n", argv[0]);
        return 2;
    }
    unsigned long long count = strtoull(argv[1], NULL, 10);

    int fd = ref_bind_loopback("ref_tutorial_recv", 0);

    /* One extra byte, always 0, so a name without its NUL cannot run off the end. */
    static char storage[buffer_size + 1];
    struct record* rbuf = (struct record*)storage;
    char ip[INET_ADDRSTRLEN];
    unsigned long long received = 0;
    while (received < count) {
        struct sockaddr_in raddr;
        socklen_t raddr_len = sizeof raddr;
        ssize_t n = recvfrom(fd, rbuf, buffer_size, 0, (struct sockaddr*)&raddr, &raddr_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break; /* 1 s idle: the flood is over */
            perror("recvfrom");
            return 1;
        }
        ++received;
        inet_ntop(AF_INET, &raddr.sin_addr, ip, sizeof ip);
        printf("%s %d\n", ip, ntohs(raddr.sin_port));
        printf("%s %d %d\n", rbuf->name, (int)ntohl(rbuf->math), (int)ntohl(rbuf->chinese));
        fflush(NULL);
    }
    fprintf(stderr, "ref_tutorial_recv: received %llu\n", received);
    return 0;
}
