/* mcast_ref: the reference sender for bench/mcast.sh. What the tutorial's clients do, in a loop:
 * one sendto(2) per 13-byte score record {83, 86, "Mike"}, to a unicast or multicast address (TTL 1). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: mcast_ref ADDR PORT COUNT\n");
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "mcast_ref: bad address %s\n", argv[1]);
        return 2;
    }
    long count = atol(argv[3]);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    unsigned char record[13] = {0, 0, 0, 83, 0, 0, 0, 86, 'M', 'i', 'k', 'e', 0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long sent = 0;
    for (; sent < count; ++sent)
        if (sendto(fd, record, sizeof record, 0, (struct sockaddr*)&to, sizeof to) < 0) {
            perror("sendto");
            return 1;
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%ld %.6f\n", sent, s);
    close(fd);
    return 0;
}
