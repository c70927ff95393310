// Tests of lib/clock: the pacer's arithmetic.
#include "clock.hpp"

#include <catch2/catch.hpp>

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
