// netlab: one binary, many subcommands, dispatched by argv[1] or, through a symlink, by argv[0].
#include "commands.hpp"
#include "error.hpp"
#include "manual.hpp"
#include "option_errors.hpp"
#include "version.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <optional>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <string_view>
#include <unistd.h>

// The register functions of app/commands.def, each defined in its cmd/<name>.cpp.
namespace netlab::cmd {
#define NETLAB_COMMAND(name, register_fn, summary) Register register_fn;
#include "commands.def"
#undef NETLAB_COMMAND
} // namespace netlab::cmd

namespace {

using netlab::cmd::RegisterFn;

struct Command {
    std::string_view name;
    RegisterFn register_fn;
    std::string_view summary;
};

// Commands that handle their simplest command lines before CLI11 and spdlog are set up (nullopt: not
// handled), because they run thousands of times in shell loops.
struct FastPath {
    std::string_view name;
    netlab::cmd::FastPathFn fast_path;
};
constexpr FastPath fast_paths[] = {{"tcp-stamp-client", netlab::cmd::tcp_stamp_client_fast_path}};

netlab::cmd::FastPathFn fast_path_of(std::string_view name) {
    for (const auto& f : fast_paths)
        if (f.name == name) return f.fast_path;
    return nullptr;
}

// The table of app/commands.def, alphabetical; `netlab --help`, `--list` and `--install` walk it.
constexpr Command commands[] = {
#define NETLAB_COMMAND(name, register_fn, summary) {name, netlab::cmd::register_fn, summary},
#include "commands.def"
#undef NETLAB_COMMAND
};

constexpr int exit_usage = 2;
constexpr int exit_unknown_command = 127;

const Command* find_command(std::string_view name) {
    for (const auto& c : commands)
        if (c.name == name) return &c;
    return nullptr;
}

void print_overview(std::FILE* to) {
    fmt::print(to, "netlab {}: learn and test Linux network programming\n\n", NETLAB_VERSION);
    fmt::print(to, "Usage: netlab <subcommand> [options]    (netlab <subcommand> --help for its options)\n");
    fmt::print(to, "       netlab --help | --version | --list | --install DIR\n\nSubcommands:\n");
    for (const auto& c : commands) fmt::print(to, "  {:<18}{}\n", c.name, c.summary);
    fmt::print(to,
               "\nGlobal options of every subcommand: -v/--verbose (repeat for more), -q/--quiet, --json\n"
               "Exit codes: 0 success, 1 runtime failure, 2 usage error, 127 unknown subcommand\n");
}

// Like `busybox --install -s DIR`: one symlink per subcommand pointing at this binary.
int install_symlinks(const std::string& dir) {
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) {
        fmt::print(stderr, "netlab: readlink /proc/self/exe: {}\n", std::strerror(errno));
        return 1;
    }
    self[n] = '\0';
    int failures = 0;
    for (const auto& c : commands) {
        std::string link = dir + "/" + std::string(c.name);
        if (::symlink(self, link.c_str()) < 0 && errno != EEXIST) {
            fmt::print(stderr, "netlab: symlink {}: {}\n", link, std::strerror(errno));
            ++failures;
        }
    }
    return failures ? 1 : 0;
}

void set_up_logging(const std::string& name, const netlab::cmd::GlobalOptions& global) {
    auto logger = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_st>());
    logger->set_pattern("%n: %l: %v");
    static constexpr spdlog::level::level_enum levels[] = {spdlog::level::warn, spdlog::level::info,
                                                           spdlog::level::debug, spdlog::level::trace};
    logger->set_level(global.quiet ? spdlog::level::err : levels[std::clamp(global.verbosity, 0, 3)]);
    spdlog::set_default_logger(std::move(logger));
}

// Data goes to stdout through stdio or OutputBuffer; a full disk or closed pipe must not pass silently.
int finish_stdout(const std::string& prefix, int code) {
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        fmt::print(stderr, "{}: write stdout: {}\n", prefix, std::strerror(errno));
        return 1;
    }
    return code;
}

// The parser that runs a command and that `netlab --man` and `--completion` document.
std::unique_ptr<netlab::app::Parser> make_parser(std::string_view summary, const std::string& name,
                                                 RegisterFn register_fn) {
    auto parser = std::make_unique<netlab::app::Parser>(std::string(summary), name);
    CLI::App& app = parser->app;
    netlab::cmd::GlobalOptions& global = parser->global;
    app.set_help_flag("-h,--help", "Print this help and exit");
    app.add_flag("-v,--verbose", global.verbosity, "More diagnostics on stderr (repeat: -vv, -vvv)");
    app.add_flag("-q,--quiet", global.quiet,
                 "Quiet: no warnings, record or log lines, views or summaries (--stats still prints)");
    app.add_flag("--json", global.json, "Print one JSON object per line on stdout instead of text");
    if (register_fn) parser->runner = register_fn(app, global, parser->man);
    netlab::app::explain_refused_values(app);
    return parser;
}

// The one place a command's errors are printed, for the fast path and the full parser's run alike.
int run_reporting_errors(const std::string& prefix, const std::function<int()>& run) {
    try {
        return finish_stdout(prefix, run());
    } catch (const netlab::UsageError& e) {
        std::fflush(stdout);
        fmt::print(stderr, "{}: {}\n", prefix, e.what());
        return exit_usage;
    } catch (const std::exception& e) {
        std::fflush(stdout);
        fmt::print(stderr, "{}: {}\n", prefix, e.what());
        return 1;
    }
}

int run_command(const Command& command, int argc, char** argv) {
    std::string prefix = "netlab " + std::string(command.name);
    if (auto fast_path = fast_path_of(command.name)) {
        // It runs the command (an exit code, or an error reported below) or declines the command line.
        bool declined = false;
        int code = run_reporting_errors(prefix, [&] {
            std::optional<int> ran = fast_path(argc, argv);
            declined = !ran;
            return ran.value_or(0);
        });
        if (!declined) return code;
    }
    auto parser = make_parser(command.summary, prefix, command.register_fn);
    CLI::App& app = parser->app;
    const netlab::cmd::GlobalOptions& global = parser->global;
    const netlab::cmd::Runner& runner = parser->runner;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help());
        return finish_stdout(prefix, 0);
    } catch (const CLI::ParseError& e) {
        fmt::print(stderr, "{}: {}\nRun '{} --help' for the options.\n", prefix,
                   netlab::app::parse_error_message(e, app), prefix);
        return exit_usage;
    }
    set_up_logging(prefix, global);
    return run_reporting_errors(prefix, runner);
}

} // namespace

int main(int argc, char** argv) {
    std::string_view invoked = argv[0] ? argv[0] : "netlab";
    if (auto slash = invoked.rfind('/'); slash != std::string_view::npos) invoked.remove_prefix(slash + 1);
    if (invoked.substr(0, 7) == "netlab-") invoked.remove_prefix(7);
    if (const Command* c = find_command(invoked)) return run_command(*c, argc, argv);

    if (argc < 2) {
        print_overview(stderr);
        return exit_usage;
    }
    std::string_view first = argv[1];
    if (first == "-h" || first == "--help" || first == "help") {
        print_overview(stdout);
        return finish_stdout("netlab", 0);
    }
    if (first == "--version" || first == "-V") {
        fmt::print("netlab {}\n", NETLAB_VERSION);
        return finish_stdout("netlab", 0);
    }
    if (first == "--list") {
        for (const auto& c : commands) fmt::print("{}\n", c.name);
        return finish_stdout("netlab", 0);
    }
    if (first == "--install") {
        if (argc != 3) {
            fmt::print(stderr, "netlab: --install needs one directory\n");
            return exit_usage;
        }
        return install_symlinks(argv[2]);
    }
    if (netlab::app::is_documentation_option(first)) {
        std::vector<netlab::app::CommandEntry> table;
        for (const auto& c : commands) table.push_back({c.name, c.summary, c.register_fn});
        int code = netlab::app::print_documentation(table, make_parser, {argv + 1, argv + argc});
        return finish_stdout("netlab", code);
    }
    if (const Command* c = find_command(first)) return run_command(*c, argc - 1, argv + 1);
    if (first.front() == '-') {
        fmt::print(stderr, "netlab: unknown option '{}' (netlab --help lists the options)\n", first);
        return exit_usage;
    }
    fmt::print(stderr, "netlab: unknown subcommand '{}' (netlab --help lists them)\n", first);
    return exit_unknown_command;
}
