/* The reference for one client run in bench/tcp.sh: the tutorial's client design (connect, fdopen,
 * fscanf "%lld\n", print). Usage: ref_stamp_client PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int sfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in raddr = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 2333)};
    inet_pton(AF_INET, "127.0.0.1", &raddr.sin_addr);
    if (connect(sfd, (struct sockaddr *)&raddr, sizeof raddr) < 0) {
        perror("connect()");
        return 1;
    }
    FILE *fp = fdopen(sfd, "r+");
    long long stamp;
    if (fp == NULL || fscanf(fp, "%lld\n", &stamp) < 1) {
        fprintf(stderr, "Bad format\n");
        return 1;
    }
    printf("%lld\n", stamp);
    fclose(fp);
    return 0;
}
