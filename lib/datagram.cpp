// Datagrams on an unconnected UDP socket: recvfrom(2) and sendmmsg(2).
#include "datagram.hpp"

#include "error.hpp"

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
        throw Error("recvfrom", "", errno);
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
        throw Error("recvfrom", "", errno);
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
    std::size_t sent = 0;
    while (sent < headers.size()) {
        int rc = ::sendmmsg(fd.get(), headers.data() + sent, static_cast<unsigned>(headers.size() - sent), 0);
        if (rc > 0) {
            sent += static_cast<std::size_t>(rc);
        } else if (rc < 0 && (errno == ECONNREFUSED || errno == EPERM || errno == ENOBUFS)) {
            // An earlier ICMP error, a firewall drop (nft, iptables) or a full device queue: this
            // datagram is lost, which the protocol above recovers from like any other loss.
            ++sent;
        } else if (rc < 0 && errno != EINTR) {
            throw Error("sendmmsg", to.to_string(), errno);
        }
    }
}

void send_to(const Fd& fd, std::span<const std::uint8_t> datagram, const SocketAddress& to) {
    std::span<const std::uint8_t> one[] = {datagram};
    send_to(fd, one, to);
}

} // namespace netlab
