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
        throw Error("recvmmsg", "", errno);
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
    Result result;
    std::size_t groups_sent = 0;
    while (groups_sent < groups) {
        int rc = ::sendmmsg(fd.get(), group_headers_.data() + groups_sent,
                            static_cast<unsigned>(groups - groups_sent), 0);
        if (rc > 0) {
            for (int k = 0; k < rc; ++k) result.sent += group_headers_[groups_sent + k].msg_hdr.msg_iovlen;
            groups_sent += static_cast<std::size_t>(rc);
            segmented_ = true;
            continue;
        }
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0 && errno == ECONNREFUSED) {
            result.refused = true;
            continue;
        }
        // No offload on this kernel, socket or device (EIO: no checksum offload; EINVAL: e.g. a
        // segment larger than the path MTU): the caller sends the rest one datagram per message.
        if (rc < 0 && groups_sent == 0 &&
            (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP ||
             errno == EMSGSIZE))
            return std::nullopt;
        if (rc < 0 && groups_sent > 0 && (errno == EIO || errno == EINVAL || errno == EMSGSIZE)) {
            Result rest = send_each_from(fd, result.sent, n);
            result.sent += rest.sent;
            result.refused = result.refused || rest.refused;
            return result;
        }
        throw Error("sendmmsg", "", errno);
    }
    return result;
}

SendBatch::Result SendBatch::send_each_from(const Fd& fd, std::size_t first, std::size_t n) {
    Result result;
    while (first + result.sent < n) {
        int rc = ::sendmmsg(fd.get(), headers_.data() + first + result.sent,
                            static_cast<unsigned>(n - first - result.sent), 0);
        if (rc > 0) {
            result.sent += static_cast<std::size_t>(rc);
            continue;
        }
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0 && errno == ECONNREFUSED) {
            // The error belongs to an earlier datagram; reading it cleared it, so retry this batch.
            result.refused = true;
            continue;
        }
        throw Error("sendmmsg", "", errno);
    }
    return result;
}

} // namespace netlab
