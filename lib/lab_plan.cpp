// The lab's address plan, its state file and the parsers of what status reads back.
#include "lab_plan.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>

namespace netlab::lab {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto nl = text.find('\n');
        lines.push_back(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return lines;
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < line.size()) {
        pos = line.find_first_not_of(" \t", pos);
        if (pos == std::string_view::npos) break;
        auto end = line.find_first_of(" \t", pos);
        if (end == std::string_view::npos) end = line.size();
        words.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return words;
}

std::optional<int> parse_int(std::string_view text, int low, int high) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < low || value > high)
        return std::nullopt;
    return value;
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_host_name(std::string_view node) {
    return node.size() >= 2 && node[0] == 'h' && all_digits(node.substr(1));
}

} // namespace

std::optional<std::string> layout_problem(const Layout& layout) {
    if (layout.segments != 1 && layout.segments != 2) return "a lab has 1 or 2 segments";
    if (layout.hosts < layout.segments || layout.hosts > max_hosts)
        return fmt::format("a lab of {} segment(s) has {} to {} hosts", layout.segments, layout.segments,
                           max_hosts);
    if (layout.mroute && layout.segments != 2) return "--mroute needs two segments (--segments 2): a router";
    return std::nullopt;
}

std::optional<std::string> name_problem(std::string_view name) {
    if (name.empty() || name.size() > 32) return "a lab name has 1 to 32 characters";
    if (name.front() == '-') return "a lab name does not start with '-'";
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
            return "a lab name has only letters, digits, '-' and '_'";
    return std::nullopt;
}

std::string segment_ipv4(int segment, int last) {
    return fmt::format("198.18.{}.{}", segment - 1, last);
}

std::string segment_ipv6(int segment, int last) {
    // The host number written in decimal digits reads the same in both families (::254 is 0x254).
    return segment == 1 ? fmt::format("fd00:198:18::{}", last)
                        : fmt::format("fd00:198:18:{}::{}", segment - 1, last);
}

std::string segment_broadcast_v4(int segment) {
    return segment_ipv4(segment, 255);
}

std::string Host::ipv4() const {
    return segment_ipv4(segment, number);
}

std::string Host::ipv6() const {
    return segment_ipv6(segment, number);
}

int segment_of(const Layout& layout, int host) {
    return layout.segments == 2 && host > (layout.hosts + 1) / 2 ? 2 : 1;
}

std::vector<Host> hosts_of(const Layout& layout) {
    std::vector<Host> hosts;
    for (int i = 1; i <= layout.hosts; ++i)
        hosts.push_back({"h" + std::to_string(i), i, segment_of(layout, i)});
    return hosts;
}

std::vector<std::string> node_names(const Layout& layout) {
    std::vector<std::string> names;
    for (const auto& host : hosts_of(layout)) names.push_back(host.name);
    if (layout.segments == 2) names.push_back("router");
    for (int s = 1; s <= layout.segments; ++s) names.push_back("sw" + std::to_string(s));
    return names;
}

std::string namespace_of(std::string_view lab, std::string_view node) {
    return fmt::format("netlab-{}-{}", lab, node);
}

std::optional<std::string> node_of_namespace(std::string_view lab, std::string_view ns) {
    std::string prefix = fmt::format("netlab-{}-", lab);
    if (ns.size() <= prefix.size() || ns.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::string_view node = ns.substr(prefix.size());
    bool is_switch = node.size() >= 3 && node.substr(0, 2) == "sw" && all_digits(node.substr(2));
    if (is_host_name(node) || is_switch || node == "router") return std::string(node);
    return std::nullopt;
}

std::string encode_state(const State& state) {
    std::string text = "netlab-lab 1\n";
    text += fmt::format("name {}\nhosts {}\nsegments {}\nmroute {}\n", state.name, state.layout.hosts,
                        state.layout.segments, state.layout.mroute ? "yes" : "no");
    for (const auto& [host, percent] : state.loss_percent) text += fmt::format("loss {} {}\n", host, percent);
    for (const auto& [host, ms] : state.delay_ms) text += fmt::format("delay {} {}\n", host, ms);
    return text;
}

DecodedState decode_state(std::string_view text) {
    if (text.size() > 64 * 1024) return {std::nullopt, "the state file is larger than 64 KiB"};
    auto lines = split_lines(text);
    if (lines.empty() || lines.front() != "netlab-lab 1")
        return {std::nullopt, "it does not start with 'netlab-lab 1'"};
    State state;
    bool have_name = false, have_hosts = false, have_segments = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        auto words = split_words(lines[i]);
        if (words.empty()) continue;
        auto bad = [&](std::string_view why) {
            return DecodedState{std::nullopt, fmt::format("line {}: {}", i + 1, why)};
        };
        std::string_view key = words[0];
        if (key == "name" && words.size() == 2) {
            if (auto problem = name_problem(words[1])) return bad(*problem);
            state.name = std::string(words[1]);
            have_name = true;
        } else if (key == "hosts" && words.size() == 2) {
            auto n = parse_int(words[1], 1, max_hosts);
            if (!n) return bad("hosts is not a number of hosts");
            state.layout.hosts = *n;
            have_hosts = true;
        } else if (key == "segments" && words.size() == 2) {
            auto n = parse_int(words[1], 1, 2);
            if (!n) return bad("segments is not 1 or 2");
            state.layout.segments = *n;
            have_segments = true;
        } else if (key == "mroute" && words.size() == 2 && (words[1] == "yes" || words[1] == "no")) {
            state.layout.mroute = words[1] == "yes";
        } else if ((key == "loss" || key == "delay") && words.size() == 3) {
            if (!is_host_name(words[1]) && words[1] != "router") return bad("not a host of a lab");
            auto value = key == "loss" ? parse_int(words[2], 1, 100) : parse_int(words[2], 1, 60000);
            if (!value) return bad(fmt::format("{} is out of range", key));
            (key == "loss" ? state.loss_percent : state.delay_ms)[std::string(words[1])] = *value;
        } else {
            return bad("not a known line");
        }
    }
    if (!have_name || !have_hosts || !have_segments)
        return {std::nullopt, "name, hosts or segments is missing"};
    if (auto problem = layout_problem(state.layout)) return {std::nullopt, *problem};
    auto nodes = node_names(state.layout);
    for (const auto* settings : {&state.loss_percent, &state.delay_ms})
        for (const auto& entry : *settings)
            if (std::find(nodes.begin(), nodes.end(), entry.first) == nodes.end())
                return {std::nullopt, entry.first + " is not a host of this lab"};
    return {std::move(state), ""};
}

std::vector<InterfaceAddresses> parse_brief_addresses(std::string_view text) {
    std::vector<InterfaceAddresses> result;
    for (auto line : split_lines(text)) {
        auto words = split_words(line);
        if (words.size() < 2) continue;
        InterfaceAddresses entry{std::string(words[0]), std::string(words[1]), {}};
        // "eth0@if5": the peer's index is not part of the name inside this namespace.
        if (auto at = entry.name.find('@'); at != std::string::npos) entry.name.resize(at);
        for (std::size_t i = 2; i < words.size(); ++i) entry.addresses.emplace_back(words[i]);
        result.push_back(std::move(entry));
    }
    return result;
}

std::map<std::string, std::vector<std::string>> parse_igmp(std::string_view text) {
    // "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter", then per interface a line
    // "2\teth0      :     2      V3" followed by one indented line per group: "\t\t\t\t010000E0 ...".
    std::map<std::string, std::vector<std::string>> groups;
    std::string device;
    for (auto line : split_lines(text)) {
        auto words = split_words(line);
        if (words.empty() || words[0] == "Idx") continue;
        if (line.front() != ' ' && line.front() != '\t') {
            device = words.size() >= 2 ? std::string(words[1]) : "";
            continue;
        }
        if (device.empty() || words[0].size() != 8) continue;
        std::uint32_t value = 0;
        auto [end, ec] = std::from_chars(words[0].data(), words[0].data() + 8, value, 16);
        if (ec != std::errc{} || end != words[0].data() + 8) continue;
        // The kernel prints the address as a host-order integer of its network-order bytes.
        in_addr address{};
        std::memcpy(&address.s_addr, &value, sizeof value);
        char buf[INET_ADDRSTRLEN];
        groups[device].push_back(::inet_ntop(AF_INET, &address, buf, sizeof buf));
    }
    return groups;
}

std::map<std::string, std::vector<std::string>> parse_igmp6(std::string_view text) {
    // "2    eth0            ff020000000000000000000000000001     1 0000000C 0"
    std::map<std::string, std::vector<std::string>> groups;
    for (auto line : split_lines(text)) {
        auto words = split_words(line);
        if (words.size() < 3 || words[2].size() != 32) continue;
        in6_addr address{};
        bool ok = true;
        for (int i = 0; i < 16 && ok; ++i) {
            auto [end, ec] =
                std::from_chars(words[2].data() + 2 * i, words[2].data() + 2 * i + 2, address.s6_addr[i], 16);
            ok = ec == std::errc{} && end == words[2].data() + 2 * i + 2;
        }
        if (!ok) continue;
        char buf[INET6_ADDRSTRLEN];
        groups[std::string(words[1])].push_back(::inet_ntop(AF_INET6, &address, buf, sizeof buf));
    }
    return groups;
}

} // namespace netlab::lab
