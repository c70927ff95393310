// Tests of lib/tftp_server in this process: a thread per transfer, logging on the caller's thread, the
// stop, and a request that follows a transfer's last ACK at once.
#include "tftp_server.hpp"

#include "confine.hpp"
#include "event_loop.hpp"
#include "netlab_test.hpp"
#include "sys.hpp"
#include "tftp_peer.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <unistd.h>

using namespace netlab;
using namespace netlab::test;

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
