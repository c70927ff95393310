// TCP listeners, connects and error-as-value sends and receives (tcp(7), socket(7)).
#include "tcp.hpp"

#include "error.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>

namespace netlab::tcp {

Fd listen(const SocketAddress& addr, int backlog, bool nonblocking) {
    Fd fd = sys::socket(addr.family(), SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0));
    sockopt::reuse_address(fd);
    sys::bind(fd, addr);
    sys::listen(fd, backlog, addr);
    return fd;
}

namespace {
IoResult send_with(const Fd& fd, const void* data, std::size_t size, int flags) {
    for (;;) {
        ssize_t n = ::send(fd.get(), data, size, flags);
        if (n >= 0) return {static_cast<std::size_t>(n), 0};
        if (errno != EINTR) return {0, errno};
    }
}
} // namespace

IoResult send(const Fd& fd, const void* data, std::size_t size, bool nonblocking) {
    return send_with(fd, data, size, MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
}

IoResult send_last(const Fd& fd, const void* data, std::size_t size, bool nonblocking) {
    IoResult r = send_with(fd, data, size, MSG_NOSIGNAL | MSG_MORE | (nonblocking ? MSG_DONTWAIT : 0));
    // After a partial send the caller sends the rest: only the send that completes the reply ends it.
    if (r.ok() && r.bytes == size && ::shutdown(fd.get(), SHUT_WR) < 0 && errno != ENOTCONN)
        return {r.bytes, errno};
    return r;
}

IoResult send_reply(const Fd& fd, std::string_view reply, bool nonblocking) {
    std::size_t sent = 0;
    do { // an empty reply still ends the stream
        IoResult r = send_last(fd, reply.data() + sent, reply.size() - sent, nonblocking);
        sent += r.bytes;
        if (!r.ok()) return {sent, r.error};
    } while (sent < reply.size());
    return {sent, 0};
}

IoResult receive(const Fd& fd, void* data, std::size_t size) {
    for (;;) {
        ssize_t n = ::recv(fd.get(), data, size, 0);
        if (n >= 0) return {static_cast<std::size_t>(n), 0};
        if (errno != EINTR) return {0, errno};
    }
}

std::string fetch_reply(const SocketAddress& server, std::chrono::milliseconds timeout) {
    Fd fd = sys::socket(server.family(), SOCK_STREAM);
    sockopt::receive_timeout(fd, timeout);
    sys::connect(fd, server);
    std::string reply;
    char buf[256];
    for (;;) {
        IoResult r = receive(fd, buf, sizeof buf);
        if (!r.ok() || r.bytes == 0) break; // the end, or the timeout (EAGAIN): what came is the answer
        reply.append(buf, r.bytes);
    }
    return reply;
}

int start_connect(const Fd& fd, const SocketAddress& addr) {
    if (::connect(fd.get(), addr.get(), addr.size()) == 0) return 0;
    // EINTR on a non-blocking connect also leaves it going on in the background.
    return errno == EINTR ? EINPROGRESS : errno;
}

void connect(const Fd& fd, const SocketAddress& addr, std::chrono::milliseconds timeout) {
    sockopt::send_timeout(fd, timeout);
    if (::connect(fd.get(), addr.get(), addr.size()) == 0) return;
    int err = errno;
    // When SO_SNDTIMEO expires, connect(2) returns EINPROGRESS (EINTR only if a handler interrupted it).
    if (err == EINPROGRESS || err == EAGAIN || err == EINTR)
        throw Error("connect", addr.to_string(),
                    fmt::format("timed out after {:g} s", static_cast<double>(timeout.count()) / 1000));
    throw Error("connect", addr.to_string(), err);
}

namespace {

Fd open_spare() {
    return Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); // invalid when even this fails: no reserve
}

} // namespace

AcceptReserve::AcceptReserve() : spare_(open_spare()) {}

std::optional<std::size_t> AcceptReserve::refuse_waiting(const Fd& listener, std::size_t limit) {
    if (!spare_.valid()) spare_ = open_spare(); // taken earlier: the descriptors may be back
    if (!spare_.valid()) return std::nullopt;
    std::size_t refused = 0;
    while (refused < limit) {
        spare_.reset();
        std::optional<Fd> conn;
        int error = 0;
        try {
            conn = sys::accept(listener, nullptr, true);
        } catch (const Error& e) {
            error = e.error_number();
        }
        bool took = conn.has_value();
        if (took) {
            // SO_LINGER 0: close sends RST, so the client learns at once and no TIME_WAIT is left here.
            try {
                sockopt::linger(*conn, true, 0);
            } catch (const Error&) {
                // Then the close sends FIN instead of RST: the client still learns, only later, and
                // refusing goes on either way (lib/ does not log).
            }
            conn.reset();
        }
        spare_ = open_spare();
        if (took) ++refused;
        if (error || !spare_.valid()) return refused ? std::optional<std::size_t>(refused) : std::nullopt;
        if (!took) break; // the queue is empty
    }
    return refused;
}

} // namespace netlab::tcp
