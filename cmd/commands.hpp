// The subcommands of netlab: each registers its options on a CLI::App and returns the function that
// runs it. To add one, see docs/adding-a-command.md.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>

namespace netlab::cmd {

// Options every subcommand has, set before the runner is called.
struct GlobalOptions {
    int verbosity = 0; // -v: info, -vv: debug, -vvv: trace
    bool quiet = false;
    bool json = false;
};

// Runs the parsed command; returns the exit code (errors are thrown as netlab::Error or UsageError).
using Runner = std::function<int()>;
using RegisterFn = Runner (*)(CLI::App& app, const GlobalOptions& global);
using FastPathFn = std::optional<int> (*)(int argc, char** argv);

Runner register_bcast(CLI::App& app, const GlobalOptions& global);
Runner register_demo(CLI::App& app, const GlobalOptions& global);
Runner register_ftp_get(CLI::App& app, const GlobalOptions& global);
Runner register_ftp_serve(CLI::App& app, const GlobalOptions& global);
Runner register_lab(CLI::App& app, const GlobalOptions& global);
Runner register_mcast(CLI::App& app, const GlobalOptions& global);
Runner register_pool_server(CLI::App& app, const GlobalOptions& global);
Runner register_tcp_stamp_client(CLI::App& app, const GlobalOptions& global);
Runner register_tcp_stamp_server(CLI::App& app, const GlobalOptions& global);
Runner register_udp_recv(CLI::App& app, const GlobalOptions& global);
Runner register_udp_send(CLI::App& app, const GlobalOptions& global);
// tcp-stamp-client without options beyond a port or a numeric IPv4 endpoint, run before CLI11 and
// spdlog are set up: one run in a shell loop costs little more than a C program's. nullopt: any other
// command line, or one the full parser would refuse, which then goes through the full parser. It
// prints no error itself: a failed run throws, and main reports it as it reports the full path's.
std::optional<int> tcp_stamp_client_fast_path(int argc, char** argv);

} // namespace netlab::cmd
