// Batched UDP: many datagrams per system call with recvmmsg(2) and sendmmsg(2).
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace netlab {

// What send_messages did: messages [0, messages) are dealt with, sent or lost; counts are datagrams, one
// per iovec as netlab builds its messages (one each, or a UDP_SEGMENT group of same-length ones).
struct MessagesSent {
    std::size_t messages = 0;
    std::size_t datagrams = 0; // sent
    std::size_t lost = 0;      // dropped on the way out (EPERM, ENOBUFS)
    bool refused = false;      // an earlier datagram drew ICMP port unreachable (ECONNREFUSED)
    int error = 0;             // the errno outside the policy that stopped it; 0 when all were dealt with
};

// sendmmsg(2) until every message is dealt with, blocking while the socket buffer is full. The one errno
// policy of every UDP sender in netlab:
//   EINTR         the call is made again.
//   ECONNREFUSED  an ICMP port unreachable came back for an earlier datagram (Linux keeps them on a
//                 connected socket, or with IP_RECVERR). The kernel reports it instead of sending this
//                 message and clears it, so the message was not sent: it is sent again, and `refused`
//                 tells the caller nobody listens there. Skipping it would lose a datagram never sent.
//   EPERM, ENOBUFS  a firewall rule (nft, iptables) or a full device queue dropped this message: it is
//                 lost as on the wire, counted in `lost` and skipped, and a protocol that recovers from
//                 loss (TFTP) recovers it. Stopping would end a transfer over one dropped packet.
//   anything else  returned in `error`, for the caller to throw or to fall back on.
// The errno is only ever that of a call's first message: when a later one fails, the kernel returns
// the count sent before it and drops the error, so that message is simply sent again by the next call.
// A rule that drops it drops it again, as the first message then, and it is counted as above.
MessagesSent send_messages(const Fd& fd, std::span<mmsghdr> messages);

// What an error names a socket by: "127.0.0.1:2333", its peer's address when `peer` and it is connected,
// or "descriptor 5" when it has no address.
std::string socket_name(const Fd& fd, bool peer = false);

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
        std::size_t lost = 0; // dropped on the way out by a firewall rule or a full device queue
        bool refused = false; // an earlier datagram drew ICMP port unreachable (ECONNREFUSED)
    };
    // Sends datagrams [0, n) under send_messages' errno policy (sent + lost == n); blocks while the
    // socket buffer is full. Throws Error on the errors outside it.
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
