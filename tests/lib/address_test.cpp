// Tests of lib/address: parsing and printing IPv4 and IPv6 endpoints.
#include "address.hpp"
#include "error.hpp"

#include <catch2/catch.hpp>

using netlab::Family;
using netlab::SocketAddress;
using netlab::UsageError;

TEST_CASE("split_host_port separates host and port", "[address]") {
    using netlab::split_host_port;
    CHECK(split_host_port("127.0.0.1:2333").host == "127.0.0.1");
    CHECK(split_host_port("127.0.0.1:2333").port == "2333");
    CHECK(split_host_port("localhost").port.empty());
    CHECK(split_host_port("[::1]:80").host == "::1");
    CHECK(split_host_port("[::1]:80").port == "80");
    CHECK(split_host_port("[::1]").port.empty());
    CHECK(split_host_port("fe80::1").host == "fe80::1"); // bare IPv6: colons belong to the address
    CHECK_THROWS_AS(split_host_port("[::1"), UsageError);
    CHECK_THROWS_AS(split_host_port("[::1]80"), UsageError);
    CHECK_THROWS_AS(split_host_port("[::1]:"), UsageError);
}

TEST_CASE("parse_port accepts 0-65535 and nothing else", "[address]") {
    CHECK(netlab::parse_port("0") == 0);
    CHECK(netlab::parse_port("2333") == 2333);
    CHECK(netlab::parse_port("65535") == 65535);
    for (const char* bad : {"", "65536", "-1", "12a", "0x10", " 1", "99999999999"}) {
        INFO(bad);
        CHECK_THROWS_AS(netlab::parse_port(bad), UsageError);
    }
    CHECK_THROWS_WITH(netlab::parse_port("abc"), Catch::Contains("invalid port 'abc'"));
}

TEST_CASE("numeric addresses print back as written", "[address]") {
    auto v4 = SocketAddress::parse_numeric("127.0.0.1:2333", 1);
    REQUIRE(v4);
    CHECK(v4->to_string() == "127.0.0.1:2333");
    CHECK(v4->family() == AF_INET);
    CHECK(v4->port() == 2333);
    CHECK(SocketAddress::parse_numeric("10.1.2.3", 2333)->to_string() == "10.1.2.3:2333");
    CHECK(SocketAddress::parse_numeric("[::1]:80", 1)->to_string() == "[::1]:80");
    CHECK(SocketAddress::parse_numeric("::1", 2333)->to_string() == "[::1]:2333");
    CHECK(SocketAddress::parse_numeric("*:2333", 1)->to_string() == "0.0.0.0:2333");
    CHECK(SocketAddress::parse_numeric("[fe80::1%lo]:9", 1)->to_string() == "[fe80::1%lo]:9");
    CHECK_FALSE(SocketAddress::parse_numeric("localhost", 1));
    CHECK_FALSE(SocketAddress::parse_numeric("1.2.3.256", 1));
}

TEST_CASE("wildcard, loopback and multicast addresses", "[address]") {
    CHECK(SocketAddress::wildcard(Family::v4, 2333).to_string() == "0.0.0.0:2333");
    CHECK(SocketAddress::wildcard(Family::v6, 2333).to_string() == "[::]:2333");
    CHECK(SocketAddress::loopback(Family::v4, 1).to_string() == "127.0.0.1:1");
    CHECK(SocketAddress::loopback(Family::v6, 1).to_string() == "[::1]:1");
    CHECK(SocketAddress::wildcard(Family::v4, 0).is_wildcard());
    CHECK(SocketAddress::parse_numeric("239.0.0.1", 1)->is_multicast());
    CHECK(SocketAddress::parse_numeric("224.0.0.1", 1)->is_multicast());
    CHECK(SocketAddress::parse_numeric("[ff02::1]", 1)->is_multicast());
    CHECK_FALSE(SocketAddress::parse_numeric("192.0.2.1", 1)->is_multicast());
}

TEST_CASE("resolve looks up names and honours the family", "[address]") {
    CHECK(SocketAddress::resolve("localhost:7", 1, Family::v4).to_string() == "127.0.0.1:7");
    CHECK(SocketAddress::resolve("127.0.0.1", 2333).port() == 2333);
    CHECK(SocketAddress::resolve("[::1]:5", 1, Family::v6).is_v6());
    CHECK_THROWS_AS(SocketAddress::resolve("127.0.0.1", 1, Family::v6), UsageError);
    CHECK_THROWS_AS(SocketAddress::resolve("no-such-host.invalid", 1), netlab::Error);
    CHECK_THROWS_WITH(SocketAddress::resolve("no-such-host.invalid", 1),
                      Catch::StartsWith("resolve no-such-host.invalid: "));
    CHECK_THROWS_AS(SocketAddress::resolve("127.0.0.1:http", 1), UsageError);
}

TEST_CASE("addresses compare by value", "[address]") {
    CHECK(*SocketAddress::parse_numeric("1.2.3.4:5", 0) == *SocketAddress::parse_numeric("1.2.3.4:5", 0));
    CHECK_FALSE(*SocketAddress::parse_numeric("1.2.3.4:5", 0) ==
                *SocketAddress::parse_numeric("1.2.3.4:6", 0));
    CHECK(SocketAddress().empty());
}

TEST_CASE("found by fuzzing: addresses print as text that parses back", "[address][fuzz]") {
    using namespace std::string_literals;
    // getaddrinfo stopped at the NUL and took what came before it.
    CHECK_FALSE(SocketAddress::parse_numeric("1.2.3.4\0evil"s, 1));
    CHECK_THROWS_AS(SocketAddress::resolve_host("127.0.0.1\0x"s, 1), netlab::Error);
    // A scope on an address that is not link-local parses only as a number, so it prints as one.
    auto scoped = SocketAddress::parse_numeric("[fe37::1%1]:69", 1);
    REQUIRE(scoped);
    CHECK(scoped->to_string() == "[fe37::1%1]:69");
    auto again = SocketAddress::parse_numeric(scoped->to_string(), 1);
    REQUIRE(again);
    CHECK(*again == *scoped);
    CHECK(SocketAddress::parse_numeric("[fe80::1%1]:69", 1)->to_string() == "[fe80::1%lo]:69");
}
