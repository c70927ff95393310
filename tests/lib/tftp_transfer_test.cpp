// Tests of lib/tftp_transfer: the RTO estimator and the busy-poll rule, and sys::poll_spinning, which the
// transfers wait with.
#include "tftp_transfer.hpp"

#include "datagram.hpp"
#include "sys.hpp"

#include <catch2/catch.hpp>
#include <sched.h>
#include <thread>

using namespace netlab;
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
