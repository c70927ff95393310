// Multicast group membership and sending options for IPv4 and IPv6 (ip(7), ipv6(7), RFC 3678).
#include "multicast.hpp"

#include "error.hpp"
#include "interfaces.hpp"

#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <string>

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 // linux/in6.h, Linux 4.20; glibc's headers do not have it yet
#endif

namespace netlab::mcast {

namespace {

const in_addr& v4(const SocketAddress& a) {
    return reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr;
}
const in6_addr& v6(const SocketAddress& a) {
    return reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr;
}

void set(const Fd& fd, int level, int name, const void* value, socklen_t size, const char* option,
         const std::string& object) {
    if (::setsockopt(fd.get(), level, name, value, size) < 0)
        throw Error("setsockopt", object.empty() ? option : std::string(option) + " " + object, errno);
}

void set_int(const Fd& fd, int level, int name, int value, const char* option) {
    set(fd, level, name, &value, sizeof value, option, "");
}

std::string describe(const SocketAddress& group, const std::optional<SocketAddress>& source) {
    return source ? group.ip() + " from " + source->ip() : group.ip();
}

// ip_mreq_source names the interface by an IPv4 address of it, not by its index.
in_addr interface_address(unsigned ifindex) {
    in_addr any{};
    any.s_addr = htonl(INADDR_ANY);
    if (ifindex == 0) return any;
    if (auto i = find_interface(std::to_string(ifindex)))
        if (auto a = i->ipv4()) return v4(*a);
    throw Error("join", "on interface " + std::to_string(ifindex), "it has no IPv4 address");
}

void change(const Fd& fd, const SocketAddress& group, unsigned ifindex,
            const std::optional<SocketAddress>& source, bool join) {
    std::string what = describe(group, source);
    if (group.family() == AF_INET && !source) {
        ip_mreqn req{};
        req.imr_multiaddr = v4(group);
        req.imr_address.s_addr = htonl(INADDR_ANY);
        req.imr_ifindex = static_cast<int>(ifindex);
        set(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &req, sizeof req,
            join ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP", what);
    } else if (group.family() == AF_INET) {
        ip_mreq_source req{};
        req.imr_multiaddr = v4(group);
        req.imr_interface = interface_address(ifindex);
        req.imr_sourceaddr = v4(*source);
        set(fd, IPPROTO_IP, join ? IP_ADD_SOURCE_MEMBERSHIP : IP_DROP_SOURCE_MEMBERSHIP, &req, sizeof req,
            join ? "IP_ADD_SOURCE_MEMBERSHIP" : "IP_DROP_SOURCE_MEMBERSHIP", what);
    } else if (!source) {
        ipv6_mreq req{};
        req.ipv6mr_multiaddr = v6(group);
        req.ipv6mr_interface = ifindex;
        set(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &req, sizeof req,
            join ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP", what);
    } else {
        group_source_req req{};
        req.gsr_interface = ifindex;
        std::memcpy(&req.gsr_group, group.get(), group.size());
        std::memcpy(&req.gsr_source, source->get(), source->size());
        set(fd, IPPROTO_IPV6, join ? MCAST_JOIN_SOURCE_GROUP : MCAST_LEAVE_SOURCE_GROUP, &req, sizeof req,
            join ? "MCAST_JOIN_SOURCE_GROUP" : "MCAST_LEAVE_SOURCE_GROUP", what);
    }
}

} // namespace

int ipv6_scope(const SocketAddress& group) noexcept {
    if (group.family() != AF_INET6 || !group.is_multicast()) return 0;
    return v6(group).s6_addr[1] & 0x0f;
}

bool needs_interface(const SocketAddress& group) noexcept {
    int scope = ipv6_scope(group);
    return scope == 1 || scope == 2;
}

void join(const Fd& fd, const SocketAddress& group, unsigned ifindex,
          const std::optional<SocketAddress>& source) {
    change(fd, group, ifindex, source, true);
}

void leave(const Fd& fd, const SocketAddress& group, unsigned ifindex,
           const std::optional<SocketAddress>& source) {
    change(fd, group, ifindex, source, false);
}

Membership::Membership(const Fd& fd, SocketAddress group, unsigned ifindex,
                       std::optional<SocketAddress> source)
    : fd_(fd.get()), group_(std::move(group)), ifindex_(ifindex), source_(std::move(source)) {
    join(fd, group_, ifindex_, source_);
}

Membership::Membership(Membership&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), group_(other.group_), ifindex_(other.ifindex_),
      source_(other.source_) {}

Membership::~Membership() {
    if (fd_ < 0) return;
    // Borrow the descriptor without owning it; a failed leave changes nothing the close will not.
    Fd borrowed(fd_);
    try {
        leave(borrowed, group_, ifindex_, source_);
    } catch (const Error&) {
    }
    borrowed.release();
}

void interface(const Fd& fd, int family, unsigned ifindex) {
    if (family == AF_INET) {
        ip_mreqn req{};
        req.imr_ifindex = static_cast<int>(ifindex);
        set(fd, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof req, "IP_MULTICAST_IF", "");
    } else {
        set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex), "IPV6_MULTICAST_IF");
    }
}

void hops(const Fd& fd, int family, int ttl) {
    if (family == AF_INET)
        set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL");
    else
        set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "IPV6_MULTICAST_HOPS");
}

void loop(const Fd& fd, int family, bool on) {
    if (family == AF_INET)
        set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP");
    else
        set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "IPV6_MULTICAST_LOOP");
}

void all_groups(const Fd& fd, int family, bool on) {
    if (family == AF_INET)
        set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, on, "IP_MULTICAST_ALL");
    else
        set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, on, "IPV6_MULTICAST_ALL");
}

} // namespace netlab::mcast
