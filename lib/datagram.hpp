// Datagrams to and from a peer given per call on an unconnected UDP socket (recvfrom(2), sendmmsg(2)).
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace netlab {

struct Received {
    std::size_t length = 0; // real length; larger than the buffer when truncated
    SocketAddress from;
    bool truncated() const { return truncated_; }
    bool truncated_ = false;
};

// One datagram without blocking; nullopt when none is waiting. ICMP errors queued on the socket are
// skipped. Throws Error on other failures.
std::optional<Received> receive_from(const Fd& fd, std::span<std::uint8_t> buffer);
// The sender of the next datagram waiting on fd, which stays queued (MSG_PEEK); nullopt when none is.
std::optional<SocketAddress> peek_source(const Fd& fd);

// Sends datagrams to one address with as few system calls as possible; blocks while the socket
// buffer is full. Errors as send_messages (lib/udp.hpp) deals with them: one dropped by a firewall rule
// (EPERM) or a full device queue (ENOBUFS) is lost, as on the wire. Throws Error on the others.
void send_to(const Fd& fd, std::span<const std::span<const std::uint8_t>> datagrams, const SocketAddress& to);
void send_to(const Fd& fd, std::span<const std::uint8_t> datagram, const SocketAddress& to);

} // namespace netlab
