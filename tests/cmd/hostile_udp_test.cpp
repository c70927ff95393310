// Hostile senders against the score receivers: udp-recv on loopback, bcast recv and mcast recv in a
// lab of network namespaces. A bounded flood of random garbage, empty and 65,507-byte datagrams, and
// names full of terminal escape sequences, while a well-behaved sender's records must keep coming out;
// no descriptor, memory or thread may stay behind (docs/security.md).
#include "hostile.hpp"
#include "netns_lab.hpp"

#include "score_record.hpp"
#include "sockopt.hpp"
#include "sys.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/socket.h>
#include <thread>

using namespace netlab::test;
using netlab::ChildProcess;
using netlab::Fd;
using netlab::SocketAddress;

namespace {

constexpr int garbage_count = 20000;
constexpr int escape_count = 20;

void send_bytes(const Fd& sock, const void* data, std::size_t size) {
    // Errors are the attack's business (a full buffer, a refused port): the receiver is checked.
    [[maybe_unused]] ssize_t n = ::send(sock.get(), data, size, 0);
}

void send_record(const Fd& sock, const std::string& name, std::uint32_t math, std::uint32_t chinese) {
    auto bytes = netlab::score::encode({name, math, chinese});
    send_bytes(sock, bytes.data(), bytes.size());
}

struct FloodCounts {
    int garbage = 0, empty = 0, huge = 0;
    int total() const { return garbage + empty + huge; }
};

// 20,000 datagrams of random length and bytes (the last byte never 0, so none is a record), every
// tenth one empty and every hundredth the largest a UDP datagram can be, in bursts of 200 every
// 10 ms: about a second of flood with no quiet gap.
FloodCounts flood(const Fd& sock) {
    std::mt19937 random(7);
    std::vector<std::uint8_t> buf(65507);
    FloodCounts sent;
    send_bytes(sock, buf.data(), 0); // the first ones logged: an empty datagram, then a huge one
    ++sent.empty;
    send_bytes(sock, buf.data(), buf.size());
    ++sent.huge;
    for (int i = 1; i <= garbage_count; ++i) {
        if (i % 10 == 0) {
            send_bytes(sock, buf.data(), 0);
            ++sent.empty;
        } else if (i % 100 == 1) {
            send_bytes(sock, buf.data(), buf.size());
            ++sent.huge;
        } else {
            std::size_t length = 1 + random() % 1500;
            for (std::size_t k = 0; k < length; ++k) buf[k] = static_cast<std::uint8_t>(random());
            if (buf[length - 1] == 0) buf[length - 1] = 0xff;
            send_bytes(sock, buf.data(), length);
            ++sent.garbage;
        }
        if (i % 200 == 0) std::this_thread::sleep_for(10ms);
    }
    return sent;
}

// Names with escape sequences: clear screen and colours, a window title (OSC ... BEL), the 8-bit CSI
// as UTF-8 (U+009B), carriage return and backspace, bytes that are not UTF-8.
std::string escape_name(int i) {
    static const std::vector<std::string> evil = {"\x1b[2J\x1b[31m", "\x1b]0;owned\x07",
                                                  "\xc2\x9b"
                                                  "6n",
                                                  "\r\b\b\x07", "\xff\xfe\x1b"};
    return evil[static_cast<std::size_t>(i) % evil.size()] + "esc" + std::to_string(i);
}

// Reads the receiver's stdout until a line ends with `wanted`; every line read is kept in `seen`.
bool wait_for_line(ChildProcess& recv, const std::string& wanted, std::string& seen,
                   std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto line = recv.read_stdout_line(
            std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!line) return false;
        seen += *line + "\n";
        if (line->size() >= wanted.size() &&
            line->compare(line->size() - wanted.size(), wanted.size(), wanted) == 0)
            return true;
    }
    return false;
}

// Datagrams the kernel dropped for the receiver's socket on `port` (its buffer was full): the last
// column of /proc/PID/net/udp, read in the receiver's own network namespace.
struct SocketQueue {
    long drops = 0;  // datagrams the kernel dropped (the last field)
    long queued = 0; // bytes waiting to be read (rx_queue, the hex after the colon in field 5)
};

SocketQueue udp_queue(pid_t pid, std::uint16_t port) {
    std::istringstream in(read_proc_file("/proc/" + std::to_string(pid) + "/net/udp"));
    std::string line;
    char want[8];
    std::snprintf(want, sizeof want, ":%04X", port);
    SocketQueue q;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, field, last;
        fields >> slot >> local >> remote >> state >> queues;
        if (local.size() < 5 || local.substr(local.size() - 5) != want) continue;
        while (fields >> field) last = field;
        q.drops += std::stol(last);
        q.queued += std::stol(queues.substr(queues.find(':') + 1), nullptr, 16);
    }
    return q;
}

long kernel_drops(pid_t pid, std::uint16_t port) {
    return udp_queue(pid, port).drops;
}

// The number before `label` in the --stats line ("received 5 records, 2 malformed, 1 escaped, ...").
long stat(const std::string& err, const std::string& label) {
    auto at = err.find(" " + label);
    if (at == std::string::npos) return -1;
    auto start = err.rfind(' ', at - 1);
    return std::stol(err.substr(start + 1, at - start - 1));
}

// The whole attack on a running receiver listening on `port`. `attacker` and `good` are sockets
// connected to where the receiver listens (its address, a broadcast address or a group).
void attack_receiver(ChildProcess& recv, std::uint16_t port, const Fd& attacker, const Fd& good) {
    pid_t pid = recv.pid();
    std::string seen; // everything the receiver printed
    // Quiet phase: names with escape sequences, each waited for; they also warm the receiver up.
    int escape_sent = 0;
    for (int i = 0; i < escape_count; ++i) {
        bool shown = false;
        for (int attempt = 0; attempt < 3 && !shown; ++attempt) {
            send_record(attacker, escape_name(i), 7, 8);
            ++escape_sent;
            shown = wait_for_line(recv, "esc" + std::to_string(i) + " 7 8", seen, 2s);
        }
        REQUIRE(shown);
    }
    Usage before = usage_of(pid);

    // The flood, while the good sender sends one record at a time and waits to see it printed.
    std::atomic<bool> flooding{true};
    FloodCounts sent;
    std::thread attack([&] {
        sent = flood(attacker);
        flooding = false;
    });
    int good_sent = 0, good_seen = 0, seen_during_flood = 0;
    while (flooding || good_seen < 3) {
        std::string name = "good-" + std::to_string(good_sent);
        send_record(good, name, 1, 2);
        ++good_sent;
        if (wait_for_line(recv, name + " 1 2", seen, 2s)) {
            ++good_seen;
            if (flooding) ++seen_during_flood;
        }
        if (good_sent > 200) break; // bounded whatever happens
    }
    attack.join();
    INFO("good records: " << good_sent << " sent, " << good_seen << " seen, " << seen_during_flood
                          << " of them while the flood went on");
    CHECK(good_seen >= 3);
    // Printed while the flood went on, not held back until it stopped.
    CHECK(seen_during_flood >= 1);

    // Once the receiver has drained its socket: nothing kept from the attack.
    CHECK(wait_until([&] { return udp_queue(pid, port).queued == 0; }, 10s));
    long drops = kernel_drops(pid, port);
    Usage after = usage_of(pid);
    INFO("before: " << describe(before) << "; after: " << describe(after));
    CHECK(after.fds == before.fds);
    CHECK(after.threads == before.threads);
    CHECK(after.rss_kib <= before.rss_kib + rss_tolerance_kib);

    recv.send_signal(SIGINT);
    seen += recv.read_all_stdout(5s);
    CHECK(recv.wait(5s) == 0);
    std::string err = recv.read_all_stderr(2s);
    INFO(err);
    // Nothing that could drive a terminal reached stdout: no ESC, C0 control, DEL or 8-bit CSI.
    CHECK(std::none_of(seen.begin(), seen.end(), [](char c) {
        auto b = static_cast<unsigned char>(c);
        return (b < 0x20 && b != '\n') || b == 0x7f;
    }));
    CHECK(seen.find("\xc2\x9b") == std::string::npos);
    CHECK_THAT(seen, Catch::Contains("\\x1b[2J\\x1b[31mesc0 7 8\n"));
    // --stats counts what came: every name escaped, the garbage malformed, nothing lost unaccounted.
    long received = stat(err, "records,"), malformed = stat(err, "malformed,"),
         escaped = stat(err, "escaped,");
    INFO("flood: " << sent.garbage << " garbage, " << sent.empty << " empty, " << sent.huge
                   << " of 65507 bytes; kernel drops " << drops);
    CHECK(escaped >= escape_count);
    CHECK(escaped <= escape_sent);
    CHECK(received >= escape_count + good_seen);
    CHECK(malformed > 0);
    CHECK(malformed <= sent.total());
    CHECK(received + malformed + drops <= escape_sent + good_sent + sent.total());
    // The malformed log: the first ones, then at most a line a second, not one per datagram.
    CHECK_THAT(err, Catch::Contains(": empty datagram"));
    CHECK_THAT(err, Catch::Contains(": too long: 65507 bytes"));
    CHECK(std::count(err.begin(), err.end(), '\n') <= 30);
}

Fd connected_udp(const SocketAddress& to, bool broadcast = false) {
    Fd fd = netlab::sys::socket(to.family(), SOCK_DGRAM);
    if (broadcast) netlab::sockopt::broadcast(fd);
    netlab::sys::connect(fd, to);
    return fd;
}

} // namespace

TEST_CASE("udp-recv under a flood of garbage, huge and empty datagrams and escape sequences",
          "[hostile][udp][udp-recv]") {
    ChildProcess recv = start_netlab({"udp-recv", "--bind", "127.0.0.1", "--port", "0", "--stats"});
    std::uint16_t port = wait_for_listening_port(recv);
    SocketAddress to = SocketAddress::loopback(netlab::Family::v4, port);
    Fd attacker = connected_udp(to), good = connected_udp(to);
    attack_receiver(recv, port, attacker, good);
}

TEST_CASE("bcast recv under a broadcast flood of garbage and escape sequences", "[hostile][bcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess recv = start_receiver(lab, "h2", {"bcast", "recv", "--stats"});
    auto to = *SocketAddress::parse_numeric(netlab::NetnsLab::broadcast_v4() + ":2333", 0);
    Fd attacker = in_namespace(lab.ns("h1"), [&] { return connected_udp(to, true); });
    Fd good = in_namespace(lab.ns("h3"), [&] { return connected_udp(to, true); });
    attack_receiver(recv, 2333, attacker, good);
}

TEST_CASE("mcast recv under a multicast flood of garbage and escape sequences", "[hostile][mcast][root]") {
    NETLAB_NEEDS_ROOT("a lab of network namespaces");
    TestLab lab;
    ChildProcess recv = start_receiver(lab, "h2", {"mcast", "recv", "--stats"});
    auto to = *SocketAddress::parse_numeric("239.0.0.1:2333", 0);
    Fd attacker = in_namespace(lab.ns("h1"), [&] { return connected_udp(to); });
    Fd good = in_namespace(lab.ns("h3"), [&] { return connected_udp(to); });
    attack_receiver(recv, 2333, attacker, good);
}
