// Tests of lib/load_generator against small in-test servers on loopback.
#include "error.hpp"
#include "load_generator.hpp"

#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <thread>

using namespace netlab;

namespace {

// Accepts `n` connections and answers each with `reply` (reset instead when `reset_every` divides it).
class TinyServer {
public:
    TinyServer(int n, std::string reply, int reset_every = 0)
        : listener_(tcp::listen(SocketAddress::loopback(Family::v4, 0), 128)) {
        address_ = SocketAddress::loopback(Family::v4, sys::local_address(listener_).port());
        thread_ = std::thread([this, n, reply, reset_every] {
            for (int i = 1; i <= n; ++i) {
                auto conn = sys::accept(listener_, nullptr, false);
                if (!conn) continue;
                if (reset_every && i % reset_every == 0) {
                    sockopt::linger(*conn, true, 0);
                    continue;
                }
                tcp::send(*conn, reply.data(), reply.size());
            }
        });
    }
    ~TinyServer() { thread_.join(); }
    const SocketAddress& address() const { return address_; }

private:
    Fd listener_;
    SocketAddress address_;
    std::thread thread_;
};

bool is_unix_stamp(std::span<const std::uint8_t> reply) {
    return stamp::parse(stamp::Format::unix_seconds, reply).ok();
}

} // namespace

TEST_CASE("summarize gives nearest-rank percentiles", "[load]") {
    std::vector<std::uint64_t> samples;
    for (std::uint64_t i = 100; i >= 1; --i) samples.push_back(i * 1000000); // 1..100 ms, reversed
    load::Latency l = load::summarize(samples);
    CHECK(l.min == Approx(0.001));
    CHECK(l.p50 == Approx(0.050));
    CHECK(l.p90 == Approx(0.090));
    CHECK(l.p99 == Approx(0.099));
    CHECK(l.max == Approx(0.100));
    CHECK(l.mean == Approx(0.0505));
    std::vector<std::uint64_t> none;
    CHECK(load::summarize(none).max == 0);
}

TEST_CASE("the load generator makes exactly count connections and checks each reply", "[load]") {
    TinyServer server(300, "1764583200\n");
    load::Options opt;
    opt.target = server.address();
    opt.count = 300;
    opt.concurrency = 8;
    opt.check_reply = is_unix_stamp;
    load::Report r = load::run(opt);
    CHECK(r.started == 300);
    CHECK(r.succeeded == 300);
    CHECK(r.failed() == 0);
    CHECK(r.latency.max >= r.latency.p99);
    CHECK(r.latency.p99 >= r.latency.p50);
    CHECK(r.latency.min > 0);
    CHECK(r.rate() > 0);
}

TEST_CASE("with threads the shares of count and concurrency add up to exactly what was asked", "[load]") {
    TinyServer server(301, "1764583200\n");
    load::Options opt;
    opt.target = server.address();
    opt.count = 301; // not a multiple of the threads
    opt.concurrency = 7;
    opt.threads = 3;
    opt.check_reply = is_unix_stamp;
    load::Report r = load::run(opt);
    CHECK(r.started == 301);
    CHECK(r.succeeded == 301);
    CHECK(r.failed() == 0);
    CHECK(r.latency.min > 0);
    CHECK(r.latency.max >= r.latency.p50);
    CHECK(r.seconds > 0);
    CHECK(r.threads == 3);
}

TEST_CASE("more threads than connections in flight, or than connections, run fewer threads", "[load]") {
    TinyServer server(3, "1764583200\n");
    load::Options opt;
    opt.target = server.address();
    opt.count = 3;
    opt.concurrency = 5;
    opt.threads = 16;
    load::Report r = load::run(opt);
    CHECK(r.started == 3);
    CHECK(r.succeeded == 3);
    CHECK(r.threads == 3); // one per connection, not the 16 asked for
}

TEST_CASE("bad replies and resets are counted by kind", "[load]") {
    TinyServer server(40, "not a stamp\n", 4);
    load::Options opt;
    opt.target = server.address();
    opt.count = 40;
    opt.concurrency = 1; // one at a time, so connection i meets the server's i-th accept
    opt.check_reply = is_unix_stamp;
    load::Report r = load::run(opt);
    CHECK(r.succeeded == 0);
    CHECK(r.errors_of(load::ErrorKind::reset) == 10);
    CHECK(r.errors_of(load::ErrorKind::bad_reply) == 30);
}

TEST_CASE("a closed port counts as refused", "[load]") {
    SocketAddress to;
    {
        Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 1);
        to = SocketAddress::loopback(Family::v4, sys::local_address(listener).port());
    }
    load::Options opt;
    opt.target = to;
    opt.count = 20;
    opt.concurrency = 4;
    load::Report r = load::run(opt);
    CHECK(r.errors_of(load::ErrorKind::refused) == 20);
    CHECK(r.succeeded == 0);
}

TEST_CASE("a server that never answers times out", "[load]") {
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16); // never accepts
    load::Options opt;
    opt.target = SocketAddress::loopback(Family::v4, sys::local_address(listener).port());
    opt.count = 3;
    opt.concurrency = 3;
    opt.timeout = std::chrono::milliseconds(100);
    load::Report r = load::run(opt);
    CHECK(r.errors_of(load::ErrorKind::timeout) == 3);
}

TEST_CASE("a reply longer than max_reply is bad, and a run needs a bound", "[load]") {
    TinyServer server(1, std::string(100, '1'));
    load::Options opt;
    opt.target = server.address();
    opt.count = 1;
    CHECK(load::run(opt).errors_of(load::ErrorKind::bad_reply) == 1);
    opt.count = 0;
    CHECK_THROWS_AS(load::run(opt), Error);
}

TEST_CASE("a SYN nobody answers is a connect timeout, a reply that never comes a reply timeout", "[load]") {
    // Never accepted: the kernel completes backlog + 1 handshakes, then drops the SYNs of the rest.
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 1);
    load::Options opt;
    opt.target = SocketAddress::loopback(Family::v4, sys::local_address(listener).port());
    opt.count = 8;
    opt.concurrency = 8;
    opt.timeout = std::chrono::milliseconds(300);
    load::Report r = load::run(opt);
    CHECK(r.errors_of(load::ErrorKind::timeout) >= 1);         // connected, no reply
    CHECK(r.errors_of(load::ErrorKind::connect_timeout) >= 1); // never connected
    CHECK(r.errors_of(load::ErrorKind::timeout) + r.errors_of(load::ErrorKind::connect_timeout) == 8);
    CHECK(load::error_kind_name(load::ErrorKind::connect_timeout) == "connect_timeout");
}

TEST_CASE("the descriptor limit is raised to the hard one, and what still caps a run is named", "[load]") {
    rlimit before{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    std::vector<std::string> none = load::raise_limits(SocketAddress::loopback(Family::v4, 1), 1);
    CHECK(none.empty());
    rlimit after{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
    CHECK(after.rlim_cur == before.rlim_max);
    // A billion in flight is more than any of the three allows.
    std::vector<std::string> caps = load::raise_limits(SocketAddress::loopback(Family::v4, 1), 1000000000);
    std::string all;
    for (const auto& c : caps) all += c + "\n";
    INFO(all);
    if (after.rlim_cur != RLIM_INFINITY) CHECK_THAT(all, Catch::Contains("RLIMIT_NOFILE is"));
    CHECK_THAT(all, Catch::Contains("the ephemeral port range"));
    CHECK_THAT(all, Catch::Contains("net.core.somaxconn is"));
    // somaxconn is the local server's: not named for a remote target.
    auto remote = load::raise_limits(*SocketAddress::parse_numeric("198.18.0.1", 1), 1000000000);
    CHECK(std::none_of(remote.begin(), remote.end(),
                       [](const std::string& c) { return c.find("somaxconn") != std::string::npos; }));
}
