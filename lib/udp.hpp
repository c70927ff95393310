// Batched UDP: many datagrams per system call with recvmmsg(2) and sendmmsg(2).
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <cstdint>
#include <optional>
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
    // When they all have the same length, groups of up to segments_per_message go down the stack
    // as one message with UDP segmentation offload (UDP_SEGMENT, Linux 4.18): route, firewall and
    // device are passed once per group and the datagrams are cut out afterwards, on the wire
    // exactly as if sent one by one. A kernel or device that refuses it gets one per message.
    Result send(const Fd& fd, std::size_t n);
    // Whether the last send used segmentation offload (for logs and tests).
    bool segmented() const { return segmented_; }
    void disable_segmentation() { segmentation_refused_ = true; }

    static constexpr std::size_t segments_per_message = 64; // the kernel's UDP_MAX_SEGMENTS

private:
    Result send_each_from(const Fd& fd, std::size_t first, std::size_t n);
    // std::nullopt when the kernel refused segmentation offload and nothing was sent.
    std::optional<Result> send_segmented(const Fd& fd, std::size_t n);

    std::size_t slot_size_;
    std::vector<std::uint8_t> buffer_;
    std::vector<iovec> iovs_;
    std::vector<mmsghdr> headers_;
    // One message per group of segments_per_message datagrams, each with a UDP_SEGMENT cmsg.
    std::vector<mmsghdr> group_headers_;
    std::vector<std::uint8_t> group_controls_;
    bool segmentation_refused_ = false;
    bool segmented_ = false;
};

} // namespace netlab
