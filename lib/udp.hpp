// Batched UDP: many datagrams per system call with recvmmsg(2) and sendmmsg(2).
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include <sys/socket.h>

namespace netlab {

// Receive buffers for up to `count` datagrams of up to `slot_size` bytes each.
class ReceiveBatch {
public:
    ReceiveBatch(std::size_t count, std::size_t slot_size);

    // Takes whatever datagrams are waiting; 0 when none are. With wait, blocks for the first one
    // (MSG_WAITFORONE) until SO_RCVTIMEO or a signal, and returns 0 then. Throws on errors.
    std::size_t receive(const Fd& fd, bool wait = false);

    // The bytes of datagram i held in its slot (at most slot_size).
    std::span<const std::uint8_t> data(std::size_t i) const;
    // Its real length on the wire: larger than data(i).size() when the datagram did not fit.
    std::size_t length(std::size_t i) const { return headers_[i].msg_len; }
    SocketAddress source(std::size_t i) const;
    std::size_t capacity() const { return headers_.size(); }

private:
    std::size_t slot_size_;
    std::vector<std::uint8_t> buffer_;
    std::vector<sockaddr_storage> sources_;
    std::vector<iovec> iovs_;
    std::vector<mmsghdr> headers_;
    std::size_t filled_ = 0; // entries the last recvmmsg wrote, to be reset before the next
};

// Up to `count` outgoing datagrams of up to `slot_size` bytes, sent on a connected socket.
class SendBatch {
public:
    SendBatch(std::size_t count, std::size_t slot_size);

    std::span<std::uint8_t> slot(std::size_t i);
    void set_length(std::size_t i, std::size_t length) { iovs_[i].iov_len = length; }
    std::size_t capacity() const { return headers_.size(); }

    struct Result {
        std::size_t sent = 0;
        bool refused = false; // an earlier datagram drew ICMP port unreachable (ECONNREFUSED)
    };
    // Sends datagrams [0, n); blocks while the socket buffer is full. Throws on other errors.
    Result send(const Fd& fd, std::size_t n);

private:
    std::size_t slot_size_;
    std::vector<std::uint8_t> buffer_;
    std::vector<iovec> iovs_;
    std::vector<mmsghdr> headers_;
};

} // namespace netlab
