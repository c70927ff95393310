// Multicast group membership and sending options for IPv4 and IPv6 (ip(7), ipv6(7)): any-source
// groups (RFC 1112, RFC 2710) and source-specific ones (RFC 4607, IGMPv3 RFC 3376, MLDv2 RFC 3810).
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <optional>

namespace netlab::mcast {

// The scope field of an IPv6 group (RFC 4291 2.7): 1 interface-local, 2 link-local, 5 site-local,
// 8 organization-local, 14 global. 0 for IPv4 groups.
int ipv6_scope(const SocketAddress& group) noexcept;
// True for IPv6 groups of interface- or link-local scope, which mean nothing without an interface.
bool needs_interface(const SocketAddress& group) noexcept;

// Joins `group` on interface `ifindex` (0: the one the route to the group leaves by), from any source
// or, with `source`, from that one only. IPv4 uses IP_ADD_MEMBERSHIP with ip_mreqn and
// IP_ADD_SOURCE_MEMBERSHIP with ip_mreq_source (which names the interface by its IPv4 address);
// IPv6 uses IPV6_JOIN_GROUP and MCAST_JOIN_SOURCE_GROUP. Throws Error.
void join(const Fd& fd, const SocketAddress& group, unsigned ifindex,
          const std::optional<SocketAddress>& source = std::nullopt);
// The matching IP_DROP_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP, IPV6_LEAVE_GROUP, MCAST_LEAVE_SOURCE_GROUP.
void leave(const Fd& fd, const SocketAddress& group, unsigned ifindex,
           const std::optional<SocketAddress>& source = std::nullopt);

// A joined group, left again when the object goes (closing the socket would leave it too; leaving
// explicitly is what a receiver that keeps its socket must do).
class Membership {
public:
    Membership(const Fd& fd, SocketAddress group, unsigned ifindex, std::optional<SocketAddress> source);
    Membership(Membership&& other) noexcept;
    Membership& operator=(Membership&&) = delete;
    ~Membership();

private:
    int fd_;
    SocketAddress group_;
    unsigned ifindex_;
    std::optional<SocketAddress> source_;
};

// Sending side, for a socket of `family` (AF_INET or AF_INET6):
// the interface datagrams to groups leave by (IP_MULTICAST_IF with ip_mreqn, IPV6_MULTICAST_IF);
void interface(const Fd& fd, int family, unsigned ifindex);
// their TTL / hop limit (IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS), 0..255, 0 meaning this host only;
void hops(const Fd& fd, int family, int ttl);
// whether this host's own members get a copy (IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP).
void loop(const Fd& fd, int family, bool on);

// Receiving side: with `on` false (IP_MULTICAST_ALL, IPV6_MULTICAST_ALL) a socket bound to the
// wildcard address gets only the groups it joined itself, not those other sockets of the host joined.
void all_groups(const Fd& fd, int family, bool on);

} // namespace netlab::mcast
