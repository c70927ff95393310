// Integration tests of bcast send and bcast recv in the lab of network namespaces (never in the
// machine's own namespace, whose eth0 leads outside).
#include "netns_lab.hpp"

#include "sockopt.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace netlab::test;
using netlab::ChildProcess;

TEST_CASE("a broadcast reaches every host on the segment", "[bcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    std::vector<ChildProcess> receivers;
    for (const char* host : {"h1", "h2", "h3"})
        receivers.push_back(
            start_receiver(lab, host, {"bcast", "recv", "--count", "2", "--timeout", "5", "--json"}));
    RunResult limited = lab.run("h1", {"bcast", "send", "--name", "all", "--math", "5", "--chinese", "6"});
    CHECK(limited.status == 0);
    CHECK(limited.out == "OK\n");
    // The directed broadcast of the sender's interface, looked up with getifaddrs.
    RunResult directed = lab.run("h2", {"bcast", "send", "--iface", "eth0", "--name", "net", "--hexdump"});
    CHECK(directed.status == 0);
    CHECK_THAT(directed.out, Catch::StartsWith("datagram to 198.18.0.255:2333, 12 bytes:"));
    for (auto& r : receivers) {
        std::string out = output_of(r);
        CHECK_THAT(out, Catch::Contains("{\"type\":\"record\",\"ip\":\"198.18.0.1\","));
        CHECK_THAT(out, Catch::Contains(",\"name\":\"all\",\"math\":5,\"chinese\":6}\n"));
        CHECK_THAT(out, Catch::Contains("{\"type\":\"record\",\"ip\":\"198.18.0.2\","));
    }
}

TEST_CASE("a broadcast without SO_BROADCAST is refused, explained in one line", "[bcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    RunResult refused = lab.run("h1", {"bcast", "send", "--no-so-broadcast"});
    CHECK(refused.status == 1);
    CHECK(refused.err == "netlab bcast: connect 255.255.255.255:2333: Permission denied: a broadcast address "
                         "needs SO_BROADCAST set on the socket first\n");
    RunResult no_iface = lab.run("h1", {"bcast", "send", "--iface", "eth9"});
    CHECK(no_iface.status == 1);
    CHECK(no_iface.err == "netlab bcast: find interface eth9: no such interface (ip link lists them)\n");
    lab.ip("h1", {"route", "del", "default"});
    RunResult no_route = lab.run("h1", {"bcast", "send"});
    CHECK(no_route.status == 1);
    CHECK_THAT(no_route.err, Catch::StartsWith("netlab bcast: connect 255.255.255.255:2333: Network is "
                                               "unreachable: no route leads there; --iface NAME sends"));
    CHECK(lab.run("h1", {"bcast", "send", "--iface", "eth0"}).status == 0); // the connected route
    RunResult lo = lab.run("h1", {"bcast", "send", "--iface", "lo"});
    CHECK(lo.status == 1);
    CHECK(lo.err == "netlab bcast: find broadcast address of lo: it has no IPv4 broadcast address\n");
}

TEST_CASE("bcast send --to a directed broadcast, with a count and a rate", "[bcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess recv = start_receiver(
        lab, "h3", {"bcast", "recv", "--stats", "--count", "200", "--timeout", "5", "--expect", "200"});
    RunResult send =
        lab.run("h1", {"bcast", "send", "--to", "198.18.0.255", "--count", "200", "--rate", "2000"});
    CHECK(send.status == 0);
    CHECK_THAT(send.out, Catch::StartsWith("sent 200 records (13 bytes each) to 198.18.0.255:2333 in "));
    std::string out = output_of(recv);
    CHECK(std::count(out.begin(), out.end(), '\n') == 400); // "IP PORT" and the record, 200 times
    CHECK_THAT(recv.read_all_stderr(1s), Catch::Contains("received 200 records, 0 malformed"));
}

TEST_CASE("bcast recv reads the tutorial's broadcast client byte for byte, and the other way",
          "[bcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess recv = start_receiver(lab, "h2", {"bcast", "recv", "--count", "1", "--timeout", "5"});
    // The tutorial's client: SO_BROADCAST, then 13 bytes to 255.255.255.255:2333.
    netlab::Fd client = in_namespace(lab.ns("h1"), [] {
        netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
        netlab::sockopt::broadcast(fd);
        netlab::sys::connect(fd, *netlab::SocketAddress::parse_numeric("255.255.255.255:2333", 0));
        return fd;
    });
    send_datagram(client, tutorial_datagram);
    std::string out = output_of(recv);
    CHECK(out.rfind("198.18.0.1 ", 0) == 0);
    CHECK_THAT(out, Catch::EndsWith("\nMike 83 86\n"));

    // The tutorial's server: SO_BROADCAST, bound to 0.0.0.0:2333.
    netlab::Fd server = in_namespace(lab.ns("h3"), [] {
        netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_DGRAM);
        netlab::sockopt::broadcast(fd);
        netlab::sys::bind(fd, netlab::SocketAddress::wildcard(netlab::Family::v4, 2333));
        return fd;
    });
    RunResult send = lab.run("h1", {"bcast", "send", "--name", "Mike", "--math", "83", "--chinese", "86"});
    CHECK(send.status == 0);
    CHECK(receive_datagram(server) == tutorial_datagram);
}
