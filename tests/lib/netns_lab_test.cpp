// Tests of the lab of network namespaces (lib/netns.hpp) that the broadcast and multicast tests use.
#include "netns_lab.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

using namespace netlab::test;

namespace {
bool namespace_exists(const std::string& name) {
    return std::filesystem::exists("/run/netns/" + name);
}
} // namespace

TEST_CASE("the lab has three hosts on one segment and is deleted afterwards", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    std::vector<std::string> names;
    {
        TestLab lab;
        for (const char* host : {"h1", "h2", "h3", "switch"}) {
            names.push_back(lab.ns(host));
            CHECK(namespace_exists(lab.ns(host)));
            // The test's PID is in every name, so parallel tests never share a lab.
            CHECK_THAT(lab.ns(host),
                       Catch::StartsWith(std::string(lab_prefix) + std::to_string(::getpid()) + "-"));
        }
        CHECK_THAT(lab.ip_output("h2", {"-4", "addr", "show", "dev", "eth0"}),
                   Catch::Contains("198.18.0.2/24"));
        CHECK_THAT(lab.ip_output("h3", {"-6", "addr", "show", "dev", "eth0"}),
                   Catch::Contains("fd00:198:18::3/64"));
        // Unicast between two hosts proves the bridge forwards.
        auto recv = lab.start("h2", {"udp-recv", "--port", "0", "--count", "1", "--timeout", "5"});
        std::uint16_t port = wait_for_listening_port(recv);
        RunResult send = lab.run("h1", {"udp-send", "198.18.0.2:" + std::to_string(port), "--name", "lab"});
        CHECK(send.status == 0);
        std::string out = recv.read_all_stdout(5s);
        CHECK(out.rfind("198.18.0.1 ", 0) == 0);
        CHECK_THAT(out, Catch::Contains("\nlab "));
        CHECK(recv.wait(5s) == 0);
        // Only the lab's own interfaces: the switch has no way to the outside.
        std::string links = lab.ip_output("switch", {"-o", "link"});
        CHECK(std::count(links.begin(), links.end(), '\n') == 5); // lo, br0, port1..3
    }
    for (const auto& name : names) CHECK_FALSE(namespace_exists(name));
}

TEST_CASE("the lab is deleted when the test fails with an exception", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    std::string name;
    try {
        TestLab lab;
        name = lab.ns("h1");
        throw std::runtime_error("a failing test");
    } catch (const std::runtime_error&) {
    }
    REQUIRE_FALSE(name.empty());
    CHECK_FALSE(namespace_exists(name));
}

TEST_CASE("labs left by killed runs are removed, others are left alone", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    // 4194305 is above the largest PID Linux hands out, so no process has it.
    std::string stale = std::string(lab_prefix) + "4194305-0-h1";
    std::string live = std::string(lab_prefix) + std::to_string(::getpid()) + "-99-h1";
    std::string foreign = "netlab-other-4194305-0-h1";
    for (const auto& n : {stale, live, foreign}) netlab::run_ip({"netns", "add", n});
    CHECK(netlab::NetnsLab::remove_stale(lab_prefix) >= 1);
    CHECK_FALSE(namespace_exists(stale));
    CHECK(namespace_exists(live));
    CHECK(namespace_exists(foreign));
    for (const auto& n : {live, foreign}) netlab::run_ip({"netns", "del", n});
}
