// mcast: the tutorial's multicast client and server, without its hard-coded interface. `mcast send`
// sends score records to a group (RFC 1112, IPv6 RFC 4291) with a chosen interface, TTL and loopback;
// `mcast recv` joins one or more groups, from any source or one (RFC 4607), prints what arrives as
// udp-recv does and leaves the groups on exit.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "score_receiver.hpp"
#include "score_sender.hpp"

#include "error.hpp"
#include "interfaces.hpp"
#include "multicast.hpp"
#include "score_record.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <map>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

constexpr const char* default_group = "239.0.0.1"; // administratively scoped (RFC 2365): stays inside a site
constexpr const char* no_route_hint = "no route to the group: name the interface with --iface";

struct SendOptions {
    std::string group = default_group;
    int port = score::default_port;
    std::string iface;
    int ttl = 1;
    bool loop = true;
    SenderOptions send;
};

struct RecvOptions {
    std::vector<std::string> groups{default_group};
    int port = score::default_port;
    std::string iface;
    std::string source;
    ReceiverOptions receive;
};

SocketAddress parse_group(const std::string& text, int port) {
    auto group = SocketAddress::parse_numeric(text, static_cast<std::uint16_t>(port));
    if (!group) throw UsageError(fmt::format("group '{}' is not a numeric address", text));
    if (!group->is_multicast())
        throw UsageError(fmt::format(
            "{} is not a multicast group (IPv4 groups are 224.0.0.0/4, IPv6 ff00::/8)", group->ip()));
    group->set_port(static_cast<std::uint16_t>(port));
    return *group;
}

// The interface --iface names (0 and "" when none: the kernel chooses by the route to the group).
std::pair<unsigned, std::string> lookup_interface(const std::string& spec, const SocketAddress& group) {
    if (spec.empty()) {
        if (mcast::needs_interface(group))
            throw UsageError(
                fmt::format("{} has link-local scope: name the interface with --iface", group.ip()));
        return {0, ""};
    }
    auto iface = find_interface(spec);
    if (!iface) throw Error("find interface", spec, "no such interface (ip link lists them)");
    return {iface->index, iface->name};
}

std::string on_interface(const std::string& name) {
    return name.empty() ? "the interface of the route to the group" : name;
}

int run_send(const SendOptions& opt, const GlobalOptions& global) {
    opt.send.check();
    SocketAddress group = parse_group(opt.group, opt.port);
    auto [ifindex, ifname] = lookup_interface(opt.iface, group);
    Fd sock = sys::socket(group.family(), SOCK_DGRAM);
    // All before connect(): the route it fixes depends on the multicast interface.
    if (ifindex) mcast::interface(sock, group.family(), ifindex);
    mcast::hops(sock, group.family(), opt.ttl);
    mcast::loop(sock, group.family(), opt.loop);
    try {
        sys::connect(sock, group);
    } catch (const Error& e) {
        if (e.error_number() != ENETUNREACH) throw;
        throw Error("connect", group.to_string(), fmt::format("Network is unreachable: {}", no_route_hint));
    }
    spdlog::info("sending to {} via {}, ttl {}, loop {}", group.to_string(), on_interface(ifname), opt.ttl,
                 opt.loop ? "on" : "off");
    return send_score_records(sock, group, opt.send, global);
}

int run_recv(const RecvOptions& opt, const GlobalOptions& global) {
    std::vector<SocketAddress> groups;
    for (const auto& text : opt.groups) {
        SocketAddress group = parse_group(text, opt.port);
        if (!groups.empty() && group.family() != groups.front().family())
            throw UsageError("all groups must be IPv4 or all IPv6");
        if (std::find(groups.begin(), groups.end(), group) == groups.end()) groups.push_back(group);
    }
    int family = groups.front().family();
    std::optional<SocketAddress> source;
    if (!opt.source.empty()) {
        source = SocketAddress::parse_numeric(opt.source, 0);
        if (!source || source->family() != family || source->is_multicast())
            throw UsageError(
                fmt::format("--source {} is not a unicast address of the groups' family", opt.source));
    }
    unsigned ifindex = 0;
    std::string ifname;
    for (const auto& group : groups) std::tie(ifindex, ifname) = lookup_interface(opt.iface, group);

    Fd sock = sys::socket(family, SOCK_DGRAM);
    // Several receivers on one host may share the port; each gets its own copy of every datagram.
    sockopt::reuse_address(sock);
    // Bound to the wildcard, the socket would otherwise also get groups other sockets of the host joined.
    mcast::all_groups(sock, family, false);
    SocketAddress local = SocketAddress::wildcard(family == AF_INET6 ? Family::v6 : Family::v4,
                                                  static_cast<std::uint16_t>(opt.port));
    sys::bind(sock, local);
    std::vector<mcast::Membership> memberships;
    for (const auto& group : groups) {
        try {
            memberships.emplace_back(sock, group, ifindex, source);
        } catch (const Error& e) {
            if (e.error_number() != ENODEV || ifindex) throw;
            throw Error("join", group.ip(), fmt::format("No such device: {}", no_route_hint));
        }
        spdlog::info("joined {}{} on {}", group.ip(), source ? " from " + source->ip() : "",
                     on_interface(ifname));
    }
    int status =
        receive_score_records(sock, "mcast recv", static_cast<std::uint16_t>(opt.port), opt.receive, global);
    memberships.clear(); // leave the groups (IP_DROP_MEMBERSHIP) before closing
    spdlog::info("left {} group(s)", groups.size());
    return status;
}

void add_group_port_iface(CLI::App& app, int& port, std::string& iface) {
    app.add_option("-p,--port", port, "UDP port")->check(CLI::Range(0, 65535))->capture_default_str();
    app.add_option("-i,--iface", iface, "Interface by name, index or address (default: the route's)")
        ->type_name("IF");
}

} // namespace

Runner register_mcast(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    app.description(
        "Send or receive score records by UDP multicast, as the tutorial's multicast programs do.");
    man.examples = {
        {"recv", "Join 239.0.0.1 and print the records sent to port 2333."},
        {"send --ttl 1 --loop off", "Send one record to 239.0.0.1:2333 for the hosts on this link only."},
        {"recv --group ff12::1 --iface eth0", "Join an IPv6 group on eth0."},
        {"recv --group 232.1.1.1 --source 198.18.0.1", "A source-specific join: only 198.18.0.1's records."},
    };
    man.see_also = "netlab-bcast(1), netlab-lab(1), netlab-udp-recv(1), ip(7), ipv6(7)";
    app.require_subcommand(1);

    auto send_opt = std::make_shared<SendOptions>();
    CLI::App* send = app.add_subcommand("send", "Send score records to a group (default 239.0.0.1:2333)");
    send->fallthrough(); // -v, -q and --json belong to the parent
    send->add_option("-g,--group", send_opt->group, "Group: 224.0.0.0/4 or ff00::/8 (224.0.0.1: all hosts)")
        ->capture_default_str();
    add_group_port_iface(*send, send_opt->port, send_opt->iface);
    send->add_option("--ttl", send_opt->ttl, "TTL / hop limit: 0 this host only, 1 this link")
        ->check(CLI::Range(0, 255))
        ->capture_default_str();
    std::map<std::string, bool> on_off{{"on", true}, {"off", false}};
    send->add_option("--loop", send_opt->loop, "on: members on this host get a copy too (default on)")
        ->transform(CLI::CheckedTransformer(on_off))
        ->type_name("on|off");
    send_opt->send.add_to(*send);

    auto recv_opt = std::make_shared<RecvOptions>();
    CLI::App* recv = app.add_subcommand("recv", "Join groups and print the score records sent to them");
    recv->fallthrough();
    recv->add_option("-g,--group", recv_opt->groups, "Group to join (repeat for several; default 239.0.0.1)")
        ->type_name("GROUP");
    add_group_port_iface(*recv, recv_opt->port, recv_opt->iface);
    recv->add_option("--source", recv_opt->source, "Accept only this sender (source-specific join)")
        ->type_name("ADDR");
    recv_opt->receive.add_to(*recv);

    for (CLI::App* sub : {send, recv})
        sub->footer("-v, -q and --json of the parent command work here too, before or after the options.");
    return [send, send_opt, recv_opt, &global] {
        return send->parsed() ? run_send(*send_opt, global) : run_recv(*recv_opt, global);
    };
}

} // namespace netlab::cmd
