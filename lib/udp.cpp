// Batched UDP with recvmmsg(2) and sendmmsg(2).
#include "udp.hpp"

#include "error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/udp.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 // linux/udp.h; older libc headers lack it
#endif

namespace netlab {

MessagesSent send_messages(const Fd& fd, std::span<mmsghdr> messages) {
    MessagesSent done;
    while (done.messages < messages.size()) {
        int rc = ::sendmmsg(fd.get(), messages.data() + done.messages,
                            static_cast<unsigned>(messages.size() - done.messages), 0);
        if (rc > 0) {
            for (int k = 0; k < rc; ++k) done.datagrams += messages[done.messages++].msg_hdr.msg_iovlen;
            continue;
        }
        int err = rc < 0 ? errno : EIO; // sendmmsg never returns 0 for a non-empty vector
        if (err == EINTR) continue;
        if (err == ECONNREFUSED) {
            done.refused = true;
            continue;
        }
        if (err == EPERM || err == ENOBUFS) {
            done.lost += messages[done.messages++].msg_hdr.msg_iovlen;
            continue;
        }
        done.error = err;
        return done;
    }
    return done;
}

std::string socket_name(const Fd& fd, bool peer) {
    SocketAddress addr;
    socklen_t len = SocketAddress::capacity();
    int rc =
        peer ? ::getpeername(fd.get(), addr.get_mut(), &len) : ::getsockname(fd.get(), addr.get_mut(), &len);
    if (rc < 0 || len == 0) return "descriptor " + std::to_string(fd.get());
    addr.set_size(len);
    return addr.to_string();
}

ReceiveBatch::ReceiveBatch(std::size_t count, std::size_t slot_size)
    : slot_size_(slot_size), buffer_(count * slot_size), sources_(count), iovs_(count), headers_(count) {
    for (std::size_t i = 0; i < count; ++i) {
        iovs_[i] = {buffer_.data() + i * slot_size_, slot_size_};
        headers_[i].msg_hdr.msg_name = &sources_[i];
        headers_[i].msg_hdr.msg_iov = &iovs_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
    }
    filled_ = count;
}

std::size_t ReceiveBatch::receive(const Fd& fd, bool wait) {
    // The kernel writes only msg_len, msg_namelen and msg_flags, and only in the entries it filled:
    // resetting those few, not all 64, keeps a short batch cheap.
    for (std::size_t i = 0; i < filled_; ++i) {
        headers_[i].msg_len = 0;
        headers_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
        headers_[i].msg_hdr.msg_flags = 0;
    }
    filled_ = 0;
    for (;;) {
        // MSG_TRUNC makes msg_len the datagram's real length, so oversized ones can be reported.
        int n = ::recvmmsg(fd.get(), headers_.data(), static_cast<unsigned>(headers_.size()),
                           (wait ? MSG_WAITFORONE : MSG_DONTWAIT) | MSG_TRUNC, nullptr);
        if (n >= 0) return filled_ = static_cast<std::size_t>(n);
        // A caller that waits wants to see the signal that interrupted it.
        if (errno == EINTR && !wait) continue;
        if (errno == EAGAIN || errno == EINTR) return 0;
        // A pending ICMP error on a connected or multicast socket is not a reason to stop receiving.
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) continue;
        int err = errno; // before socket_name's own system call
        throw Error("recvmmsg", socket_name(fd), err);
    }
}

std::span<const std::uint8_t> ReceiveBatch::data(std::size_t i) const {
    std::size_t len = headers_[i].msg_len < slot_size_ ? headers_[i].msg_len : slot_size_;
    return {buffer_.data() + i * slot_size_, len};
}

SocketAddress ReceiveBatch::source(std::size_t i) const {
    return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&sources_[i]),
                                        headers_[i].msg_hdr.msg_namelen);
}

SendBatch::SendBatch(std::size_t count, std::size_t slot_size)
    : slot_size_(slot_size), buffer_(count * slot_size), iovs_(count), headers_(count) {
    for (std::size_t i = 0; i < count; ++i) {
        iovs_[i] = {buffer_.data() + i * slot_size_, 0};
        headers_[i].msg_hdr.msg_iov = &iovs_[i];
        headers_[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t groups = (count + segments_per_message - 1) / segments_per_message;
    group_headers_.resize(groups);
    group_controls_.resize(groups * CMSG_SPACE(sizeof(std::uint16_t)));
}

std::span<std::uint8_t> SendBatch::slot(std::size_t i) {
    return {buffer_.data() + i * slot_size_, slot_size_};
}

SendBatch::Result SendBatch::send(const Fd& fd, std::size_t n) {
    segmented_ = false;
    bool same_length = n >= 2 && !segmentation_refused_;
    for (std::size_t i = 1; i < n && same_length; ++i) same_length = iovs_[i].iov_len == iovs_[0].iov_len;
    if (same_length && iovs_[0].iov_len > 0) {
        if (auto result = send_segmented(fd, n)) return *result;
        segmentation_refused_ = true;
    }
    return send_each_from(fd, 0, n);
}

std::optional<SendBatch::Result> SendBatch::send_segmented(const Fd& fd, std::size_t n) {
    std::size_t groups = (n + segments_per_message - 1) / segments_per_message;
    std::size_t control_size = CMSG_SPACE(sizeof(std::uint16_t));
    for (std::size_t g = 0; g < groups; ++g) {
        msghdr& m = group_headers_[g].msg_hdr;
        m = {};
        std::size_t first = g * segments_per_message;
        m.msg_iov = &iovs_[first];
        m.msg_iovlen = std::min(segments_per_message, n - first);
        m.msg_control = group_controls_.data() + g * control_size;
        m.msg_controllen = control_size;
        cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        auto segment = static_cast<std::uint16_t>(iovs_[0].iov_len);
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
    }
    MessagesSent done = send_messages(fd, {group_headers_.data(), groups});
    Result result{done.datagrams, done.lost, done.refused};
    segmented_ = done.datagrams > 0;
    if (done.error == 0) return result;
    // No offload on this kernel, socket or device (EIO: no checksum offload; EINVAL: e.g. a segment
    // larger than the path MTU): the caller sends the rest one datagram per message.
    int err = done.error;
    if (done.messages == 0 &&
        (err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP || err == EMSGSIZE))
        return std::nullopt;
    if (done.messages > 0 && (err == EIO || err == EINVAL || err == EMSGSIZE)) {
        Result rest = send_each_from(fd, done.datagrams + done.lost, n);
        result.sent += rest.sent;
        result.lost += rest.lost;
        result.refused = result.refused || rest.refused;
        return result;
    }
    throw Error("sendmmsg", socket_name(fd, true), err);
}

SendBatch::Result SendBatch::send_each_from(const Fd& fd, std::size_t first, std::size_t n) {
    MessagesSent done = send_messages(fd, {headers_.data() + first, n - first});
    if (done.error != 0) throw Error("sendmmsg", socket_name(fd, true), done.error);
    return {done.datagrams, done.lost, done.refused};
}

} // namespace netlab
