// Tests of app/main.cpp: the command table, --help of every command, exit codes, multicall.
#include "netlab_test.hpp"

#include <catch2/catch.hpp>
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
                                 "tcp-stamp-client", "pool-server", "ftp-get", "ftp-serve", "demo"})
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    for (const auto& name : names) {
        INFO(name);
        RunResult help = run_netlab({name, "--help"});
        CHECK(help.status == 0);
        CHECK_THAT(help.out, Catch::Contains("Usage: netlab " + name));
        CHECK_THAT(help.out, Catch::Contains("--json"));
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

TEST_CASE("a symlink named after a subcommand runs it; --install makes them", "[dispatch]") {
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
