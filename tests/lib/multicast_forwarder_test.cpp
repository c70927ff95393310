// Unit tests of the multicast router's decision: what crosses, with what TTL and checksums.
#include "multicast_forwarder.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

using namespace netlab::mroute;

namespace {

std::uint16_t ones_complement_sum(const std::vector<std::uint8_t>& bytes, std::size_t from, std::size_t to,
                                  std::uint32_t sum = 0) {
    for (std::size_t i = from; i < to; i += 2) sum += (bytes[i] << 8) | (i + 1 < to ? bytes[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

// 198.18.0.1 -> 239.0.0.1, UDP 40000 -> 2333 with 4 bytes of data, TTL `ttl`, the UDP checksum as
// a veth sender leaves it (only the pseudo-header's part).
std::vector<std::uint8_t> ipv4_udp(std::uint8_t ttl, std::uint8_t first = 239) {
    return {0x45,  0, 0, 32, 0x12, 0x34, 0x40, 0,    ttl, 17, 0x00, 0x00, 198, 18,  0,   1,
            first, 0, 0, 1,  0x9c, 0x40, 0x09, 0x1d, 0,   12, 0xab, 0xcd, 'M', 'i', 'k', 'e'};
}

} // namespace

TEST_CASE("a routable IPv4 group with TTL 2 crosses with TTL 1 and valid checksums", "[mroute]") {
    auto packet = ipv4_udp(2);
    REQUIRE(route(packet) == Verdict::forward);
    CHECK(packet[8] == 1);
    CHECK(ones_complement_sum(packet, 0, 20) == 0xffff); // the header checksum verifies
    std::uint32_t pseudo = ones_complement_sum(packet, 12, 20) + 17 + 12;
    CHECK(ones_complement_sum(packet, 20, 32, pseudo) == 0xffff); // so does the UDP checksum
    CHECK(group_mac(packet) == std::vector<std::uint8_t>{0x01, 0x00, 0x5e, 0, 0, 1});
}

TEST_CASE("TTL 1, link-scope groups, unicast and garbage stay where they are", "[mroute]") {
    auto ttl1 = ipv4_udp(1);
    CHECK(route(ttl1) == Verdict::ttl_expired);
    CHECK(ttl1[8] == 1); // untouched
    auto ttl0 = ipv4_udp(0);
    CHECK(route(ttl0) == Verdict::ttl_expired);
    auto igmp = ipv4_udp(8, 224);
    CHECK(route(igmp) == Verdict::link_scope);
    auto unicast = ipv4_udp(8, 198);
    CHECK(route(unicast) == Verdict::not_multicast);
    std::vector<std::uint8_t> empty;
    CHECK(route(empty) == Verdict::malformed);
    auto short_header = ipv4_udp(8);
    short_header[0] = 0x44; // IHL 4: shorter than any IPv4 header
    CHECK(route(short_header) == Verdict::malformed);
    auto long_header = ipv4_udp(8);
    long_header[0] = 0x4f; // 60 bytes of header in a 32-byte packet
    CHECK(route(long_header) == Verdict::malformed);
    auto whole = ipv4_udp(8);
    std::vector<std::uint8_t> truncated(whole.begin(), whole.begin() + 10);
    CHECK(route(truncated) == Verdict::malformed);
    auto lying_udp = ipv4_udp(8);
    lying_udp[25] = 200; // a UDP length beyond the packet: forwarded, its checksum left alone
    CHECK(route(lying_udp) == Verdict::forward);
    CHECK(lying_udp[26] == 0xab);
}

TEST_CASE("IPv6: site-scope groups cross with the hop limit lowered, link scope never", "[mroute]") {
    std::vector<std::uint8_t> packet(48, 0);
    packet[0] = 0x60;
    packet[5] = 8;  // payload length
    packet[6] = 17; // UDP
    packet[7] = 2;  // hop limit
    packet[8] = 0xfd;
    packet[24] = 0xff;
    packet[25] = 0x15; // ff15::1, site-local scope
    packet[39] = 1;
    packet[44] = 0;
    packet[45] = 8; // UDP length
    REQUIRE(route(packet) == Verdict::forward);
    CHECK(packet[7] == 1);
    CHECK((packet[46] | packet[47]) != 0); // a checksum was written
    CHECK(group_mac(packet) == std::vector<std::uint8_t>{0x33, 0x33, 0, 0, 0, 1});
    CHECK(route(packet) == Verdict::ttl_expired);
    packet[7] = 5;
    packet[25] = 0x02; // ff02::1
    CHECK(route(packet) == Verdict::link_scope);
    std::vector<std::uint8_t> short_v6(packet.begin(), packet.begin() + 39);
    CHECK(route(short_v6) == Verdict::malformed);
}
