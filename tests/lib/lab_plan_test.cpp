// Unit tests of the lab's address plan, its state file and the parsers of what status reads back.
#include "lab_plan.hpp"

#include <catch2/catch.hpp>

using namespace netlab::lab;

TEST_CASE("the address plan: one segment keeps 198.18.0.i, two put the upper half on 198.18.1.0/24",
          "[lab]") {
    auto one = hosts_of({3, 1, false});
    REQUIRE(one.size() == 3);
    CHECK(one[2].name == "h3");
    CHECK(one[2].ipv4() == "198.18.0.3");
    CHECK(one[2].ipv6() == "fd00:198:18::3");
    CHECK(one[2].link_local() == "fe80::3");
    auto two = hosts_of({5, 2, true});
    CHECK(two[2].segment == 1); // hosts 1..3 of 5 on segment 1
    CHECK(two[3].segment == 2);
    CHECK(two[3].ipv4() == "198.18.1.4");
    CHECK(two[3].ipv6() == "fd00:198:18:1::4");
    CHECK(segment_ipv4(2, router_number) == "198.18.1.254");
    CHECK(segment_broadcast_v4(2) == "198.18.1.255");
    CHECK(node_names({2, 2, false}) == std::vector<std::string>{"h1", "h2", "router", "sw1", "sw2"});
    CHECK(node_names({2, 1, false}) == std::vector<std::string>{"h1", "h2", "sw1"});
}

TEST_CASE("layouts and names that cannot be built are refused in words", "[lab]") {
    CHECK_FALSE(layout_problem({3, 2, true}));
    CHECK(layout_problem({3, 1, true}));  // a router is needed to route multicast
    CHECK(layout_problem({1, 2, false})); // a segment without a host
    CHECK(layout_problem({0, 1, false}));
    CHECK(layout_problem({max_hosts + 1, 1, false}));
    CHECK(layout_problem({3, 3, false}));
    CHECK_FALSE(name_problem("class-2_b"));
    for (const char* bad : {"", "-x", "a/b", "..", "a b", "ü", "123456789012345678901234567890123"})
        CHECK(name_problem(bad));
}

TEST_CASE("a lab's namespaces are told apart from another lab's whose name starts the same", "[lab]") {
    CHECK(namespace_of("class", "h1") == "netlab-class-h1");
    CHECK(node_of_namespace("class", "netlab-class-h12") == "h12");
    CHECK(node_of_namespace("class", "netlab-class-router") == "router");
    CHECK(node_of_namespace("class", "netlab-class-sw2") == "sw2");
    CHECK_FALSE(node_of_namespace("a", "netlab-a-b-h1")); // lab "a-b"
    CHECK_FALSE(node_of_namespace("class", "netlab-class-"));
    CHECK_FALSE(node_of_namespace("class", "netlab-class-h"));
    CHECK_FALSE(node_of_namespace("class", "netlab-class-hx"));
    CHECK_FALSE(node_of_namespace("class", "netlab-test-1-0-h1"));
}

TEST_CASE("the state file round-trips and rejects anything else with a reason", "[lab]") {
    State state{"class", {4, 2, true}, {{"h1", 10}}, {{"h2", 50}}};
    std::string text = encode_state(state);
    CHECK(text == "netlab-lab 1\nname class\nhosts 4\nsegments 2\nmroute yes\nloss h1 10\ndelay h2 50\n");
    auto decoded = decode_state(text);
    REQUIRE(decoded.state);
    CHECK(decoded.state->name == "class");
    CHECK(decoded.state->layout.hosts == 4);
    CHECK(decoded.state->layout.mroute);
    CHECK(decoded.state->loss_percent == state.loss_percent);
    CHECK(decoded.state->delay_ms == state.delay_ms);

    const char* bad[] = {
        "",
        "netlab-lab 2\nname a\nhosts 3\nsegments 1\n",
        "netlab-lab 1\nhosts 3\nsegments 1\n",                      // no name
        "netlab-lab 1\nname ../../etc\nhosts 3\nsegments 1\n",      // a name that is a path
        "netlab-lab 1\nname a\nhosts 3x\nsegments 1\n",             // trailing garbage
        "netlab-lab 1\nname a\nhosts 99999999999\nsegments 1\n",    // out of range
        "netlab-lab 1\nname a\nhosts 3\nsegments 1\nmroute yes\n",  // no router to route
        "netlab-lab 1\nname a\nhosts 3\nsegments 1\nloss h9 10\n",  // no such host
        "netlab-lab 1\nname a\nhosts 3\nsegments 1\nloss h1 101\n", // not a percentage
        "netlab-lab 1\nname a\nhosts 3\nsegments 1\nloss sw1 5\n",  // a switch is no host
        "netlab-lab 1\nname a\nhosts 3\nsegments 1\nrm -rf /\n",    // an unknown line
        "netlab-lab 1\nname a b\nhosts 3\nsegments 1\n",
    };
    for (const char* text_case : bad) {
        auto result = decode_state(text_case);
        INFO(text_case);
        CHECK_FALSE(result.state);
        CHECK_FALSE(result.reason.empty());
    }
    CHECK_FALSE(decode_state(std::string(70000, 'x')).state);
    CHECK(decode_state("netlab-lab 1\n\nname a\nhosts 1\nsegments 1\n").state); // blank lines are fine
}

TEST_CASE("ip -br addr lines become interfaces with their addresses", "[lab]") {
    auto list =
        parse_brief_addresses("lo               UNKNOWN        127.0.0.1/8 ::1/128 \n"
                              "eth0@if7         UP             198.18.0.1/24 fd00:198:18::1/64 fe80::1/64 \n"
                              "garbage\n");
    REQUIRE(list.size() == 2);
    CHECK(list[1].name == "eth0");
    CHECK(list[1].state == "UP");
    CHECK(list[1].addresses == std::vector<std::string>{"198.18.0.1/24", "fd00:198:18::1/64", "fe80::1/64"});
}

TEST_CASE("/proc/net/igmp and igmp6 give the groups joined per interface", "[lab]") {
    std::string igmp = "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
                       "1\tlo        :     1      V3\n"
                       "\t\t\t\t010000E0     1 0:00000000\t\t0\n"
                       "2\teth0      :     2      V3\n"
                       "\t\t\t\t010000EF     1 0:00000000\t\t0\n"
                       "\t\t\t\t010000E0     1 0:00000000\t\t0\n"
                       "\t\t\t\tZZZZZZZZ     1 0:00000000\t\t0\n";
    auto v4 = parse_igmp(igmp);
    CHECK(v4["lo"] == std::vector<std::string>{"224.0.0.1"});
    CHECK(v4["eth0"] == std::vector<std::string>{"239.0.0.1", "224.0.0.1"});
    auto v6 = parse_igmp6("1    lo              ff020000000000000000000000000001     1 0000000C 0\n"
                          "2    eth0            ff120000000000000000000000000001     1 00000004 0\n"
                          "2    eth0            ff12zz\n");
    CHECK(v6["eth0"] == std::vector<std::string>{"ff12::1"});
    CHECK(v6["lo"] == std::vector<std::string>{"ff02::1"});
}
