// Batched UDP with recvmmsg(2) and sendmmsg(2).
#include "udp.hpp"

#include "error.hpp"

#include <cerrno>

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
}

std::span<std::uint8_t> SendBatch::slot(std::size_t i) {
    return {buffer_.data() + i * slot_size_, slot_size_};
}

SendBatch::Result SendBatch::send(const Fd& fd, std::size_t n) {
    Result result;
    while (result.sent < n) {
        int rc =
            ::sendmmsg(fd.get(), headers_.data() + result.sent, static_cast<unsigned>(n - result.sent), 0);
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
