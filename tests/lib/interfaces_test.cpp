// Tests of interface lookup (lib/interfaces.hpp) on the loopback interface every namespace has.
#include "interfaces.hpp"

#include <catch2/catch.hpp>

using netlab::find_interface;

TEST_CASE("an interface is found by name, index or address", "[interfaces]") {
    auto by_name = find_interface("lo");
    REQUIRE(by_name);
    CHECK(by_name->index >= 1);
    REQUIRE(by_name->ipv4());
    CHECK(by_name->ipv4()->ip() == "127.0.0.1");
    auto by_index = find_interface(std::to_string(by_name->index));
    REQUIRE(by_index);
    CHECK(by_index->name == "lo");
    auto by_address = find_interface("127.0.0.1");
    REQUIRE(by_address);
    CHECK(by_address->name == "lo");
    CHECK_FALSE(by_name->broadcast); // loopback is point-to-point, it has no broadcast address
}

TEST_CASE("unknown interfaces are nullopt", "[interfaces]") {
    CHECK_FALSE(find_interface("no-such-if0"));
    CHECK_FALSE(find_interface("4000000"));
    CHECK_FALSE(find_interface("198.51.100.77"));
    CHECK_FALSE(find_interface(""));
}
