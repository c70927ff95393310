// The subcommands of netlab: each registers its options on a CLI::App and returns the function that
// runs it. To add one, see docs/adding-a-command.md.
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <cstdint>
#include <fmt/format.h>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::cmd {

// Options every subcommand has, set before the runner is called.
struct GlobalOptions {
    int verbosity = 0; // -v: info, -vv: debug, -vvv: trace
    bool quiet = false;
    bool json = false;
};

// Runs the parsed command; returns the exit code (errors are thrown as netlab::Error or UsageError).
using Runner = std::function<int()>;

// One entry of a man page's EXAMPLES: `netlab <command> <args>` and what it does.
struct Example {
    std::string_view args; // after `netlab <command>`, split on spaces; each one must parse
    std::string_view what;
};

// What --help does not say, for the command's man page (kept out of --help so that it stays short).
// `netlab --man` parses every example with the command's parser and fails on one that does not parse.
struct ManPage {
    std::vector<Example> examples;
    std::string_view see_also; // besides netlab(1): "netlab-udp-recv(1), udp(7)"
};

// The transform of a whole-number option (a count, a seed, a score): decimal digits, at most `max`.
// CLI11 alone reads "-1" into a std::uint64_t as 18446744073709551615 (so `--count -1` would send
// forever), saturates what is past 2^64 and reads "010" as octal 8; this refuses the first two in
// netlab's wording and reads the third as 10. Given with ->transform(): a ->check() only ever sees a
// copy of the value, so CLI11 would still convert the original "010".
inline CLI::Validator whole_number(std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    return CLI::Validator(
        [max](std::string& value) -> std::string {
            std::uint64_t n = 0;
            const char* end = value.data() + value.size();
            auto [stop, error] = std::from_chars(value.data(), end, n);
            if (value.empty() || error != std::errc() || stop != end || n > max)
                return fmt::format("{} is not a whole number from 0 to {}", value, max);
            value = std::to_string(n);
            return {};
        },
        "", "");
}

// What every cmd/<name>.cpp defines as `register_<name>`, named in the table of app/commands.def: adds
// the command's options to `app`, fills `man`, and returns the runner, which owns the options.
using Register = Runner(CLI::App& app, const GlobalOptions& global, ManPage& man);
using RegisterFn = Register*;
using FastPathFn = std::optional<int> (*)(int argc, char** argv);

// tcp-stamp-client without options beyond a port or a numeric IPv4 endpoint, run before CLI11 and
// spdlog are set up: one run in a shell loop costs little more than a C program's. nullopt: any other
// command line, or one the full parser would refuse, which then goes through the full parser. It
// prints no error itself: a failed run throws, and main reports it as it reports the full path's.
std::optional<int> tcp_stamp_client_fast_path(int argc, char** argv);

} // namespace netlab::cmd
