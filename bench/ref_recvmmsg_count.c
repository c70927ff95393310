/* Reference receiver for bench/udp.sh: the least a receiver can do, a bare recvmmsg(2) loop that
 * counts datagrams, 64 per call into 512-byte slots, with udp-recv's default 4 MiB receive buffer
 * (SO_RCVBUFFORCE as root, else SO_RCVBUF). Binds 127.0.0.1:0 and prints the port on stderr; exits
 * after COUNT datagrams or 1 s without one (SO_RCVTIMEO), printing "received N".
 * usage: ref_recvmmsg_count COUNT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ref_socket.h"

enum { batch = 64, slot = 512 };

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s COUNT\n", argv[0]);
        return 2;
    }
    unsigned long long count = strtoull(argv[1], NULL, 10);

    int fd = ref_bind_loopback("ref_recvmmsg_count", 4 << 20);

    static unsigned char buffers[batch][slot];
    struct iovec iov[batch];
    struct mmsghdr msgs[batch];
    struct sockaddr_in sources[batch];
    unsigned long long received = 0;
    while (received < count) {
        for (int i = 0; i < batch; ++i) {
            iov[i].iov_base = buffers[i];
            iov[i].iov_len = slot;
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_name = &sources[i];
            msgs[i].msg_hdr.msg_namelen = sizeof sources[i];
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        /* MSG_WAITFORONE: block for the first datagram, then take whatever else is queued. */
        int n = recvmmsg(fd, msgs, batch, MSG_WAITFORONE, NULL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break; /* 1 s idle: the flood is over */
            perror("recvmmsg");
            return 1;
        }
        received += (unsigned long long)n;
    }
    printf("received %llu\n", received);
    return 0;
}
