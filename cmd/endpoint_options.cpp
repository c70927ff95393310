// The address options shared by commands that talk to or listen on one endpoint.
#include "endpoint_options.hpp"

#include "error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

void EndpointOptions::add_to(CLI::App& app, const std::string& host_flag, const std::string& what,
                             bool positional) {
    if (positional)
        app.add_option("endpoint", endpoint, what + " as HOST[:PORT] or [IPV6]:PORT")->type_name("ADDR");
    app.add_option(host_flag, host, what + ": host name or address")->type_name("HOST");
    app.add_option("-p,--port", port, "Port (0 = let the kernel choose, servers only)")
        ->check(CLI::Range(0, 65535))
        ->type_name("PORT");
    app.add_flag("-6,--ipv6", ipv6, "Use IPv6 (default address ::1 or ::)");
}

SocketAddress EndpointOptions::resolve(std::uint16_t default_port, bool server) const {
    Family family = ipv6 ? Family::v6 : Family::any;
    if (!endpoint.empty() && !host.empty())
        throw UsageError("give either an endpoint or --host/--bind, not both");
    SocketAddress addr;
    if (!endpoint.empty()) {
        addr = SocketAddress::resolve(endpoint, default_port, family);
    } else if (!host.empty()) {
        addr = SocketAddress::resolve_host(host, default_port, family);
    } else {
        Family f = ipv6 ? Family::v6 : Family::v4;
        addr = server ? SocketAddress::wildcard(f, default_port) : SocketAddress::loopback(f, default_port);
    }
    if (port >= 0) addr.set_port(static_cast<std::uint16_t>(port));
    if (!server && addr.port() == 0) throw UsageError("port 0 is not a destination");
    return addr;
}

void announce_listening(std::string_view command, std::uint16_t requested_port, const SocketAddress& bound,
                        std::string_view detail) {
    if (requested_port == 0)
        fmt::print(stderr, "netlab {}: listening on {}\n", command, bound.to_string());
    else
        spdlog::info("listening on {}{}", bound.to_string(), detail);
}

void watch_server_log(ServerLog& log, std::string_view command) {
    ignore_sigpipe();
    log.on_first_loss([name = std::string(command)](const Error& e) {
        fmt::print(stderr, "netlab {}: {}; serving goes on, log lines are dropped\n", name, e.what());
    });
}

int server_exit_code(const ServerLog& log) {
    if (!log.lost()) return 0;
    spdlog::info("{} log lines lost on {}", log.lost_lines(), log.what());
    return 1;
}

} // namespace netlab::cmd
