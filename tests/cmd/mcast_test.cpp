// Integration tests of mcast send and mcast recv in the lab of network namespaces (never in the
// machine's own namespace, whose eth0 leads outside).
#include "netns_lab.hpp"

#include "interfaces.hpp"
#include "multicast.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>

using namespace netlab::test;
using netlab::ChildProcess;

namespace {

// Receivers that stop after 1 s of quiet and print their counts as JSON: for "gets nothing".
std::vector<std::string> quiet_receiver(std::vector<std::string> args) {
    args.insert(args.end(), {"--timeout", "1", "--stats", "--json"});
    return args;
}

// Text output with the senders' ephemeral ports dropped: "IP PORT\nname math chinese\n" -> "IP\nname...".
std::string without_ports(const std::string& out) {
    std::string result;
    bool address_line = true;
    for (std::size_t pos = 0; pos < out.size();) {
        std::size_t nl = out.find('\n', pos);
        std::string line = out.substr(pos, nl - pos);
        result += (address_line ? line.substr(0, line.rfind(' ')) : line) + "\n";
        address_line = !address_line;
        pos = nl == std::string::npos ? out.size() : nl + 1;
    }
    return result;
}

RunResult send_from(const TestLab& lab, const std::string& host, std::vector<std::string> args) {
    args.insert(args.begin(), {"mcast", "send"});
    RunResult result = lab.run(host, args);
    INFO(result.err);
    CHECK(result.status == 0);
    return result;
}

} // namespace

TEST_CASE("mcast send reaches the hosts that joined, not one that never joined or left", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab(4);
    ChildProcess h2 = start_receiver(lab, "h2", {"mcast", "recv", "--count", "2", "--timeout", "5"});
    ChildProcess h3 = start_receiver(lab, "h3", {"mcast", "recv", "--count", "2", "--timeout", "5"});
    ChildProcess h4 = start_receiver(lab, "h4", {"mcast", "recv", "--count", "1", "--timeout", "5"});
    CHECK_THAT(lab.ip_output("h4", {"maddr", "show", "dev", "eth0"}), Catch::Contains("239.0.0.1"));
    CHECK(send_from(lab, "h1", {"--name", "first", "--math", "1", "--chinese", "2"}).out == "OK\n");
    CHECK(without_ports(output_of(h4)) == "198.18.0.1\nfirst 1 2\n");
    // h4 left the group when it exited; a plain UDP socket on the port hears nothing for it now.
    CHECK_THAT(lab.ip_output("h4", {"maddr", "show", "dev", "eth0"}), !Catch::Contains("239.0.0.1"));
    CHECK_THAT(lab.ip_output("h2", {"maddr", "show", "dev", "eth0"}), Catch::Contains("239.0.0.1"));
    ChildProcess unjoined = start_receiver(lab, "h4", quiet_receiver({"udp-recv", "--port", "2333"}));
    send_from(lab, "h1", {"--name", "second", "--math", "3", "--chinese", "4"});
    for (ChildProcess* joined : {&h2, &h3})
        CHECK(without_ports(output_of(*joined)) == "198.18.0.1\nfirst 1 2\n198.18.0.1\nsecond 3 4\n");
    CHECK_THAT(output_of(unjoined), Catch::Contains("\"received\":0"));
}

TEST_CASE("mcast --ttl 0 keeps datagrams on the sending host", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess local = start_receiver(lab, "h1", quiet_receiver({"mcast", "recv"}));
    ChildProcess remote = start_receiver(lab, "h2", quiet_receiver({"mcast", "recv"}));
    send_from(lab, "h1", {"--ttl", "0", "--count", "3"});
    CHECK_THAT(output_of(local), Catch::Contains("\"received\":3"));
    CHECK_THAT(output_of(remote), Catch::Contains("\"received\":0")); // the default TTL 1 reaches it
}

TEST_CASE("mcast --loop off: the sender's own host gets no copy", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess local = start_receiver(lab, "h1", quiet_receiver({"mcast", "recv"}));
    ChildProcess remote = start_receiver(lab, "h2", quiet_receiver({"mcast", "recv"}));
    send_from(lab, "h1", {"--loop", "off", "--count", "3"});
    send_from(lab, "h3", {"--loop", "off", "--count", "2"}); // others' datagrams still arrive
    CHECK_THAT(output_of(local), Catch::Contains("\"received\":2"));
    CHECK_THAT(output_of(remote), Catch::Contains("\"received\":5"));
}

TEST_CASE("mcast --iface sends where no route leads, and without it the error says why", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    lab.ip("h1", {"route", "del", "default"});
    ChildProcess remote = start_receiver(lab, "h2", {"mcast", "recv", "--count", "3", "--timeout", "5"});
    RunResult no_route = lab.run("h1", {"mcast", "send"});
    CHECK(no_route.status == 1);
    CHECK(no_route.err ==
          "netlab mcast: connect 239.0.0.1:2333: Network is unreachable: no route to the group: "
          "name the interface with --iface\n");
    std::string index = std::to_string(
        in_namespace(lab.ns("h1"), [] { return netlab::find_interface("eth0").value().index; }));
    for (const std::string& iface : {std::string("eth0"), index, std::string("198.18.0.1")})
        send_from(lab, "h1", {"--iface", iface, "--name", "via-" + iface, "--math", "1", "--chinese", "1"});
    std::string out = output_of(remote);
    CHECK_THAT(out, Catch::Contains("via-eth0 1 1\n"));
    CHECK_THAT(out, Catch::Contains("via-" + index + " 1 1\n"));
    CHECK_THAT(out, Catch::Contains("via-198.18.0.1 1 1\n"));
    RunResult unknown = lab.run("h1", {"mcast", "send", "--iface", "eth9"});
    CHECK(unknown.status == 1);
    CHECK(unknown.err == "netlab mcast: find interface eth9: no such interface (ip link lists them)\n");
    RunResult join = lab.run("h1", {"mcast", "recv", "--timeout", "0.1"});
    CHECK(join.status == 1);
    CHECK_THAT(join.err, Catch::Contains("join 239.0.0.1: No such device: no route to the group"));
}

TEST_CASE("mcast recv --source hears one sender of the group only", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess ssm = start_receiver(lab, "h1", quiet_receiver({"mcast", "recv", "--source", "198.18.0.2"}));
    ChildProcess any = start_receiver(lab, "h1", quiet_receiver({"mcast", "recv"}));
    send_from(lab, "h2", {"--count", "2"});
    send_from(lab, "h3", {"--count", "3"});
    std::string out = output_of(ssm);
    CHECK_THAT(out, Catch::Contains("\"received\":2"));
    CHECK_THAT(out, !Catch::Contains("198.18.0.3"));
    CHECK_THAT(output_of(any), Catch::Contains("\"received\":5"));
}

TEST_CASE("mcast recv joins several groups and only those", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess both = start_receiver(
        lab, "h2", quiet_receiver({"mcast", "recv", "--group", "239.0.0.1", "--group", "239.0.0.2"}));
    ChildProcess one = start_receiver(lab, "h2", quiet_receiver({"mcast", "recv", "--group", "239.0.0.2"}));
    for (const char* group : {"239.0.0.1", "239.0.0.2", "239.0.0.3"})
        send_from(lab, "h1", {"--group", group});
    CHECK_THAT(output_of(both), Catch::Contains("\"received\":2"));
    CHECK_THAT(output_of(one), Catch::Contains("\"received\":1"));
}

TEST_CASE("224.0.0.1 reaches every host, joined or not", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess joined =
        start_receiver(lab, "h2", {"mcast", "recv", "--group", "224.0.0.1", "--count", "1"});
    // A plain UDP socket: every host belongs to the all-hosts group and cannot leave it.
    ChildProcess plain =
        start_receiver(lab, "h3", {"udp-recv", "--port", "2333", "--count", "1", "--timeout", "5"});
    send_from(lab, "h1", {"--group", "224.0.0.1", "--name", "all"});
    CHECK_THAT(output_of(joined), Catch::Contains("\nall "));
    CHECK_THAT(output_of(plain), Catch::Contains("\nall "));
}

TEST_CASE("IPv6 multicast between two hosts, site- and link-local scope", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess site =
        start_receiver(lab, "h2", {"mcast", "recv", "--group", "ff15::1", "--count", "1", "--timeout", "5"});
    ChildProcess link = start_receiver(
        lab, "h3",
        {"mcast", "recv", "--group", "ff02::114", "--iface", "eth0", "--count", "1", "--timeout", "5"});
    send_from(lab, "h1", {"--group", "ff15::1", "--name", "six", "--math", "6", "--chinese", "6"});
    send_from(lab, "h1", {"--group", "ff02::114", "--iface", "eth0", "--name", "link"});
    CHECK(without_ports(output_of(site)) == "fd00:198:18::1\nsix 6 6\n");
    std::string out = output_of(link);
    CHECK(out.rfind("fe80::1%eth0 ", 0) == 0);
    CHECK_THAT(out, Catch::Contains("\nlink "));
    RunResult no_iface = lab.run("h1", {"mcast", "recv", "--group", "ff02::1"});
    CHECK(no_iface.status == 2);
    CHECK(no_iface.err == "netlab mcast: ff02::1 has link-local scope: name the interface with --iface\n");
}

TEST_CASE("mcast recv reads the tutorial's multicast client byte for byte, and the other way",
          "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    // The tutorial's client: IP_MULTICAST_IF by ifindex, then sendto the group, 13 bytes.
    ChildProcess recv =
        start_receiver(lab, "h2", {"mcast", "recv", "--count", "1", "--timeout", "5", "--hexdump"});
    netlab::Fd client = in_namespace(lab.ns("h1"), [] {
        netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
        netlab::mcast::interface(fd, AF_INET, netlab::find_interface("eth0").value().index);
        netlab::sys::connect(fd, *netlab::SocketAddress::parse_numeric("239.0.0.1:2333", 0));
        return fd;
    });
    send_datagram(client, tutorial_datagram);
    std::string out = output_of(recv);
    CHECK_THAT(out, Catch::Contains("datagram from 198.18.0.1:"));
    CHECK_THAT(out, Catch::Contains(", 13 bytes:"));
    CHECK_THAT(out, Catch::EndsWith("\nMike 83 86\n"));

    // The tutorial's server: IP_ADD_MEMBERSHIP with ip_mreqn, bound to 0.0.0.0:2333.
    netlab::Fd server = in_namespace(lab.ns("h3"), [] {
        netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
        netlab::mcast::join(fd, *netlab::SocketAddress::parse_numeric("239.0.0.1", 0),
                            netlab::find_interface("eth0").value().index);
        netlab::sys::bind(fd, netlab::SocketAddress::wildcard(netlab::Family::v4, 2333));
        return fd;
    });
    send_from(lab, "h1", {"--name", "Mike", "--math", "83", "--chinese", "86"});
    CHECK(receive_datagram(server) == tutorial_datagram);
}

TEST_CASE("mcast usage errors", "[mcast]") {
    RunResult not_group = run_netlab({"mcast", "send", "--group", "198.18.0.1"});
    CHECK(not_group.status == 2);
    CHECK(not_group.err == "netlab mcast: 198.18.0.1 is not a multicast group (IPv4 groups are 224.0.0.0/4, "
                           "IPv6 ff00::/8)\n");
    CHECK(run_netlab({"mcast", "recv", "--group", "239.0.0.1", "--group", "ff15::1"}).status == 2);
    CHECK(run_netlab({"mcast", "send", "--loop", "maybe"}).status == 2);
    CHECK(run_netlab({"mcast", "send", "--ttl", "256"}).status == 2);
    CHECK(run_netlab({"mcast"}).status == 2);
    RunResult help = run_netlab({"mcast", "send", "--help"});
    CHECK(help.status == 0);
    CHECK_THAT(help.out, Catch::Contains("--ttl"));
}

TEST_CASE("netlab demo shows a multicast sender reaching two namespaces, then deletes them",
          "[mcast][demo][root]") {
    NETLAB_NEEDS_ROOT("the demo's lab of network namespaces");
    ChildProcess demo = start_netlab({"demo", "--records", "1"});
    std::string out = demo.read_all_stdout(20s);
    CHECK(demo.wait(5s) == 0);
    CHECK_THAT(out, Catch::Contains("  [h2] Lucy 91 88\n"));
    CHECK_THAT(out, Catch::Contains("  [h3] Lucy 91 88\n"));
    std::string prefix = "netlab-demo-" + std::to_string(demo.pid()) + "-";
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns"))
        CHECK_THAT(entry.path().filename().string(), !Catch::StartsWith(prefix));
}

TEST_CASE("IPv6 source-specific join hears the chosen sender only", "[mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess ssm = start_receiver(lab, "h3",
                                      {"mcast", "recv", "--group", "ff15::2", "--source", "fd00:198:18::2",
                                       "--count", "1", "--timeout", "5"});
    send_from(lab, "h1", {"--group", "ff15::2", "--name", "not-this"});
    send_from(lab, "h2", {"--group", "ff15::2", "--name", "this"});
    std::string out = output_of(ssm);
    CHECK(out.rfind("fd00:198:18::2 ", 0) == 0);
    CHECK_THAT(out, Catch::Contains("\nthis "));
}
