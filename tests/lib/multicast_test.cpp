// Tests of lib/multicast.hpp that send nothing: scopes and refused options. Joining and sending are
// tested in the lab of namespaces (tests/cmd/mcast_test.cpp).
#include "multicast.hpp"

#include "error.hpp"
#include "sys.hpp"

#include <catch2/catch.hpp>

using netlab::SocketAddress;

namespace {
SocketAddress addr(const char* text) {
    return *SocketAddress::parse_numeric(text, 0);
}
} // namespace

TEST_CASE("IPv6 group scopes follow RFC 4291", "[multicast]") {
    CHECK(netlab::mcast::ipv6_scope(addr("ff02::1")) == 2);
    CHECK(netlab::mcast::ipv6_scope(addr("ff15::1")) == 5);
    CHECK(netlab::mcast::ipv6_scope(addr("ff0e::1")) == 14);
    CHECK(netlab::mcast::ipv6_scope(addr("239.0.0.1")) == 0);
    CHECK(netlab::mcast::needs_interface(addr("ff02::1")));
    CHECK(netlab::mcast::needs_interface(addr("ff01::1")));
    CHECK_FALSE(netlab::mcast::needs_interface(addr("ff15::1")));
    CHECK_FALSE(netlab::mcast::needs_interface(addr("224.0.0.1")));
}

TEST_CASE("joining an address that is not a group is refused with the option named", "[multicast]") {
    netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
    try {
        netlab::mcast::join(fd, addr("127.0.0.1"), 0);
        FAIL("join accepted a unicast address");
    } catch (const netlab::Error& e) {
        CHECK(std::string(e.what()) == "setsockopt IP_ADD_MEMBERSHIP 127.0.0.1: Invalid argument");
    }
}

TEST_CASE("sending options are accepted on both families", "[multicast]") {
    for (int family : {AF_INET, AF_INET6}) {
        netlab::Fd fd = netlab::sys::socket(family, SOCK_DGRAM);
        netlab::mcast::hops(fd, family, 0);
        netlab::mcast::hops(fd, family, 255);
        netlab::mcast::loop(fd, family, false);
        netlab::mcast::all_groups(fd, family, false);
        CHECK_THROWS_AS(netlab::mcast::hops(fd, family, 256), netlab::Error);
    }
}
