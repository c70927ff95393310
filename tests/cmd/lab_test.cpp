// Integration tests of `netlab lab`: labs that outlive the command, found again by name, removed whole.
#include "netns_lab.hpp"

#include "lab.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <unistd.h>

using namespace netlab::test;
using netlab::ChildProcess;

namespace {

std::atomic<int> lab_counter{0};

// A lab name no other test process uses; the lab is taken down when the test ends, however it ends.
class LabName {
public:
    LabName() : name_("t" + std::to_string(::getpid()) + "-" + std::to_string(lab_counter++)) {}
    ~LabName() { run_netlab({"lab", "--name", name_, "down", "-q"}); }
    const std::string& str() const { return name_; }

private:
    std::string name_;
};

RunResult lab(const LabName& name, std::vector<std::string> args) {
    args.insert(args.begin(), {"lab", "--name", name.str()});
    return run_netlab(args, 30s);
}

RunResult lab_ok(const LabName& name, std::vector<std::string> args) {
    RunResult result = lab(name, std::move(args));
    INFO(result.err);
    REQUIRE(result.status == 0);
    return result;
}

// `netlab lab exec HOST -- netlab args...` in the background.
ChildProcess start_on(const LabName& name, const std::string& host, std::vector<std::string> args) {
    std::vector<std::string> argv{"lab", "--name", name.str(), "exec", host, "--", netlab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return start_netlab(argv);
}

int namespaces_of(const std::string& name) {
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec))
        if (netlab::lab::node_of_namespace(name, entry.path().filename().string())) ++count;
    return count;
}

bool recorded(const std::string& name) {
    return std::filesystem::exists(netlab::lab::default_state_dir() / (name + ".lab"));
}

} // namespace

TEST_CASE("lab: bad layouts and names are usage errors, before anything is built", "[lab]") {
    for (std::vector<std::string> args : {std::vector<std::string>{"lab", "up", "--segments", "3"},
                                          {"lab", "up", "--hosts", "1", "--segments", "2"},
                                          {"lab", "up", "--mroute"},
                                          {"lab", "--name", "../etc", "up"},
                                          {"lab", "--name", "../etc", "status"},
                                          {"lab", "loss", "h1", "101"},
                                          {"lab"}}) {
        RunResult result = run_netlab(args);
        INFO(args.back());
        CHECK(result.status == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') <= 2);
    }
    if (!running_as_root()) {
        RunResult result = run_netlab({"lab", "--name", "x", "up"});
        CHECK(result.status == 1);
        CHECK(result.err ==
              "netlab lab: up lab x: needs root: a lab is made of network namespaces (try sudo)\n");
    }
}

TEST_CASE("lab up, exec, status and down: two segments, unicast through the router", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    LabName name;
    RunResult up = lab_ok(name, {"up", "--hosts", "3", "--segments", "2"});
    CHECK_THAT(up.out, Catch::Contains("h3      segment 2  198.18.1.3"));
    CHECK(recorded(name.str()));
    CHECK(namespaces_of(name.str()) == 6); // h1 h2 h3 router sw1 sw2
    CHECK(lab(name, {"up"}).status == 1);  // the name is taken

    RunResult addr = lab_ok(name, {"exec", "h3", "--", "ip", "-br", "addr", "show", "dev", "eth0"});
    CHECK_THAT(addr.out, Catch::Contains("198.18.1.3/24") && Catch::Contains("fd00:198:18:1::3/64"));
    RunResult missing = lab(name, {"exec", "h3", "--", "no-such-program-netlab"});
    CHECK(missing.status == 1);
    CHECK(missing.err == "netlab lab: exec no-such-program-netlab on h3: No such file or directory\n");

    ChildProcess receiver = start_on(name, "h3", {"udp-recv", "--port", "0", "--count", "1", "-v"});
    std::uint16_t port = wait_for_listening_port(receiver);
    RunResult send = lab_ok(name, {"exec", "h1", "--", netlab_binary(), "udp-send",
                                   "198.18.1.3:" + std::to_string(port), "--name", "routed"});
    CHECK(send.out == "OK\n");
    RunResult received = finish(receiver);
    CHECK(received.status == 0);
    CHECK_THAT(received.out, Catch::StartsWith("198.18.0.1 ") && Catch::Contains("routed"));

    ChildProcess receiver6 = start_on(name, "h3", {"udp-recv", "-6", "--port", "0", "--count", "1", "-v"});
    std::uint16_t port6 = wait_for_listening_port(receiver6);
    lab_ok(name, {"exec", "h1", "--", netlab_binary(), "udp-send",
                  "[fd00:198:18:1::3]:" + std::to_string(port6), "--name", "routed6"});
    RunResult received6 = finish(receiver6);
    CHECK_THAT(received6.out, Catch::StartsWith("fd00:198:18::1 ") && Catch::Contains("routed6"));

    RunResult status = lab_ok(name, {"status"});
    CHECK_THAT(status.out, Catch::Contains("h1      1    198.18.0.1/24"));
    CHECK_THAT(status.out, Catch::Contains("default via 198.18.0.254 dev eth0"));
    RunResult json = lab_ok(name, {"status", "--json"});
    CHECK_THAT(json.out, Catch::StartsWith("{\"lab\":\"" + name.str() + "\",\"segments\":2"));
    CHECK_THAT(json.out, Catch::Contains("\"name\":\"router\"") && Catch::Contains("198.18.1.254/24") &&
                             Catch::Contains("default via fd00:198:18::254 dev eth0"));

    RunResult down = lab_ok(name, {"down"});
    CHECK(down.out == "lab " + name.str() + ": removed 6 namespaces, stopped 0 processes\n");
    CHECK(namespaces_of(name.str()) == 0);
    CHECK_FALSE(recorded(name.str()));
    RunResult gone = lab(name, {"status"});
    CHECK(gone.status == 1);
    CHECK_THAT(gone.err, Catch::Contains("there is no such lab"));
    CHECK(lab(name, {"down"}).status == 1);
}

TEST_CASE("lab down removes what a killed up and a program left running on a host", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    LabName crashed;
    ChildProcess up =
        start_netlab({"lab", "--name", crashed.str(), "up", "--hosts", "12", "--segments", "2"});
    REQUIRE(wait_until([&] { return namespaces_of(crashed.str()) >= 4; }, 20s));
    up.send_signal(SIGKILL);
    REQUIRE(up.wait(5s) == 128 + SIGKILL);
    RunResult down = lab(crashed, {"down"});
    INFO(down.err);
    CHECK(down.status == 0);
    CHECK(namespaces_of(crashed.str()) == 0);
    CHECK_FALSE(recorded(crashed.str()));

    LabName busy;
    lab_ok(busy, {"up", "--hosts", "2"});
    ChildProcess program = start_on(busy, "h2", {"udp-recv", "--port", "0", "-v"});
    wait_for_listening_port(program);
    RunResult removed = lab_ok(busy, {"down"});
    CHECK_THAT(removed.out, Catch::Contains("stopped 1 process\n"));
    CHECK(program.wait(5s) == 0); // udp-recv ends cleanly on SIGTERM
    CHECK(namespaces_of(busy.str()) == 0);
}

TEST_CASE("lab: two labs coexist under different names, with the same addresses", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    LabName first, second;
    lab_ok(first, {"up", "--hosts", "2"});
    lab_ok(second, {"up", "--hosts", "2"});
    for (const LabName* name : {&first, &second})
        CHECK_THAT(lab_ok(*name, {"exec", "h1", "--", "ip", "-br", "addr"}).out,
                   Catch::Contains("198.18.0.1/24"));
    lab_ok(first, {"down"});
    CHECK(namespaces_of(first.str()) == 0);
    CHECK(namespaces_of(second.str()) == 3);
    CHECK_THAT(lab_ok(second, {"status"}).out, Catch::Contains("h2      1    198.18.0.2/24"));
}

TEST_CASE("lab --mroute: multicast TTL 1 stays on its segment, TTL 2 crosses the router", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    LabName name;
    lab_ok(name, {"up", "--hosts", "3", "--segments", "2", "--mroute"}); // h1 h2 | router | h3
    CHECK(lab_ok(name, {"status"}).out.find("router  1,2") != std::string::npos);
    ChildProcess near = start_on(name, "h2", {"mcast", "recv", "--count", "1", "--timeout", "5", "-v"});
    wait_for_listening_port(near);
    ChildProcess far = start_on(name, "h3", {"mcast", "recv", "--timeout", "1", "--stats", "--json", "-v"});
    wait_for_listening_port(far);
    CHECK_THAT(lab_ok(name, {"status"}).out, Catch::Contains("239.0.0.1"));
    lab_ok(name, {"exec", "h1", "--", netlab_binary(), "mcast", "send", "--ttl", "1", "--name", "one"});
    CHECK_THAT(finish(near).out, Catch::Contains("one"));
    RunResult far_ttl1 = finish(far);
    CHECK_THAT(far_ttl1.out, Catch::Contains("\"received\":0"));

    ChildProcess across = start_on(name, "h3", {"mcast", "recv", "--count", "1", "--timeout", "5", "-v"});
    wait_for_listening_port(across);
    lab_ok(name, {"exec", "h1", "--", netlab_binary(), "mcast", "send", "--ttl", "2", "--name", "two"});
    RunResult far_ttl2 = finish(across);
    CHECK(far_ttl2.status == 0);
    CHECK_THAT(far_ttl2.out, Catch::StartsWith("198.18.0.1 ") && Catch::Contains("two"));
    CHECK_THAT(lab_ok(name, {"down"}).out, Catch::Contains("stopped 1 process\n")); // the forwarder
}

TEST_CASE("lab loss adds an nftables rule in the host and removes it, and delay needs netem", "[lab][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    LabName name;
    lab_ok(name, {"up", "--hosts", "2"});
    CHECK(lab_ok(name, {"loss", "h1", "30"}).out ==
          "h1: drops 30% of the packets it sends and of those it receives\n");
    RunResult rules = lab_ok(name, {"exec", "h1", "--", "nft", "list", "table", "inet", "netlab"});
    CHECK_THAT(rules.out, Catch::Contains("numgen random mod 100 < 30 drop"));
    CHECK_THAT(lab_ok(name, {"status"}).out, Catch::Contains("30%"));
    CHECK(lab(name, {"exec", "h2", "--", "nft", "list", "table", "inet", "netlab"}).status !=
          0); // h2 untouched
    lab_ok(name, {"loss", "h1", "0"});
    CHECK(lab(name, {"exec", "h1", "--", "nft", "list", "table", "inet", "netlab"}).status != 0);
    CHECK(lab(name, {"loss", "h9", "5"}).status == 2);

    RunResult delay = lab(name, {"delay", "h1", "20"});
    if (delay.status == 1) {
        CHECK(delay.err == "netlab lab: delay h1: this kernel has no netem (CONFIG_NET_SCH_NETEM): packets "
                           "cannot be delayed here\n");
    } else {
        CHECK(delay.status == 0);
        CHECK(lab(name, {"delay", "h1", "0"}).status == 0);
    }
}
