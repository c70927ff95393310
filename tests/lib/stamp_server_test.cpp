// Tests of lib/stamp_server in this process: every model serves each connection its time stamp and a
// log line through the hooks, and a stop serves the connections already queued before returning.
#include "stamp_server.hpp"

#include "sys.hpp"
#include "tcp.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <unistd.h>

using namespace netlab;

namespace {

// Everything the client got until the server closed.
std::string read_reply(const Fd& client) {
    std::string got;
    char buf[64];
    for (;;) {
        tcp::IoResult r = tcp::receive(client, buf, sizeof buf);
        if (!r.ok() || r.bytes == 0) return got;
        got.append(buf, r.bytes);
    }
}

Fd connect_to(const SocketAddress& server) {
    Fd client = sys::socket(AF_INET, SOCK_STREAM);
    tcp::connect(client, server, std::chrono::milliseconds(2000));
    return client;
}

} // namespace

TEST_CASE("the stamp server answers each connection, logs it through the hooks, and stops on SIGTERM "
          "after serving what was queued",
          "[stamp][server]") {
    auto model = GENERATE(stamp::Model::epoll, stamp::Model::fork, stamp::Model::threads);
    INFO(stamp::model_name(model));
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16, true);
    SocketAddress address = SocketAddress::loopback(Family::v4, sys::local_address(listener).port());
    int log_pipe[2];
    REQUIRE(::pipe2(log_pipe, O_CLOEXEC) == 0);
    Fd log_read(log_pipe[0]);
    Fd log_write(log_pipe[1]);
    auto log = std::make_shared<ServerLog>(log_write.get(), "log pipe");

    stamp::ServerConfig config;
    config.model = model;
    std::mutex mutex;
    std::vector<std::string> reports;
    stamp::ServerHooks hooks;
    hooks.client_line = [](std::string& out, const SocketAddress& peer) {
        out += "client " + peer.ip() + "\n";
    };
    hooks.report = [&](stamp::Severity s, const std::string& text) {
        std::lock_guard lock(mutex);
        if (s != stamp::Severity::debug) reports.push_back(text);
    };
    std::optional<stamp::Server> server;
    server.emplace(std::move(listener), config, std::move(hooks), log);
    CHECK(server->loop_count() == 1);
    // The thread inherits the signals this thread blocked for the server: a SIGTERM sent to it waits
    // in its signalfd.
    std::thread runner([&] { server->run(); });

    std::int64_t before = std::time(nullptr);
    for (int i = 0; i < 3; ++i) {
        std::string reply = read_reply(connect_to(address));
        stamp::Parsed p = stamp::parse(stamp::Format::unix_seconds,
                                       {reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()});
        REQUIRE(p.ok());
        CHECK(p.seconds >= before);
        CHECK(p.seconds <= std::time(nullptr));
    }
    // Two connections completed by the kernel, then the stop: both still get their reply.
    Fd queued[2] = {connect_to(address), connect_to(address)};
    REQUIRE(::pthread_kill(runner.native_handle(), SIGTERM) == 0);
    runner.join();
    for (const Fd& q : queued) CHECK_FALSE(read_reply(q).empty());

    stamp::ServerCounters c = server->counters();
    CHECK(c.served == 5);
    CHECK(c.failed == 0);
    CHECK(c.accept_errors == 0);
    server.reset(); // its signalfd goes: this thread's signal mask is restored
    log_write.reset();
    std::string lines;
    char buf[512];
    for (ssize_t n; (n = ::read(log_read.get(), buf, sizeof buf)) > 0;)
        lines.append(buf, static_cast<std::size_t>(n));
    std::string expected;
    for (int i = 0; i < 5; ++i) expected += "client 127.0.0.1\n";
    CHECK(lines == expected);
    std::lock_guard lock(mutex);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0] == "stopping on signal Terminated");
}

TEST_CASE("model names are the ones the command line takes", "[stamp][server]") {
    CHECK(stamp::model_name(stamp::Model::epoll) == "epoll");
    CHECK(stamp::model_name(stamp::Model::fork) == "fork");
    CHECK(stamp::model_name(stamp::Model::threads) == "threads");
}
