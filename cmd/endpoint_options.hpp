// The address options shared by commands that talk to or listen on one endpoint: a positional
// "HOST[:PORT]" or --host/--port, and -6.
#pragma once

#include "address.hpp"
#include "output.hpp"

#include <CLI/CLI.hpp>

namespace netlab::cmd {

struct EndpointOptions {
    std::string endpoint; // positional HOST[:PORT], [V6]:PORT
    std::string host;     // --host (or --bind for servers)
    int port = -1;        // --port; -1 = the default
    bool ipv6 = false;    // -6

    // Adds the options; `host_flag` is "--host" for clients and "--bind" for servers.
    void add_to(CLI::App& app, const std::string& host_flag, const std::string& what, bool positional = true);
    // The address these options name: the positional endpoint, else host and port, else the default
    // (loopback for clients, the wildcard for servers) on default_port. Throws UsageError.
    SocketAddress resolve(std::uint16_t default_port, bool server) const;
};

// Says where a server listens. Asked for port 0, it must learn the port the kernel chose, and tests and
// scripts read it from this line, so it is printed on stderr even with -q ("netlab udp-recv: listening
// on 0.0.0.0:40123"); otherwise it is an info log line (-v), with `detail` appended.
void announce_listening(std::string_view command, std::uint16_t requested_port, const SocketAddress& bound,
                        std::string_view detail = "");

// A server's stdout log that survives its reader: SIGPIPE is ignored, and the first lost line prints
// one error line ("netlab ftp-serve: write stdout: Broken pipe; serving goes on, log lines are
// dropped"). Call server_exit_code at the end: 1 once any log line was lost.
void watch_server_log(ServerLog& log, std::string_view command);
int server_exit_code(const ServerLog& log);

} // namespace netlab::cmd
