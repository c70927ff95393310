// Named socket options (socket(7), ip(7), ipv6(7)).
#include "sockopt.hpp"

#include "error.hpp"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace netlab::sockopt {

namespace {

void set_int(const Fd& fd, int level, int name, int value, const char* what) {
    if (::setsockopt(fd.get(), level, name, &value, sizeof value) < 0) throw Error("setsockopt", what, errno);
}

int get_int(const Fd& fd, int level, int name, const char* what) {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(fd.get(), level, name, &value, &len) < 0) throw Error("getsockopt", what, errno);
    return value;
}

void set_timeval(const Fd& fd, int name, std::chrono::milliseconds timeout, const char* what) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    if (::setsockopt(fd.get(), SOL_SOCKET, name, &tv, sizeof tv) < 0) throw Error("setsockopt", what, errno);
}

} // namespace

void reuse_address(const Fd& fd, bool on) {
    set_int(fd, SOL_SOCKET, SO_REUSEADDR, on, "SO_REUSEADDR");
}
void reuse_port(const Fd& fd, bool on) {
    set_int(fd, SOL_SOCKET, SO_REUSEPORT, on, "SO_REUSEPORT");
}
void broadcast(const Fd& fd, bool on) {
    set_int(fd, SOL_SOCKET, SO_BROADCAST, on, "SO_BROADCAST");
}
void ipv6_only(const Fd& fd, bool on) {
    set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, on, "IPV6_V6ONLY");
}

void receive_buffer(const Fd& fd, int bytes) {
    // Try to pass the rmem_max cap first (works as root); fall back to the capped request.
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return;
    set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
}

void send_buffer(const Fd& fd, int bytes) {
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof bytes) == 0) return;
    set_int(fd, SOL_SOCKET, SO_SNDBUF, bytes, "SO_SNDBUF");
}

int receive_buffer_size(const Fd& fd) {
    return get_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
}
int send_buffer_size(const Fd& fd) {
    return get_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
}

void receive_timeout(const Fd& fd, std::chrono::milliseconds timeout) {
    set_timeval(fd, SO_RCVTIMEO, timeout, "SO_RCVTIMEO");
}
void send_timeout(const Fd& fd, std::chrono::milliseconds timeout) {
    set_timeval(fd, SO_SNDTIMEO, timeout, "SO_SNDTIMEO");
}

int socket_error(const Fd& fd) {
    return get_int(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
}

bool still_connecting(const Fd& fd) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd.get(), IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        throw Error("getsockopt", "TCP_INFO", errno);
    return info.tcpi_state == TCP_SYN_SENT;
}

void linger(const Fd& fd, bool on, int seconds) {
    ::linger value{on ? 1 : 0, seconds};
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &value, sizeof value) < 0)
        throw Error("setsockopt", "SO_LINGER", errno);
}

} // namespace netlab::sockopt
