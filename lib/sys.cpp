// Throwing wrappers of the socket system calls.
#include "sys.hpp"

#include "error.hpp"
#include "sockopt.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace netlab::sys {

Fd socket(int family, int type, int protocol) {
    int fd = ::socket(family, type | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
        const char* kind = base == SOCK_STREAM ? "TCP" : base == SOCK_DGRAM ? "UDP" : "raw";
        throw Error("socket", std::string(family == AF_INET6 ? "IPv6 " : "IPv4 ") + kind, errno);
    }
    return Fd(fd);
}

void bind(const Fd& fd, const SocketAddress& addr) {
    if (::bind(fd.get(), addr.get(), addr.size()) < 0) throw Error("bind", addr.to_string(), errno);
}

void connect(const Fd& fd, const SocketAddress& addr) {
    int rc = ::connect(fd.get(), addr.get(), addr.size());
    // After EINTR the connection attempt goes on in the background: wait for it rather than retrying.
    if (rc < 0 && errno == EINTR) {
        pollfd p{fd.get(), POLLOUT, 0};
        while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
        }
        // SO_ERROR holds the outcome. socket_error throws when it cannot be read: left at 0, an unread
        // outcome would pass for a connection made.
        int err = sockopt::socket_error(fd);
        if (err != 0) throw Error("connect", addr.to_string(), err);
        return;
    }
    if (rc < 0) throw Error("connect", addr.to_string(), errno);
}

void listen(const Fd& fd, int backlog, const SocketAddress& addr) {
    if (::listen(fd.get(), backlog) < 0) throw Error("listen", addr.to_string(), errno);
}

SocketAddress local_address(const Fd& fd) {
    SocketAddress addr;
    socklen_t len = SocketAddress::capacity();
    if (::getsockname(fd.get(), addr.get_mut(), &len) < 0)
        throw Error("getsockname", "descriptor " + std::to_string(fd.get()), errno);
    addr.set_size(len);
    return addr;
}

void set_nonblocking(const Fd& fd, bool on) {
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK) < 0)
        throw Error(on ? "set O_NONBLOCK on" : "clear O_NONBLOCK on", describe(fd.get()), errno);
}

std::string describe(int fd) {
    SocketAddress addr;
    socklen_t len = SocketAddress::capacity();
    if (::getsockname(fd, addr.get_mut(), &len) == 0) {
        addr.set_size(len);
        if (addr.family() == AF_INET || addr.family() == AF_INET6) return addr.to_string();
    }
    return "descriptor " + std::to_string(fd);
}

std::string describe(std::span<const pollfd> fds) {
    std::string text = fds.size() == 1 ? "descriptor " : "descriptors ";
    for (std::size_t i = 0; i < fds.size(); ++i) text += (i ? ", " : "") + std::to_string(fds[i].fd);
    return text;
}

Fd duplicate(const Fd& fd) {
    int copy = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw Error("dup", "descriptor " + std::to_string(fd.get()), errno);
    return Fd(copy);
}

std::optional<Fd> accept(const Fd& listener, SocketAddress* peer, bool nonblocking) {
    SocketAddress scratch;
    SocketAddress& out = peer ? *peer : scratch;
    for (;;) {
        socklen_t len = SocketAddress::capacity();
        int fd =
            ::accept4(listener.get(), out.get_mut(), &len, SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
        if (fd >= 0) {
            out.set_size(len);
            return Fd(fd);
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == ECONNABORTED) return std::nullopt;
        throw Error("accept", describe(listener.get()), errno);
    }
}

int poll(std::span<pollfd> fds, int timeout_ms) {
    int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0) {
        if (errno == EINTR) return 0;
        throw Error("poll", describe(fds), errno);
    }
    return n;
}

int poll(std::span<pollfd> fds, std::chrono::nanoseconds timeout) {
    timespec ts{static_cast<time_t>(timeout.count() / 1000000000),
                static_cast<long>(timeout.count() % 1000000000)};
    int n = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (n < 0) {
        if (errno == EINTR) return 0;
        throw Error("poll", describe(fds), errno);
    }
    return n;
}

int poll_spinning(std::span<pollfd> fds, std::chrono::nanoseconds budget) {
    if (budget <= budget.zero()) return 0;
    auto until = std::chrono::steady_clock::now() + budget;
    do {
        if (int n = poll(fds, 0); n > 0) return n;
    } while (std::chrono::steady_clock::now() < until);
    return 0;
}

unsigned usable_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0)
        return std::max(1u, std::thread::hardware_concurrency());
    return std::max(1, CPU_COUNT(&set));
}

void write_all(int fd, const void* data, std::size_t size, const char* what) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error("write", what, errno);
        }
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace netlab::sys
