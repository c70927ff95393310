// Integration tests of tcp-stamp-server and tcp-stamp-client: the real binary on loopback, every
// model, interop with the tutorial's way of reading and writing, rdate, leaks, zombies, resets.
#include "netlab_test.hpp"

#include "datagram.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <sstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace netlab::test;
using netlab::ChildProcess;
using netlab::Fd;
using netlab::SocketAddress;

namespace {

SocketAddress loopback(std::uint16_t port) {
    return SocketAddress::loopback(netlab::Family::v4, port);
}

// The tutorial's client, reading with stdio: fdopen + fscanf("%lld\n"). Returns false on a bad reply.
bool tutorial_read(std::uint16_t port, long long* stamp) {
    Fd sock = netlab::sys::socket(AF_INET, SOCK_STREAM);
    netlab::tcp::connect(sock, loopback(port), 5s);
    std::FILE* fp = ::fdopen(sock.release(), "r+");
    REQUIRE(fp);
    bool ok = std::fscanf(fp, "%lld\n", stamp) == 1;
    std::fclose(fp);
    return ok;
}

// A server that writes the way the tutorial's does: sprintf "%lld\n", send, close; `n` connections.
class TutorialServer {
public:
    TutorialServer(int n, std::string reply) : listener_(netlab::tcp::listen(loopback(0), 16)) {
        port_ = netlab::sys::local_address(listener_).port();
        thread_ = std::thread([this, n, reply] {
            for (int i = 0; i < n; ++i) {
                auto conn = netlab::sys::accept(listener_, nullptr, false);
                if (conn) netlab::tcp::send(*conn, reply.data(), reply.size());
            }
        });
    }
    ~TutorialServer() { thread_.join(); }
    std::uint16_t port() const { return port_; }

private:
    Fd listener_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

std::string stamp_line(long long v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld\n", v);
    return buf;
}

// Waits until the process has no children left (the fork model's children are reaped on SIGCHLD).
std::vector<pid_t> children_after_settling(pid_t pid) {
    wait_until([&] { return child_pids(pid).empty(); }, 5s);
    return child_pids(pid);
}

int fds_after_settling(pid_t pid, int expected) {
    wait_until([&] { return count_open_fds(pid) == expected; }, 5s);
    return count_open_fds(pid);
}

const std::vector<std::string> models = {"epoll", "fork", "threads"};

} // namespace

TEST_CASE("a client reading with fscanf and %lld works against every model",
          "[tcp-stamp][integration][tcp-stamp-server]") {
    for (const auto& model : models) {
        DYNAMIC_SECTION("model " << model) {
            ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "--model", model});
            std::uint16_t port = wait_for_listening_port(server);
            long long stamp = 0;
            REQUIRE(tutorial_read(port, &stamp));
            CHECK(std::llabs(stamp - static_cast<long long>(std::time(nullptr))) <= 2);
            // The tutorial's log line, printed per connection.
            auto line = server.read_stdout_line(5s);
            REQUIRE(line);
            CHECK_THAT(*line, Catch::StartsWith("client 127.0.0.1 "));
            server.send_signal(SIGTERM);
            CHECK(server.wait(5s) == 0);
        }
    }
}

TEST_CASE("a client that sends a line first still gets its stamp from every model and the pool",
          "[tcp-stamp][integration][pool-server][tcp-stamp-server]") {
    // RFC 867: the server ignores what the client sends (`echo | nc HOST 2333`). Closing with that
    // input unread resets the connection: the reply must already be on its way.
    std::vector<std::vector<std::string>> servers;
    for (const auto& model : models)
        servers.push_back({"tcp-stamp-server", "--port", "0", "-q", "--model", model});
    servers.push_back({"pool-server", "--port", "0", "-q"});
    for (const auto& args : servers) {
        DYNAMIC_SECTION(args[0] << " " << args.back()) {
            ChildProcess server = start_netlab(args);
            std::uint16_t port = wait_for_listening_port(server);
            for (int i = 0; i < 20; ++i) {
                netlab::Fd fd = netlab::sys::socket(AF_INET, SOCK_STREAM);
                netlab::tcp::connect(fd, netlab::SocketAddress::loopback(netlab::Family::v4, port), 2000ms);
                REQUIRE(netlab::tcp::send(fd, "what time is it?\r\n", 18).bytes == 18);
                std::string reply;
                char buf[64];
                for (;;) {
                    netlab::tcp::IoResult r = netlab::tcp::receive(fd, buf, sizeof buf);
                    if (!r.ok() || r.bytes == 0) break;
                    reply.append(buf, r.bytes);
                }
                CHECK_THAT(reply, Catch::Matches("[0-9]+\n"));
            }
            server.send_signal(SIGTERM);
            CHECK(server.wait(5s) == 0);
        }
    }
}

TEST_CASE("tcp-stamp-client reads a server that writes the tutorial's way",
          "[tcp-stamp][integration][tcp-stamp-client]") {
    TutorialServer server(2, stamp_line(1764583200));
    RunResult plain = run_netlab({"tcp-stamp-client", "--port", std::to_string(server.port())});
    CHECK(plain.status == 0);
    CHECK(plain.out == "1764583200\n");
    RunResult human =
        run_netlab({"tcp-stamp-client", "127.0.0.1:" + std::to_string(server.port()), "--human"});
    CHECK(human.status == 0);
    // 2025-12-01T10:00:00Z in whatever the local time zone is.
    CHECK_THAT(human.out,
               Catch::Matches("1764583200 2025-1[12]-[0-9]{2}T[0-9]{2}:[0-9]{2}:00[+-][0-9]{2}:[0-9]{2}\n"));
}

TEST_CASE("a reply that does not parse prints Bad format and exits 1",
          "[tcp-stamp][integration][tcp-stamp-client]") {
    TutorialServer server(2, "hello\n");
    RunResult bad = run_netlab({"tcp-stamp-client", "--port", std::to_string(server.port())});
    CHECK(bad.status == 1);
    CHECK(bad.out.empty());
    CHECK(bad.err == "Bad format\n");
    RunResult wrong_format =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(server.port()), "--format", "rfc868"});
    CHECK(wrong_format.status == 1);
}

TEST_CASE("every format round-trips between server and client",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    for (std::string format : {"unix", "rfc868", "daytime"}) {
        DYNAMIC_SECTION("format " << format) {
            ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--format", format});
            std::uint16_t port = wait_for_listening_port(server);
            RunResult client =
                run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--format", format});
            CHECK(client.status == 0);
            long long got = std::stoll(client.out);
            CHECK(std::llabs(got - static_cast<long long>(std::time(nullptr))) <= 2);
        }
    }
}

namespace {

std::string rdate_binary() {
    for (const char* path : {"/usr/sbin/rdate", "/usr/bin/rdate"})
        if (std::filesystem::exists(path)) return path;
    return "";
}

// Runs `rdate -p [extra] -o PORT 127.0.0.1` and checks that it printed the time it read, e.g. "Tue Dec
// 1 10:00:00 UTC 2026", in the local time zone: this year must be in it.
void check_rdate_reads(std::uint16_t port, std::vector<std::string> extra) {
    std::vector<std::string> argv{rdate_binary(), "-p"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), {"-o", std::to_string(port), "127.0.0.1"});
    ChildProcess r = ChildProcess::spawn(argv);
    std::string out = r.read_all_stdout(5s);
    CHECK(r.wait(5s) == 0);
    char year[8];
    std::time_t now = std::time(nullptr);
    std::strftime(year, sizeof year, "%Y", std::localtime(&now));
    CHECK_THAT(out, Catch::Contains(year));
}

} // namespace

TEST_CASE("rdate reads --format rfc868", "[tcp-stamp][integration][tcp-stamp-server]") {
    if (rdate_binary().empty()) NETLAB_SKIP("needs rdate (Debian package rdate)");
    ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--format", "rfc868"});
    check_rdate_reads(wait_for_listening_port(server), {});
}

namespace {

// A UDP socket on `ip`, for the datagram service's tests.
struct UdpPeer {
    Fd fd;
    explicit UdpPeer(const char* ip = "127.0.0.1") : fd(netlab::sys::socket(AF_INET, SOCK_DGRAM)) {
        netlab::sys::bind(fd, *SocketAddress::parse_numeric(ip, 0));
    }
    void send(std::uint16_t port, const std::string& bytes) {
        netlab::send_to(fd, {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()},
                        loopback(port));
    }
    // The next datagram, or nullopt after `timeout`.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
        pollfd p{fd.get(), POLLIN, 0};
        if (netlab::sys::poll({&p, 1}, static_cast<int>(timeout.count())) == 0) return std::nullopt;
        std::uint8_t buffer[512];
        auto r = netlab::receive_from(fd, buffer);
        if (!r) return std::nullopt;
        return std::string(reinterpret_cast<const char*>(buffer), r->length);
    }
};

} // namespace

TEST_CASE(
    "tcp-stamp-server --udp answers every datagram once, rdate -u reads RFC 868 from it, and daytime decodes",
    "[tcp-stamp][integration][udp][tcp-stamp-server]") {
    if (rdate_binary().empty()) NETLAB_SKIP("needs rdate (Debian package rdate)");
    {
        ChildProcess server = start_netlab(
            {"tcp-stamp-server", "--udp", "-b", "127.0.0.1", "--port", "0", "-q", "--format", "rfc868"});
        check_rdate_reads(wait_for_listening_port(server), {"-u"});
    }
    ChildProcess server = start_netlab({"tcp-stamp-server", "--udp", "-b", "127.0.0.1", "--port", "0",
                                        "--format", "daytime", "--stats", "--json"});
    std::uint16_t port = wait_for_listening_port(server);
    UdpPeer peer;
    // Whatever a datagram holds (nothing, garbage, a kilobyte), it gets exactly one reply.
    for (const std::string& request :
         {std::string(), std::string("what time is it?"), std::string(1000, 'x')})
        peer.send(port, request);
    for (int i = 0; i < 3; ++i) {
        auto reply = peer.receive();
        REQUIRE(reply);
        auto parsed =
            netlab::stamp::parse(netlab::stamp::Format::daytime,
                                 {reinterpret_cast<const std::uint8_t*>(reply->data()), reply->size()});
        CHECK(parsed.ok());
        CHECK(std::abs(parsed.seconds - static_cast<std::int64_t>(std::time(nullptr))) <= 2);
    }
    CHECK_FALSE(peer.receive(100ms)); // and no more
    auto logged = server.read_stdout_line(5s);
    CHECK_THAT(logged.value_or(""), Catch::Contains("\"type\":\"client\",\"ip\":\"127.0.0.1\""));
    server.send_signal(SIGTERM);
    std::string rest = server.read_all_stdout(5s);
    CHECK(server.wait(5s) == 0);
    CHECK_THAT(rest, Catch::Contains("\"received\":3,\"served\":3,\"rate_limited\":0"));
}

TEST_CASE("tcp-stamp-server --udp replies are rate-limited per source address, and other sources are still "
          "answered",
          "[tcp-stamp][integration][udp][tcp-stamp-server]") {
    ChildProcess server = start_netlab(
        {"tcp-stamp-server", "--udp", "-b", "127.0.0.1", "--port", "0", "-q", "--udp-rate", "5", "--stats"});
    std::uint16_t port = wait_for_listening_port(server);
    UdpPeer flood, same_address, other("127.0.0.2");
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) (i % 2 ? flood : same_address).send(port, "x"); // two ports, one address
    // The server reads its socket in order: once the other source's reply is back, the flood was handled.
    other.send(port, "x");
    CHECK(other.receive());
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int replies = 0;
    for (UdpPeer* p : {&flood, &same_address})
        while (p->receive(0ms)) ++replies;
    // A burst of twice the rate, then the rate: 10 + 5 a second.
    CHECK(replies >= 10);
    CHECK(replies <= 10 + static_cast<int>(5 * elapsed) + 1);
    server.send_signal(SIGTERM);
    std::string err = server.read_all_stderr(5s);
    CHECK(server.wait(5s) == 0);
    CHECK_THAT(err, Catch::Contains(fmt::format("received 201 datagrams, served {}, {} rate-limited",
                                                replies + 1, 200 - replies)));
}

TEST_CASE("each model serves 1000 connections with no leaked descriptor and no zombie",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    for (const auto& model : models) {
        DYNAMIC_SECTION("model " << model) {
            ChildProcess server = start_netlab(
                {"tcp-stamp-server", "--port", "0", "-q", "--model", model, "--stats", "--json"});
            std::uint16_t port = wait_for_listening_port(server);
            int fds_before = count_open_fds(server.pid());
            CHECK(child_pids(server.pid()).empty());
            // Several clients at once: four load generators of 250 connections, 4 in flight each.
            std::vector<ChildProcess> clients;
            for (int i = 0; i < 4; ++i)
                clients.push_back(start_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--count",
                                                "250", "-C", "4", "--json"}));
            for (auto& c : clients) {
                std::string out = c.read_all_stdout(20s);
                CHECK(c.wait(5s) == 0);
                CHECK_THAT(out, Catch::Contains("\"ok\":250,\"failed\":0"));
            }
            std::vector<pid_t> left = children_after_settling(server.pid());
            CHECK(left.empty());
            for (pid_t child : left) CHECK_FALSE(is_zombie(child));
            CHECK(fds_after_settling(server.pid(), fds_before) == fds_before);
            server.send_signal(SIGTERM);
            CHECK(server.wait(10s) == 0);
            CHECK_THAT(server.read_all_stdout(2s), Catch::Contains("\"served\":1000,\"failed\":0"));
        }
    }
}

TEST_CASE("clients that reset, vanish or never read do not disturb the others",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    for (const auto& model : models) {
        DYNAMIC_SECTION("model " << model) {
            ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--model", model});
            std::uint16_t port = wait_for_listening_port(server);
            ChildProcess good = start_netlab(
                {"tcp-stamp-client", "--port", std::to_string(port), "--count", "300", "-C", "2", "--json"});
            std::vector<Fd> idle; // connected, never read, closed at the end
            for (int i = 0; i < 100; ++i) {
                Fd s = netlab::sys::socket(AF_INET, SOCK_STREAM);
                netlab::tcp::connect(s, loopback(port), 5s);
                if (i % 3 == 0) {
                    netlab::sockopt::linger(s, true, 0); // close() sends RST, mid-connection
                } else if (i % 3 == 1) {
                    idle.push_back(std::move(s));
                }
                // else: vanishes with a plain close before reading
            }
            CHECK_THAT(good.read_all_stdout(20s), Catch::Contains("\"ok\":300,\"failed\":0"));
            CHECK(good.wait(5s) == 0);
            idle.clear();
            long long stamp = 0;
            CHECK(tutorial_read(port, &stamp)); // still serving
            server.send_signal(SIGINT);
            CHECK(server.wait(10s) == 0); // SIGPIPE did not kill it
        }
    }
}

TEST_CASE("the fork model at --max-children 1 still serves everyone, and reaps them all",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server =
        start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--model", "fork", "--max-children", "1"});
    std::uint16_t port = wait_for_listening_port(server);
    RunResult load =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "-c", "200", "-C", "8", "--json"});
    CHECK(load.status == 0);
    CHECK_THAT(load.out, Catch::Contains("\"ok\":200,\"failed\":0"));
    CHECK(children_after_settling(server.pid()).empty());
    server.send_signal(SIGTERM);
    CHECK(server.wait(5s) == 0);
}

TEST_CASE("SIGTERM stops the server gracefully and --stats reports what it served",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--stats"});
    std::uint16_t port = wait_for_listening_port(server);
    for (int i = 0; i < 3; ++i)
        CHECK(run_netlab({"tcp-stamp-client", "--port", std::to_string(port)}).status == 0);
    server.send_signal(SIGTERM);
    CHECK(server.wait(5s) == 0);
    CHECK_THAT(server.read_all_stderr(2s), Catch::Contains("served 3 connections, 0 failed"));
}

TEST_CASE("the load generator reports rate, percentiles and errors by kind",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q"});
    std::uint16_t port = wait_for_listening_port(server);
    RunResult text =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--count", "100", "-C", "4"});
    CHECK(text.status == 0);
    CHECK_THAT(text.out, Catch::Contains("100 ok, 0 failed"));
    CHECK_THAT(text.out, Catch::Contains("connections/s"));
    CHECK_THAT(text.out, Catch::Contains("p50"));
    CHECK_THAT(text.out, Catch::Contains("p99"));
    RunResult timed =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--duration", "0.3", "--json"});
    CHECK(timed.status == 0);
    CHECK_THAT(timed.out, Catch::Contains("\"failed\":0"));
    RunResult threaded = run_netlab(
        {"tcp-stamp-client", "--port", std::to_string(port), "-c", "500", "-C", "8", "-T", "2", "--json"});
    CHECK(threaded.status == 0);
    CHECK_THAT(threaded.out, Catch::Contains("\"threads\":2"));
    CHECK_THAT(threaded.out, Catch::Contains("\"ok\":500,\"failed\":0"));
    // -q silences the report in JSON as in text, as it silences every command's summary.
    RunResult quiet =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "-c", "10", "--json", "-q"});
    CHECK(quiet.status == 0);
    CHECK(quiet.out.empty());
    server.send_signal(SIGTERM);
    CHECK(server.wait(5s) == 0);
    // Now nothing listens there: every connection is refused.
    RunResult refused =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "-c", "10", "--json"});
    CHECK(refused.status == 1);
    CHECK_THAT(refused.out, Catch::Contains("\"refused\":10"));
}

TEST_CASE("the default server takes 10,000 clients in flight without one failed connection",
          "[tcp-stamp][integration][c10k][tcp-stamp-client][tcp-stamp-server]") {
    // The load generator raises its own descriptor limit; the machine must allow 10,000 (or as many
    // as it does allow, which the generator names).
    rlimit nofile{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &nofile) == 0);
    unsigned in_flight = nofile.rlim_max == RLIM_INFINITY
                             ? 10000u
                             : static_cast<unsigned>(std::min<rlim_t>(10000, nofile.rlim_max - 64));
    ChildProcess server = start_netlab({"tcp-stamp-server", "-b", "127.0.0.1", "--port", "0", "-q"});
    std::uint16_t port = wait_for_listening_port(server);
    // A generous timeout: this is about behaviour, and a loaded machine may resend some SYNs.
    RunResult r =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "-C", std::to_string(in_flight), "-c",
                    std::to_string(2 * in_flight), "-T", "2", "--timeout", "30", "--json"},
                   120s);
    INFO(r.out << r.err);
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains(fmt::format("\"concurrency\":{}", in_flight)));
    CHECK_THAT(r.out, Catch::Contains(fmt::format("\"ok\":{},\"failed\":0", 2 * in_flight)));
    CHECK_THAT(r.out, Catch::Contains("\"connect_timeout\":0"));
    server.send_signal(SIGTERM);
    CHECK(server.wait(10s) == 0);
}

TEST_CASE("tcp-stamp-client times out on a server that never answers",
          "[tcp-stamp][integration][tcp-stamp-client]") {
    Fd listener = netlab::tcp::listen(loopback(0), 4); // completes handshakes, never accepts
    std::uint16_t port = netlab::sys::local_address(listener).port();
    RunResult r = run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--timeout", "0.2"});
    CHECK(r.status == 1);
    CHECK_THAT(r.err, Catch::Contains("netlab tcp-stamp-client: read 127.0.0.1:" + std::to_string(port) +
                                      ": timed out after 0.2 s"));
}

TEST_CASE("connection refused is a one-line error", "[tcp-stamp][integration][tcp-stamp-client]") {
    std::uint16_t port;
    {
        Fd listener = netlab::tcp::listen(loopback(0), 1);
        port = netlab::sys::local_address(listener).port();
    }
    RunResult r = run_netlab({"tcp-stamp-client", "--port", std::to_string(port)});
    CHECK(r.status == 1);
    CHECK(r.err ==
          "netlab tcp-stamp-client: connect 127.0.0.1:" + std::to_string(port) + ": Connection refused\n");
}

TEST_CASE("tcp-stamp server and client work over IPv6",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server = start_netlab({"tcp-stamp-server", "-6", "--bind", "::1", "--port", "0"});
    std::uint16_t port = wait_for_listening_port(server);
    RunResult r = run_netlab({"tcp-stamp-client", "[::1]:" + std::to_string(port)});
    CHECK(r.status == 0);
    CHECK(std::llabs(std::stoll(r.out) - static_cast<long long>(std::time(nullptr))) <= 2);
    auto line = server.read_stdout_line(5s);
    REQUIRE(line);
    CHECK_THAT(*line, Catch::StartsWith("client ::1 "));
}

TEST_CASE("running out of descriptors pauses accepting instead of spinning",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "-q", "--stats"});
    std::uint16_t port = wait_for_listening_port(server);
    // Lower the server's descriptor limit to its lowest free descriptor number: every accept now
    // fails with EMFILE, whatever descriptors it inherited from the test runner.
    int lowest_free = 0;
    while (std::filesystem::exists("/proc/" + std::to_string(server.pid()) + "/fd/" +
                                   std::to_string(lowest_free)))
        ++lowest_free;
    rlimit limit{static_cast<rlim_t>(lowest_free), static_cast<rlim_t>(lowest_free)};
    REQUIRE(::prlimit(server.pid(), RLIMIT_NOFILE, &limit, nullptr) == 0);
    RunResult r = run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "--timeout", "0.5"});
    CHECK(r.status == 1);
    server.send_signal(SIGTERM);
    CHECK(server.wait(5s) == 0);
    std::string err = server.read_all_stderr(2s);
    CHECK_THAT(err, Catch::Contains("accept 0.0.0.0:" + std::to_string(port) +
                                    ": Too many open files: refusing connections"));
    CHECK(std::count(err.begin(), err.end(), '\n') <= 3); // said once, not once per try
}

TEST_CASE("bad arguments of the stamp commands exit 2",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    CHECK(run_netlab({"tcp-stamp-server", "--model", "nope"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-server", "--format", "nope"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-server", "--port", "70000"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-server", "--max-children", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-server", "--backlog", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-server", "[::1"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--port", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--concurrency", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--count", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--timeout", "0"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--format", "xml"}).status == 2);
    CHECK(run_netlab({"tcp-stamp-client", "--threads", "0"}).status == 2);
    RunResult threads = run_netlab({"tcp-stamp-client", "--threads", "3", "-C", "2"});
    CHECK(threads.status == 2);
    CHECK_THAT(threads.err, Catch::Contains("--threads 3 needs --concurrency 3 or more"));
}

TEST_CASE("the plain command lines of tcp-stamp-client mean what the full parser says",
          "[tcp-stamp][integration][tcp-stamp-client]") {
    // These take the fast path that skips CLI11; -v forces the full parser for the same request.
    TutorialServer server(6, stamp_line(42));
    std::string port = std::to_string(server.port());
    for (std::vector<std::string> args : {std::vector<std::string>{"-p", port},
                                          {"--port=" + port},
                                          {"127.0.0.1:" + port},
                                          {"127.0.0.1:1", "--port", port},
                                          {"127.0.0.1", "-p", port},
                                          {"-v", "-p", port}}) {
        std::vector<std::string> command{"tcp-stamp-client"};
        command.insert(command.end(), args.begin(), args.end());
        RunResult r = run_netlab(command);
        CHECK(r.status == 0);
        CHECK(r.out == "42\n");
    }
}

// stderr without the -v log lines ("netlab tcp-stamp-client: info: ...").
std::string without_log_lines(const std::string& err) {
    std::string kept;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
        if (line.find(": info: ") == std::string::npos && line.find(": debug: ") == std::string::npos)
            kept += line + "\n";
    return kept;
}

TEST_CASE("unusual command lines of tcp-stamp-client end alike with and without -v",
          "[tcp-stamp][integration]") {
    // Without -v these may take the fast path that skips CLI11; -v forces the full parser. Either way
    // the same message and exit code.
    std::string closed;
    {
        Fd listener = netlab::tcp::listen(loopback(0), 1);
        closed = std::to_string(netlab::sys::local_address(listener).port());
    }
    const std::vector<std::vector<std::string>> lines = {{"127.0.0.1:0"},
                                                         {"-p", "0"},
                                                         {"--port=0"},
                                                         {"127.0.0.1", "--port", "0"}, // port 0
                                                         {"-p", "08"},
                                                         {"-p", "65536"},
                                                         {"127.0.0.1:65536"},
                                                         {"127.0.0.1:x"},
                                                         {"-p"}, // bad ports
                                                         {"[::1]:0"},
                                                         {"[::1"},
                                                         {"1.2.3.4.5.6:7"},
                                                         {"no-such-host.invalid"}, // bad hosts
                                                         {"-p", closed},
                                                         {"--port=" + closed},
                                                         {"127.0.0.1:" + closed}, // refused
                                                         {"127.0.0.1:" + closed, "127.0.0.2"},
                                                         {"-p", closed, "-p", closed}, // extra arguments
                                                         {"-p", closed, "extra"},
                                                         {"--", "127.0.0.1:" + closed}};
    for (const auto& args : lines) {
        std::vector<std::string> plain{"tcp-stamp-client"}, verbose{"tcp-stamp-client", "-v"};
        plain.insert(plain.end(), args.begin(), args.end());
        verbose.insert(verbose.end(), args.begin(), args.end());
        RunResult p = run_netlab(plain), v = run_netlab(verbose);
        INFO(fmt::format("{}", fmt::join(args, " ")));
        CHECK(p.status != 0);
        CHECK(p.status == v.status);
        CHECK(p.out == v.out);
        CHECK(without_log_lines(p.err) == without_log_lines(v.err));
        CHECK_THAT(p.err, Catch::StartsWith("netlab tcp-stamp-client: "));
    }
    RunResult port0 = run_netlab({"tcp-stamp-client", "127.0.0.1:0"});
    CHECK(port0.status == 2);
    CHECK(port0.err == "netlab tcp-stamp-client: port 0 is not a destination\n");
    RunResult refused = run_netlab({"tcp-stamp-client", "127.0.0.1:" + closed});
    CHECK(refused.status == 1);
    CHECK(refused.err == "netlab tcp-stamp-client: connect 127.0.0.1:" + closed + ": Connection refused\n");
}

TEST_CASE("several epoll loops share the listener and never cut each other's log lines",
          "[tcp-stamp][integration][tcp-stamp-client][tcp-stamp-server]") {
    ChildProcess server = start_netlab({"tcp-stamp-server", "--port", "0", "--loops", "3", "--stats"});
    std::uint16_t port = wait_for_listening_port(server);
    RunResult load =
        run_netlab({"tcp-stamp-client", "--port", std::to_string(port), "-c", "1000", "-C", "8", "--json"});
    CHECK_THAT(load.out, Catch::Contains("\"ok\":1000,\"failed\":0"));
    server.send_signal(SIGTERM); // reaches one loop; it stops the others
    CHECK(server.wait(5s) == 0);
    std::string out = server.read_all_stdout(2s);
    CHECK(std::count(out.begin(), out.end(), '\n') == 1000);
    for (std::size_t pos = 0; pos < out.size();) {
        auto nl = out.find('\n', pos);
        std::string line = out.substr(pos, nl - pos);
        if (line.rfind("client 127.0.0.1 ", 0) != 0) FAIL("cut or mixed log line: " << line);
        pos = nl + 1;
    }
    CHECK_THAT(server.read_all_stderr(2s), Catch::Contains("served 1000 connections, 0 failed"));
    CHECK(run_netlab({"tcp-stamp-server", "--loops", "65"}).status == 2);
}
