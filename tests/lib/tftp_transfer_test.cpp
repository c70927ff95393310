// Tests of lib/tftp_transfer: the RTO estimator and the busy-poll rule, sys::poll_spinning, which the
// transfers wait with, and the server's threads (one per transfer) in this process.
#include "tftp_transfer.hpp"

#include "confine.hpp"
#include "datagram.hpp"
#include "event_loop.hpp"
#include "netlab_test.hpp"
#include "sys.hpp"
#include "tftp_peer.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <sched.h>
#include <thread>
#include <unistd.h>

using namespace netlab;
using namespace netlab::test;
using tftp::Duration;

TEST_CASE("the RTO follows RFC 6298 within its bounds and doubles on a timeout", "[tftp][rto]") {
    tftp::Timing timing;
    timing.min_rto = Duration(0.005);
    timing.max_rto = Duration(1.0);
    tftp::RtoEstimator rto(timing);
    CHECK(rto.rto().count() == Approx(0.2)); // the initial RTO
    CHECK_FALSE(rto.srtt().has_value());
    rto.sample(Duration(0.1));
    REQUIRE(rto.srtt().has_value());
    CHECK(rto.srtt()->count() == Approx(0.1));
    CHECK(rto.rto().count() == Approx(0.1 + 4 * 0.05)); // SRTT + 4 RTTVAR, RTTVAR = R / 2
    rto.sample(Duration(0.1));
    CHECK(rto.srtt()->count() == Approx(0.1));
    CHECK(rto.rto().count() == Approx(0.1 + 4 * 0.0375));
    for (int i = 0; i < 100; ++i) rto.sample(Duration(20e-6)); // loopback: far below the floor
    CHECK(rto.srtt()->count() < 100e-6);
    CHECK(rto.rto().count() == Approx(0.005));
    for (int i = 0; i < 20; ++i) rto.backoff();
    CHECK(rto.rto().count() == Approx(1.0));
}

TEST_CASE("busy polling is for peers that answer within the limit, and only once measured", "[tftp][rto]") {
    Duration limit(50e-6);
    CHECK(tftp::busy_poll_budget(std::nullopt, limit).count() == 0); // no RTT sample yet
    CHECK(tftp::busy_poll_budget(Duration(20e-6), limit).count() == Approx(50e-6));
    CHECK(tftp::busy_poll_budget(Duration(50e-6), limit).count() == 0);      // not faster than the limit
    CHECK(tftp::busy_poll_budget(Duration(0.002), limit).count() == 0);      // a real network: sleep
    CHECK(tftp::busy_poll_budget(Duration(1e-6), Duration(0)).count() == 0); // --busy-poll 0
}

TEST_CASE("poll_spinning returns as soon as a datagram is there, and 0 when the budget runs out",
          "[sys][poll]") {
    Fd receiver = sys::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    sys::bind(receiver, SocketAddress::loopback(Family::v4, 0));
    SocketAddress to = SocketAddress::loopback(Family::v4, sys::local_address(receiver).port());
    pollfd p{receiver.get(), POLLIN, 0};
    CHECK(sys::poll_spinning({&p, 1}, std::chrono::microseconds(200)) == 0);
    CHECK(sys::poll_spinning({&p, 1}, std::chrono::nanoseconds(0)) == 0); // no budget: no poll at all

    Fd sender = sys::socket(AF_INET, SOCK_DGRAM);
    std::uint8_t byte = 1;
    send_to(sender, {&byte, 1}, to);
    p.revents = 0;
    // A second is far longer than any test machine needs; the call must return long before it.
    auto start = std::chrono::steady_clock::now();
    CHECK(sys::poll_spinning({&p, 1}, std::chrono::seconds(1)) == 1);
    CHECK((p.revents & POLLIN) != 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900));
}

TEST_CASE("usable_cpus counts the CPUs this thread may run on", "[sys]") {
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
    CHECK(sys::usable_cpus() == static_cast<unsigned>(CPU_COUNT(&set)));
    unsigned pinned = 0;
    std::thread([&] {
        cpu_set_t one;
        CPU_ZERO(&one);
        for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
            if (CPU_ISSET(cpu, &set)) {
                CPU_SET(cpu, &one);
                break;
            }
        if (sched_setaffinity(0, sizeof one, &one) == 0) pinned = sys::usable_cpus(); // like taskset -c N
    }).join();
    CHECK(pinned == 1);
}

namespace {

// This process's thread count once it equals `want` (or after 5 s): a thread leaves /proc a moment
// after it ends, even after its join returned.
long threads_settle_at(long want) {
    netlab::test::wait_until([&] { return thread_count(getpid()) == want; }, std::chrono::seconds(5));
    return thread_count(getpid());
}

} // namespace

TEST_CASE("the server runs each transfer on a thread of its own, logs on its caller's thread, and on stop "
          "ends the transfers still running with an ERROR",
          "[tftp][server]") {
    TempDir dir;
    write_file(dir.path() + "/big", random_bytes(512 * 100, 1));
    write_file(dir.path() + "/small", "a file of one block\n");
    Fd listener = sys::socket(AF_INET, SOCK_DGRAM);
    sys::bind(listener, SocketAddress::loopback(Family::v4, 0));
    std::uint16_t port = sys::local_address(listener).port();
    std::mutex mutex;
    std::vector<tftp::TransferRecord> records;
    std::vector<std::thread::id> log_threads;
    tftp::Server server(std::move(listener), open_directory(dir.path()), tftp::ServerConfig{},
                        [&](const tftp::TransferRecord& r) {
                            std::lock_guard lock(mutex);
                            records.push_back(r);
                            log_threads.push_back(std::this_thread::get_id());
                        });
    Wakeup stop;
    long threads_before = thread_count(getpid());
    std::thread runner([&] { server.run(&stop.fd()); });
    std::thread::id runner_id = runner.get_id();

    // A complete download: one block, acknowledged.
    RawPeer one;
    one.send(port, rrq("small"));
    auto d = one.receive();
    REQUIRE(std::holds_alternative<tftp::Data>(d.packet));
    one.send(one.last_from.port(), tftp::encode_ack(1));
    auto logged = [&] {
        std::lock_guard lock(mutex);
        return records.size();
    };
    netlab::test::wait_until([&] { return logged() >= 1; }, std::chrono::seconds(5)); // "small" ended
    REQUIRE(logged() == 1);
    // Two that stall after their first block: the server retransmits and waits.
    RawPeer stalled[2];
    for (auto& p : stalled) {
        p.send(port, rrq("big"));
        REQUIRE(std::holds_alternative<tftp::Data>(p.receive().packet));
    }
    CHECK(threads_settle_at(threads_before + 3) == threads_before + 3); // the runner, two stalled

    stop.notify();
    runner.join();
    CHECK(threads_settle_at(threads_before) == threads_before); // every transfer's thread joined
    for (auto& p : stalled) {
        tftp::Decoded last = p.receive();
        while (std::holds_alternative<tftp::Data>(last.packet)) last = p.receive(); // retransmissions
        auto* e = std::get_if<tftp::ErrorPacket>(&last.packet);
        REQUIRE(e);
        CHECK(e->message == "server shutting down");
    }
    REQUIRE(records.size() == 3);
    CHECK(records[0].filename == "small");
    CHECK(records[0].ok);
    for (int i : {1, 2}) {
        CHECK(records[i].filename == "big");
        CHECK_FALSE(records[i].ok);
        CHECK(records[i].error == "server stopped");
    }
    for (auto id : log_threads) CHECK(id == runner_id);
    CHECK(server.running() == 0);
}

TEST_CASE("a request from the same port right after the last ACK of a transfer starts a new one",
          "[tftp][server]") {
    TempDir dir;
    write_file(dir.path() + "/small", "a file of one block\n");
    Fd listener = sys::socket(AF_INET, SOCK_DGRAM);
    sys::bind(listener, SocketAddress::loopback(Family::v4, 0));
    std::uint16_t port = sys::local_address(listener).port();
    std::atomic<std::size_t> logged{0};
    tftp::Server server(std::move(listener), open_directory(dir.path()), tftp::ServerConfig{},
                        [&](const tftp::TransferRecord& r) { logged += r.ok ? 1 : 0; });
    Wakeup stop;
    std::thread runner([&] { server.run(&stop.fd()); });
    // The ACK and the next request leave back to back, as from a client that does not dally: the
    // request must not be taken for a repeat of the first, whose thread may not have read the ACK.
    RawPeer client;
    client.send(port, rrq("small"));
    int fetched = 0;
    for (int i = 0; i < 20; ++i) {
        auto d = client.receive();
        auto* data = std::get_if<tftp::Data>(&d.packet);
        auto* error = std::get_if<tftp::ErrorPacket>(&d.packet);
        INFO("fetch " << i << ": " << (d.ok() ? "" : d.reason) << (error ? error->message : ""));
        REQUIRE(data);
        ++fetched;
        client.send(client.last_from.port(), tftp::encode_ack(1));
        if (i < 19) client.send(port, rrq("small"));
    }
    CHECK(fetched == 20);
    netlab::test::wait_until([&] { return logged >= 20; }, std::chrono::seconds(5)); // the last one's ACK too
    stop.notify();
    runner.join();
    CHECK(logged == 20);
}
