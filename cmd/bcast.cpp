// bcast: the tutorial's broadcast client and server. `bcast send` sets SO_BROADCAST and sends score
// records to 255.255.255.255 (RFC 919, limited broadcast), to an interface's directed broadcast address
// (RFC 922) or to --to; `bcast recv` binds the port with SO_BROADCAST and prints them as udp-recv does.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "score_receiver.hpp"
#include "score_sender.hpp"

#include "error.hpp"
#include "interfaces.hpp"
#include "score_record.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <cerrno>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

struct SendOptions {
    std::string to;    // --to ADDR
    std::string iface; // --iface NAME: its directed broadcast address
    int port = score::default_port;
    bool without_so_broadcast = false; // to see the kernel refuse
    SenderOptions send;
};

struct RecvOptions {
    EndpointOptions bind;
    ReceiverOptions receive;
};

SocketAddress broadcast_destination(const SendOptions& opt) {
    auto port = static_cast<std::uint16_t>(opt.port);
    if (!opt.to.empty() && !opt.iface.empty()) throw UsageError("give either --to or --iface, not both");
    if (!opt.to.empty()) return SocketAddress::resolve_host(opt.to, port, Family::v4);
    if (opt.iface.empty()) return SocketAddress::resolve_host("255.255.255.255", port, Family::v4);
    auto iface = find_interface(opt.iface);
    if (!iface) throw Error("find interface", opt.iface, "no such interface (ip link lists them)");
    if (!iface->broadcast)
        throw Error("find broadcast address of", iface->name, "it has no IPv4 broadcast address");
    SocketAddress destination = *iface->broadcast;
    destination.set_port(port);
    return destination;
}

int run_send(const SendOptions& opt, const GlobalOptions& global) {
    opt.send.check();
    SocketAddress destination = broadcast_destination(opt);
    Fd sock = sys::socket(AF_INET, SOCK_DGRAM);
    if (!opt.without_so_broadcast) sockopt::broadcast(sock);
    try {
        sys::connect(sock, destination);
    } catch (const Error& e) {
        if (e.error_number() == EACCES)
            throw Error("connect", destination.to_string(),
                        "Permission denied: a broadcast address needs SO_BROADCAST set on the socket first");
        if (e.error_number() == ENETUNREACH)
            throw Error("connect", destination.to_string(),
                        "Network is unreachable: no route leads there; --iface NAME sends to the directed "
                        "broadcast of that interface");
        throw;
    }
    spdlog::info("broadcasting to {}", destination.to_string());
    return send_score_records(sock, destination, opt.send, global);
}

int run_recv(const RecvOptions& opt, const GlobalOptions& global) {
    SocketAddress local = opt.bind.resolve(score::default_port, true);
    if (local.is_v6()) throw UsageError("IPv6 has no broadcast: use netlab mcast");
    Fd sock = sys::socket(AF_INET, SOCK_DGRAM);
    sockopt::broadcast(sock);
    // Several receivers on one host may share the port, as broadcast listeners often do.
    sockopt::reuse_address(sock);
    sys::bind(sock, local);
    return receive_score_records(sock, "bcast recv", local.port(), opt.receive, global);
}

} // namespace

Runner register_bcast(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    app.description(
        "Send or receive score records by UDP broadcast, as the tutorial's broadcast programs do.");
    man.examples = {
        {"recv", "Print the broadcast score records that reach port 2333 of this host."},
        {"send --name Lucy --math 90 --chinese 85", "Broadcast one record to 255.255.255.255:2333."},
        {"send --iface eth0 --count 10 --rate 2",
         "Send ten records to the directed broadcast address of eth0."},
        {"send --no-so-broadcast", "See the kernel refuse a broadcast without SO_BROADCAST (EACCES)."},
    };
    man.see_also = "netlab-udp-recv(1), netlab-mcast(1), udp(7), ip(7)";
    app.require_subcommand(1);

    auto send_opt = std::make_shared<SendOptions>();
    CLI::App* send =
        app.add_subcommand("send", "Broadcast score records (default: one to 255.255.255.255:2333)");
    send->fallthrough(); // -v, -q and --json belong to the parent
    send->add_option("--to", send_opt->to, "Destination address (default 255.255.255.255)")
        ->type_name("ADDR");
    send->add_option("-i,--iface", send_opt->iface, "Send to this interface's directed broadcast address")
        ->type_name("NAME");
    send->add_option("-p,--port", send_opt->port, "Destination port")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();
    send->add_flag("--no-so-broadcast", send_opt->without_so_broadcast,
                   "Leave SO_BROADCAST off, to see the kernel refuse with EACCES");
    send_opt->send.add_to(*send);

    auto recv_opt = std::make_shared<RecvOptions>();
    CLI::App* recv =
        app.add_subcommand("recv", "Receive broadcast score records and print them (default port 2333)");
    recv->fallthrough();
    recv_opt->bind.add_to(*recv, "-b,--bind", "Local address to bind (default 0.0.0.0:2333)");
    recv_opt->receive.add_to(*recv);

    for (CLI::App* sub : {send, recv})
        sub->footer("-v, -q and --json of the parent command work here too, before or after the options.");
    return [send, send_opt, recv_opt, &global] {
        return send->parsed() ? run_send(*send_opt, global) : run_recv(*recv_opt, global);
    };
}

} // namespace netlab::cmd
