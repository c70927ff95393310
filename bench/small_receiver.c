/* A strict RFC 7440 download client, as most are: one SO_RCVBUF of a set size (default 64 KiB), one
 * datagram per recvfrom, only the next block in order kept, an ACK after windowsize blocks, at the short
 * last block, or after TIMEOUT_MS of silence (the last block again), never early for a gap; and a
 * pause after each ACK, as a client writing out each window makes. bench/ftp.sh runs it against each
 * server: a sender that bursts a window larger than the buffer loses its tail every time.
 * usage: small_receiver HOST PORT FILE BLKSIZE WINDOW OUTFILE [RCVBUF [PAUSE_US [TIMEOUT_MS]]]
 * Prints the seconds the transfer took; exit 1 on an ERROR, a bad packet, or 20 s without an end. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s HOST PORT FILE BLKSIZE WINDOW OUTFILE [RCVBUF [PAUSE_US [TIMEOUT_MS]]]\n",
                argv[0]);
        return 2;
    }
    long block = atol(argv[4]), window = atol(argv[5]);
    int rcvbuf = argc > 7 ? atoi(argv[7]) : 65536;
    long pause_us = argc > 8 ? atol(argv[8]) : 1000;
    int timeout_ms = argc > 9 ? atoi(argv[9]) : 3000;
    FILE* out = fopen(argv[6], "wb");
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (!out || fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
        perror("setup");
        return 1;
    }
    struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    inet_pton(AF_INET, argv[1], &server.sin_addr);

    unsigned char request[600], ack[4] = {0, 4, 0, 0}, *packet = malloc(65536 + 64);
    int n = snprintf((char*)request + 2, sizeof request - 2, "%s%coctet%cblksize%c%ld%cwindowsize%c%ld", argv[3],
                     0, 0, 0, block, 0, 0, window);
    request[0] = 0, request[1] = 1;
    sendto(fd, request, (size_t)n + 3, 0, (struct sockaddr*)&server, sizeof server);

    struct sockaddr_in peer = server; /* the server's transfer port once it answers */
    int known = 0;
    long have = 0, since_ack = 0, granted_block = 512, granted_window = 1;
    double start = now();
    for (;;) {
        if (now() - start > 20) {
            fprintf(stderr, "small_receiver: no end after 20 s (%ld blocks)\n", have);
            return 1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int send_ack = 0, last = 0;
        if (poll(&p, 1, timeout_ms) == 0) {
            send_ack = known; /* silence: the last ACK again */
        } else {
            socklen_t len = sizeof peer;
            ssize_t got = recvfrom(fd, packet, 65536 + 64, 0, (struct sockaddr*)&peer, &len);
            if (got < 4) continue;
            known = 1;
            int op = packet[1];
            if (op == 5) {
                fprintf(stderr, "small_receiver: ERROR %d %.*s\n", packet[3], (int)got - 4, packet + 4);
                return 1;
            }
            if (op == 6) { /* OACK: name\0value\0 pairs; the server may grant less */
                for (ssize_t i = 2; i < got;) {
                    const char* name = (const char*)packet + i;
                    size_t name_len = strnlen(name, (size_t)(got - i));
                    if (i + (ssize_t)name_len + 1 >= got) break;
                    const char* value = name + name_len + 1;
                    if (!strcasecmp(name, "blksize")) granted_block = atol(value);
                    if (!strcasecmp(name, "windowsize")) granted_window = atol(value);
                    i += (ssize_t)(name_len + strnlen(value, (size_t)(got - i - name_len - 1)) + 2);
                }
                send_ack = have == 0;
            } else if (op == 3) {
                long blockno = packet[2] << 8 | packet[3];
                if (blockno != ((have + 1) & 0xffff)) continue; /* not the next: dropped, no early ACK */
                fwrite(packet + 4, 1, (size_t)got - 4, out);
                ++have;
                last = got - 4 < granted_block;
                send_ack = ++since_ack >= granted_window || last;
            } else {
                fprintf(stderr, "small_receiver: unexpected opcode %d\n", op);
                return 1;
            }
        }
        if (send_ack) {
            ack[2] = (unsigned char)(have >> 8), ack[3] = (unsigned char)have;
            sendto(fd, ack, 4, 0, (struct sockaddr*)&peer, sizeof peer);
            since_ack = 0;
            if (last) break;
            usleep((useconds_t)pause_us);
        }
    }
    fclose(out);
    printf("%.4f\n", now() - start);
    return 0;
}
