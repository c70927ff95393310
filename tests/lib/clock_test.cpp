// Tests of lib/clock: the pacer's arithmetic and the timeout until a deadline.
#include "clock.hpp"

#include <catch2/catch.hpp>
#include <climits>

using namespace std::chrono_literals;

TEST_CASE("an unlimited pacer allows everything", "[clock]") {
    auto t0 = netlab::Clock::now();
    netlab::Pacer pacer(0, t0);
    CHECK(pacer.unlimited());
    CHECK(pacer.allowed(t0, 0, 64) == 64);
    CHECK(pacer.due(1000) == t0);
}

TEST_CASE("a paced sender gets rate items per second, evenly", "[clock]") {
    auto t0 = netlab::Clock::now();
    netlab::Pacer pacer(1000, t0);
    CHECK(pacer.allowed(t0, 0, 64) == 1); // the first item goes at once
    CHECK(pacer.allowed(t0, 1, 64) == 0);
    CHECK(pacer.allowed(t0 + 10ms, 1, 64) == 10);
    CHECK(pacer.allowed(t0 + 1s, 0, 64) == 64); // capped by the batch limit
    CHECK(pacer.allowed(t0 + 1s, 1001, 64) == 0);
    CHECK(pacer.due(500) - t0 == 500ms);
}

TEST_CASE("timeout_ms_until rounds up and never goes negative", "[clock]") {
    auto now = netlab::Clock::now();
    CHECK(netlab::timeout_ms_until(now - 1s, now) == 0);
    CHECK(netlab::timeout_ms_until(now, now) == 0);
    CHECK(netlab::timeout_ms_until(now + 1us, now) == 1);
    CHECK(netlab::timeout_ms_until(now + 1500us, now) == 2);
    CHECK(netlab::timeout_ms_until(now + 3ms, now) == 3);
    CHECK(netlab::timeout_ms_until(now + std::chrono::hours(24 * 365), now) == INT_MAX);
    int ms = netlab::timeout_ms_until(netlab::Clock::now() + 1500us); // from the clock's own now
    CHECK((ms == 1 || ms == 2));
}
