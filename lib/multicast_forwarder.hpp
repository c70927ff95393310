// Multicast routing between the two segments of a lab, in user space: the kernel here is built without
// multicast routing (CONFIG_IP_MROUTE, so no MRT_INIT, no smcroute), so the router reads every
// multicast frame of each segment from a packet socket (packet(7)) and sends it on to the other with
// the TTL / hop limit one lower, as a multicast router does (RFC 1112 section 6.6, RFC 4291 2.7).
#pragma once

#include "fd.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace netlab::mroute {

// What to do with one IP packet that arrived on a segment.
enum class Verdict {
    forward,       // multicast of a routable scope, TTL > 1: sent on with TTL - 1
    not_multicast, // unicast and broadcast are the kernel's business
    link_scope,    // 224.0.0.0/24 or ff01::/16, ff02::/16 (IGMP, MLD, all-hosts): never routed
    ttl_expired,   // TTL / hop limit 0 or 1: it would arrive with 0, so it stops here
    malformed,     // too short, wrong version, a header length that does not fit
};
const char* to_string(Verdict verdict);

// Decides on `packet` (an IPv4 or IPv6 header and what follows); for `forward`, lowers its TTL or hop
// limit by one in place and fixes the IPv4 header checksum. Never reads outside the span.
Verdict route(std::span<std::uint8_t> packet);
// The Ethernet address of a group (RFC 1112 6.4: 01:00:5e + low 23 bits; RFC 2464 7: 33:33 + low 32).
std::vector<std::uint8_t> group_mac(std::span<const std::uint8_t> packet);

// The forwarder of a router with interfaces `interfaces` (two or more): whatever multicast arrives on
// one goes out on all the others.
class Forwarder {
public:
    explicit Forwarder(const std::vector<std::string>& interfaces);

    struct Counts {
        std::uint64_t forwarded = 0, ttl_expired = 0, link_scope = 0;
    };
    // Forwards until `stop` becomes readable (a SignalFd); returns what it counted.
    Counts run(const Fd& stop);

private:
    struct Port {
        std::string name;
        int index;
        Fd sock;
    };
    std::vector<Port> ports_;
    Counts counts_;
};

} // namespace netlab::mroute
