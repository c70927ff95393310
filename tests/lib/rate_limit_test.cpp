// lib/rate_limit: token buckets per source address, with time given by the test.
#include "rate_limit.hpp"

#include <catch2/catch.hpp>

using namespace netlab;
using namespace std::chrono_literals;

namespace {
SocketAddress at(const char* ip, std::uint16_t port = 9) {
    return *SocketAddress::parse_numeric(ip, port);
}
} // namespace

TEST_CASE("a token bucket allows its burst at once, then its rate", "[rate-limit]") {
    auto t = Clock::now();
    TokenBucket b(2, 3, t);
    CHECK(b.take(t));
    CHECK(b.take(t));
    CHECK(b.take(t));
    CHECK_FALSE(b.take(t));
    CHECK_FALSE(b.take(t + 400ms)); // 0.8 of a token
    CHECK(b.take(t + 500ms));       // one token back after 1/2 s at 2 a second
    CHECK_FALSE(b.full(t + 500ms));
    CHECK(b.full(t + 2s)); // three tokens, never more than the burst
    CHECK(b.take(t + 10s));
    CHECK(b.take(t + 10s));
    CHECK(b.take(t + 10s));
    CHECK_FALSE(b.take(t + 10s));
}

TEST_CASE("sources are limited by address, not port, each apart, within a bounded table", "[rate-limit]") {
    auto t = Clock::now();
    SourceRateLimit limit(1, 2, 1000, 2);
    CHECK(limit.allow(at("127.0.0.1", 1000), t));
    CHECK(limit.allow(at("127.0.0.1", 2000), t)); // another port, the same bucket
    CHECK_FALSE(limit.allow(at("127.0.0.1", 3000), t));
    CHECK(limit.allow(at("127.0.0.2"), t)); // another address has its own
    CHECK(limit.sources() == 2);
    CHECK_FALSE(limit.allow(at("127.0.0.3"), t)); // the table is full and nobody's bucket refilled
    CHECK(limit.allow(at("127.0.0.3"), t + 3s));  // now both have: forgotten, room again
    CHECK(limit.sources() == 1);
    CHECK(limit.allow(at("::1"), t + 3s));

    SourceRateLimit overall(100, 100, 3);
    int allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += overall.allow(at("127.0.0.1"), t) ? 1 : 0;
    CHECK(allowed == 3); // all sources together
}
