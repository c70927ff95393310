// The plan of a lab of hosts (names, segments, addresses), the state file that records a lab, and the
// parsers of what status reads back (ip -br addr, /proc/net/igmp, /proc/net/igmp6). Pure functions that
// never trust their input: a state file or a /proc line can be anything.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::lab {

inline constexpr int max_hosts = 64;

// What `netlab lab up` builds: hosts h1..hN on one segment, or split across two segments joined by a
// router (hosts 1..ceil(N/2) on segment 1, the rest on segment 2); `mroute`: the router also forwards
// multicast.
struct Layout {
    int hosts = 3;
    int segments = 1;
    bool mroute = false;
};

// A bad layout or lab name, in words; nullopt when it is fine.
std::optional<std::string> layout_problem(const Layout& layout);
// Lab names: 1-32 of [A-Za-z0-9_-], not starting with '-'; they become namespace and file names.
std::optional<std::string> name_problem(std::string_view name);

// One host of the plan. Segment s (1 or 2) is 198.18.(s-1).0/24 and fd00:198:18:(s-1)::/64; host i
// has address .i / ::i there, fe80::i on the link; the router has .254 / ::254 on each segment.
struct Host {
    std::string name; // "h1"
    int number = 0;
    int segment = 1;
    std::string ipv4() const;
    std::string ipv6() const;
    std::string link_local() const { return "fe80::" + std::to_string(number); }
};
std::vector<Host> hosts_of(const Layout& layout);
int segment_of(const Layout& layout, int host);
std::string segment_ipv4(int segment, int last); // 198.18.(segment-1).last
std::string segment_ipv6(int segment, int last); // fd00:198:18::last or fd00:198:18:1::last
std::string segment_broadcast_v4(int segment);   // 198.18.(segment-1).255
inline constexpr int router_number = 254;
// Every node's name: hosts, then "router" (two segments), then the switches "sw1" ("sw2").
std::vector<std::string> node_names(const Layout& layout);
// The namespace of a node of lab `name`: "netlab-NAME-NODE".
std::string namespace_of(std::string_view lab, std::string_view node);
// The node of lab `lab` a namespace name belongs to, if it is one of a lab's namespaces (any layout):
// "h<digits>", "router" or "sw<digits>" after "netlab-LAB-". Labs "a" and "a-b" never mix.
std::optional<std::string> node_of_namespace(std::string_view lab, std::string_view ns);

// What the state file of a lab records: enough to find, show and remove it again.
struct State {
    std::string name;
    Layout layout;
    std::map<std::string, int> loss_percent; // host -> percent, only the nonzero ones
    std::map<std::string, int> delay_ms;
};
// Lines of "key value": "netlab-lab 1", "name NAME", "hosts N", "segments S", "mroute yes|no",
// "loss HOST PERCENT", "delay HOST MS".
std::string encode_state(const State& state);
struct DecodedState {
    std::optional<State> state;
    std::string reason; // why it was rejected, when state is empty
};
DecodedState decode_state(std::string_view text);

// `ip -br addr show` lines: interface name, then the addresses with their prefix length.
struct InterfaceAddresses {
    std::string name;
    std::string state; // UP, DOWN, UNKNOWN
    std::vector<std::string> addresses;
};
std::vector<InterfaceAddresses> parse_brief_addresses(std::string_view text);
// The groups joined per interface in /proc/net/igmp and /proc/net/igmp6: "eth0" -> {"224.0.0.1", ...}.
std::map<std::string, std::vector<std::string>> parse_igmp(std::string_view text);
std::map<std::string, std::vector<std::string>> parse_igmp6(std::string_view text);

} // namespace netlab::lab
