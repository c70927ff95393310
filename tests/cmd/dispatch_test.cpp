// Tests of app/main.cpp: the command table, --help of every command, exit codes, multicall.
#include "netlab_test.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace netlab::test;

namespace {
std::vector<std::string> listed_commands() {
    RunResult list = run_netlab({"--list"});
    REQUIRE(list.status == 0);
    std::vector<std::string> names;
    std::istringstream in(list.out);
    for (std::string name; std::getline(in, name);) names.push_back(name);
    return names;
}
} // namespace

TEST_CASE("every subcommand in the table has --help", "[dispatch]") {
    auto names = listed_commands();
    for (const char* expected : {"udp-send", "udp-recv", "bcast", "mcast", "tcp-stamp-server",
                                 "tcp-stamp-client", "pool-server", "ftp-get", "ftp-serve", "demo", "lab"})
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    for (const auto& name : names) {
        INFO(name);
        RunResult help = run_netlab({name, "--help"});
        CHECK(help.status == 0);
        CHECK_THAT(help.out, Catch::Contains("Usage: netlab " + name));
        CHECK_THAT(help.out, Catch::Contains("--json"));
    }
}

// The rule of docs/adding-a-command.md: the tests of a command carry its name as a tag, so that
// `netlab_tests "[udp-send]"` runs them, and a command without tests fails here.
TEST_CASE("every subcommand in the table has tests tagged with its name", "[dispatch]") {
    std::set<std::string> tags;
    for (const Catch::TestCase& test : Catch::getRegistryHub().getTestCaseRegistry().getAllTests())
        tags.insert(test.lcaseTags.begin(), test.lcaseTags.end());
    auto names = listed_commands();
    CHECK(names.size() >= 10);
    for (const auto& name : names) {
        INFO("no test case is tagged [" + name + "]: see docs/adding-a-command.md");
        CHECK(tags.count(name) == 1);
    }
}

// ctest runs each test case by its name (catch_discover_tests), which it cuts at ';' (a CMake list),
// and a Catch filter reads '\' as an escape, '"' as a quote, '*' as a wildcard, '[' as a tag and a
// leading '-' as an option of the test binary: a name with one of them would make its ctest entry run
// nothing or fail.
TEST_CASE("every test case name can be given to ctest and to a Catch filter", "[dispatch]") {
    const auto& tests = Catch::getRegistryHub().getTestCaseRegistry().getAllTests();
    CHECK(!tests.empty());
    for (const Catch::TestCase& test : tests) {
        INFO(test.name);
        CHECK(test.name.find_first_of(";\\\"*[") == std::string::npos);
        CHECK(test.name.rfind('-', 0) == std::string::npos);
    }
}

TEST_CASE("netlab --help lists every subcommand with a summary", "[dispatch]") {
    RunResult help = run_netlab({"--help"});
    CHECK(help.status == 0);
    for (const auto& name : listed_commands()) CHECK_THAT(help.out, Catch::Contains("  " + name + " "));
    CHECK(run_netlab({"--version"}).out.rfind("netlab ", 0) == 0);
}

TEST_CASE("exit codes: 127 unknown subcommand, 2 usage, 1 runtime", "[dispatch]") {
    RunResult unknown = run_netlab({"no-such-command"});
    CHECK(unknown.status == 127);
    CHECK(unknown.err == "netlab: unknown subcommand 'no-such-command' (netlab --help lists them)\n");
    CHECK(run_netlab({}).status == 2);
    CHECK(run_netlab({"--no-such-option"}).status == 2);

    RunResult bad_option = run_netlab({"udp-send", "--no-such-option"});
    CHECK(bad_option.status == 2);
    CHECK_THAT(bad_option.err, Catch::StartsWith("netlab udp-send: "));
    CHECK(run_netlab({"udp-send", "--rate", "fast"}).status == 2);
    CHECK(run_netlab({"udp-send", "--port", "70000"}).status == 2);
    CHECK(run_netlab({"udp-send", "127.0.0.1:notaport"}).status == 2);
    CHECK(run_netlab({"udp-recv", "--timeout", "-1"}).status == 2);
    CHECK(run_netlab({"ftp-get", "127.0.0.1", "f", "--busy-poll", "-1"}).status == 2);
    CHECK(run_netlab({"ftp-serve", "--busy-poll", "fast"}).status == 2);
    CHECK(run_netlab({"ftp-serve", "--timeout", "0"}).status == 2);
    CHECK(run_netlab({"ftp-serve", "--min-rate", "fast"}).status == 2);
    CHECK(run_netlab({"ftp-serve", "--min-rate", "-1"}).status == 2);

    RunResult unresolvable = run_netlab({"udp-send", "no-such-host.invalid"});
    CHECK(unresolvable.status == 1);
    CHECK_THAT(unresolvable.err, Catch::StartsWith("netlab udp-send: resolve no-such-host.invalid: "));
}

namespace {

// The subcommands a --help lists under "Subcommands:" (mcast send, mcast recv).
std::vector<std::string> subcommands_in(const std::string& help) {
    std::vector<std::string> names;
    auto start = help.find("\nSubcommands:\n");
    if (start == std::string::npos) return names;
    std::istringstream in(help.substr(start + 14));
    for (std::string line; std::getline(in, line) && line.rfind("  ", 0) == 0;) {
        std::istringstream words(line);
        std::string name;
        words >> name;
        names.push_back(name);
    }
    return names;
}

// The long names of the options a --help shows with a type `wanted` ("N"), or with a validator when
// `wanted` is empty: their type then reads "PORT:INT in [0 - 65535]", "FMT:value in {...}",
// "S:NONNEGATIVE", "BYTES:SIZE [...]".
std::vector<std::string> options_in(const std::string& help, const std::string& wanted = "") {
    std::vector<std::string> names;
    std::istringstream in(help);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("  -", 0) != 0) continue;
        // "  -p,--port PORT:INT in [...]": the type follows the names after one space, the
        // description after several.
        std::size_t end = line.find(' ', 2);
        if (end == std::string::npos || end + 1 >= line.size() || line[end + 1] == ' ') continue;
        std::string flags = line.substr(2, end - 2);
        std::string type = line.substr(end + 1, line.find(' ', end + 1) - end - 1);
        auto dashes = flags.find("--");
        type = type.substr(0, type.find('='));
        bool match = wanted.empty() ? type.find(':') != std::string::npos : type == wanted;
        if (dashes == std::string::npos || !match) continue;
        names.push_back(flags.substr(dashes, flags.find(',', dashes) - dashes));
    }
    return names;
}

// Runs every command and subcommand with each option that options_in(help, type) finds set to each of
// `values`, and calls `check(command name, option, value, result)`.
template <typename Check>
void for_each_option_value(const std::string& type, std::initializer_list<const char*> values, Check check) {
    for (const auto& name : listed_commands()) {
        std::vector<std::vector<std::string>> commands{{name}};
        for (const auto& sub : subcommands_in(run_netlab({name, "--help"}).out))
            commands.push_back({name, sub});
        for (const auto& command : commands) {
            std::vector<std::string> help_args = command;
            help_args.push_back("--help");
            for (const auto& option : options_in(run_netlab(help_args).out, type)) {
                for (const char* value : values) {
                    std::vector<std::string> args = command;
                    args.insert(args.end(), {option, value});
                    RunResult r = run_netlab(args, 5s);
                    INFO(fmt::format("{}", fmt::join(args, " ")) << "\n" << r.err);
                    check(name, option, value, r);
                }
            }
        }
    }
}

} // namespace

TEST_CASE("a value an option's validator refuses gets one line in netlab's words", "[dispatch]") {
    int checked = 0;
    for_each_option_value(
        "", {"bogus", "-1", "nan"},
        [&](const std::string& name, const std::string& option, const std::string& bad, const RunResult& r) {
            CHECK(r.status == 2);
            CHECK_THAT(r.err, Catch::StartsWith("netlab " + name + ": " + option + ": " + bad + " is not "));
            CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 2); // the line and the --help pointer
            for (const char* internal :
                 {"Check", "FAILED", "->", "0.000000", "in range", "converted", "unit not recognized"})
                CHECK_THAT(r.err, !Catch::Contains(internal));
            ++checked;
        });
    CHECK(checked > 90); // every command has some: a parser change that hid them would pass unnoticed

    RunResult format = run_netlab({"tcp-stamp-server", "--format", "bogus"});
    CHECK(format.err == "netlab tcp-stamp-server: --format: bogus is not one of daytime, rfc868, unix\n"
                        "Run 'netlab tcp-stamp-server --help' for the options.\n");
    RunResult rate = run_netlab({"ftp-serve", "--min-rate", "-1"});
    CHECK_THAT(rate.err, Catch::StartsWith("netlab ftp-serve: --min-rate: -1 is not a size in bytes"));
    RunResult big = run_netlab({"ftp-serve", "--min-rate", "5T"});
    CHECK_THAT(big.err,
               Catch::StartsWith("netlab ftp-serve: --min-rate: 5T is not a size from 0 to 1000000000000\n"));
    RunResult timeout = run_netlab({"tcp-stamp-client", "--timeout", "0"});
    CHECK_THAT(
        timeout.err,
        Catch::StartsWith("netlab tcp-stamp-client: --timeout: 0 is not a number from 0.001 to 3600\n"));
    RunResult port = run_netlab({"udp-recv", "--port", "70000"});
    CHECK_THAT(port.err,
               Catch::StartsWith("netlab udp-recv: --port: 70000 is not a whole number from 0 to 65535\n"));
    RunResult missing = run_netlab({"udp-recv", "--port"});
    CHECK(missing.status == 2);
    CHECK_THAT(missing.err, Catch::StartsWith("netlab udp-recv: --port: needs a value\n"));
    RunResult upload = run_netlab({"ftp-serve", "--max-upload", "-5"}, 5s);
    CHECK(upload.status == 2); // CLI11 alone reads -5 as 2^64 - 5: no limit at all
    CHECK_THAT(upload.err, Catch::StartsWith("netlab ftp-serve: --max-upload: -5 is not a size in bytes"));
}

TEST_CASE("a whole-number option refuses a sign, a fraction and an overflow in netlab's words",
          "[dispatch]") {
    // CLI11 alone reads "-1" into a 64-bit count as 18446744073709551615: `udp-send --count -1` sent
    // records until interrupted.
    int checked = 0;
    for_each_option_value(
        "N", {"-1", "abc", "1.5", "99999999999999999999999", "+3"},
        [&](const std::string& name, const std::string& option, const std::string& bad, const RunResult& r) {
            CHECK(r.status == 2);
            CHECK_THAT(r.err, Catch::StartsWith("netlab " + name + ": " + option + ": " + bad +
                                                " is not a whole number from 0 to "));
            ++checked;
        });
    CHECK(checked > 50); // --count, --seed, --expect, --math, --chinese of several commands

    RunResult score = run_netlab({"udp-send", "--math", "4294967296"});
    CHECK_THAT(score.err,
               Catch::StartsWith(
                   "netlab udp-send: --math: 4294967296 is not a whole number from 0 to 4294967295\n"));
    // "08" would be octal to CLI11, and no number: read as 8, the command goes on to the next error.
    RunResult leading_zero = run_netlab({"udp-send", "--count", "08", "--rate", "-1"});
    CHECK_THAT(leading_zero.err, Catch::StartsWith("netlab udp-send: --rate: -1 is not "));
    RunResult flag = run_netlab({"udp-recv", "--json=maybe"});
    CHECK(flag.status == 2);
    CHECK_THAT(flag.err, Catch::StartsWith("netlab udp-recv: --json: maybe is not true or false\n"));
}

TEST_CASE("a symlink named after a subcommand runs it, and --install makes them", "[dispatch]") {
    TempDir dir;
    RunResult install = run_netlab({"--install", dir.path()});
    REQUIRE(install.status == 0);
    for (const char* name : {"udp-send", "udp-recv", "ftp-get"})
        CHECK(::access((dir.path() + "/" + name).c_str(), X_OK) == 0);

    netlab::ChildProcess via_link = netlab::ChildProcess::spawn({dir.path() + "/udp-send", "--help"});
    CHECK_THAT(via_link.read_all_stdout(5s), Catch::Contains("Usage: netlab udp-send"));
    CHECK(via_link.wait(5s) == 0);

    std::string prefixed = dir.path() + "/netlab-udp-recv";
    REQUIRE(::symlink(netlab_binary().c_str(), prefixed.c_str()) == 0);
    netlab::ChildProcess via_prefix = netlab::ChildProcess::spawn({prefixed, "--help"});
    CHECK_THAT(via_prefix.read_all_stdout(5s), Catch::Contains("Usage: netlab udp-recv"));
    CHECK(via_prefix.wait(5s) == 0);
}
