// Datagrams on an unconnected UDP socket: recvfrom(2) and sendmmsg(2).
#include "datagram.hpp"

#include "error.hpp"
#include "udp.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <vector>

namespace netlab {

std::optional<Received> receive_from(const Fd& fd, std::span<std::uint8_t> buffer) {
    for (;;) {
        Received r;
        socklen_t len = SocketAddress::capacity();
        ssize_t n = ::recvfrom(fd.get(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                               r.from.get_mut(), &len);
        if (n >= 0) {
            r.from.set_size(len);
            r.length = static_cast<std::size_t>(n);
            r.truncated_ = r.length > buffer.size();
            return r;
        }
        if (errno == EINTR || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
            continue;
        if (errno == EAGAIN) return std::nullopt;
        int err = errno; // before socket_name's own system call
        throw Error("recvfrom", socket_name(fd), err);
    }
}

std::optional<SocketAddress> peek_source(const Fd& fd) {
    for (;;) {
        SocketAddress from;
        socklen_t len = SocketAddress::capacity();
        std::uint8_t byte;
        if (::recvfrom(fd.get(), &byte, 1, MSG_DONTWAIT | MSG_PEEK, from.get_mut(), &len) >= 0) {
            from.set_size(len);
            return from;
        }
        if (errno == EINTR || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
            continue;
        if (errno == EAGAIN) return std::nullopt;
        int err = errno; // before socket_name's own system call
        throw Error("recvfrom", socket_name(fd), err);
    }
}

void send_to(const Fd& fd, std::span<const std::span<const std::uint8_t>> datagrams,
             const SocketAddress& to) {
    // Reused between calls: a window of 16 blocks per ACK would otherwise allocate on every ACK.
    thread_local std::vector<iovec> iovs;
    thread_local std::vector<mmsghdr> headers;
    iovs.assign(datagrams.size(), iovec{});
    headers.assign(datagrams.size(), mmsghdr{});
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        iovs[i] = {const_cast<std::uint8_t*>(datagrams[i].data()), datagrams[i].size()};
        headers[i].msg_hdr.msg_name = const_cast<sockaddr*>(to.get());
        headers[i].msg_hdr.msg_namelen = to.size();
        headers[i].msg_hdr.msg_iov = &iovs[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    MessagesSent done = send_messages(fd, headers);
    if (done.error != 0) throw Error("sendmmsg", to.to_string(), done.error);
}

void send_to(const Fd& fd, std::span<const std::uint8_t> datagram, const SocketAddress& to) {
    std::span<const std::uint8_t> one[] = {datagram};
    send_to(fd, one, to);
}

} // namespace netlab
