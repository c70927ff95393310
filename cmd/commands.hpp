// The subcommands of netlab: each registers its options on a CLI::App and returns the function that
// runs it. To add one, see docs/adding-a-command.md.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

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

Runner register_demo(CLI::App& app, const GlobalOptions& global);
Runner register_pool_server(CLI::App& app, const GlobalOptions& global);
Runner register_udp_recv(CLI::App& app, const GlobalOptions& global);
Runner register_udp_send(CLI::App& app, const GlobalOptions& global);
// For subcommands whose issue has not landed yet: says so and exits 1.
Runner register_not_built(CLI::App& app, const GlobalOptions& global);

} // namespace netlab::cmd
