// Unit tests of the pool's spawn and retire decision.
#include "pool_policy.hpp"

#include <catch2/catch.hpp>

using namespace netlab::pool;

namespace {

Counts counts(int idle, int busy, int retiring = 0, int slots = 20) {
    Counts c;
    c.idle = idle;
    c.busy = busy;
    c.retiring = retiring;
    c.free = slots - idle - busy - retiring;
    return c;
}

} // namespace

TEST_CASE("the tutorial's limits are valid and bad combinations are refused", "[pool][policy]") {
    PoolLimits tutorial;
    CHECK_FALSE(check_limits(tutorial, 5));
    PoolLimits inverted{10, 5, 20, 32};
    CHECK(check_limits(inverted, 5) == "--min-spare (10) is larger than --max-spare (5)");
    PoolLimits small{5, 10, 4, 32};
    CHECK(check_limits(small, 4) == "--max-clients (4) is smaller than --min-spare (5)");
    CHECK(check_limits(tutorial, 21) == "--start (21) is larger than --max-clients (20)");
    PoolLimits equal{3, 3, 3, 32};
    CHECK_FALSE(check_limits(equal, 3));
}

TEST_CASE("a pool within its spares does nothing", "[pool][policy]") {
    SpawnPolicy p(PoolLimits{});
    for (int idle = 5; idle <= 10; ++idle) {
        Decision d = p.decide(counts(idle, 3));
        CHECK(d.spawn == 0);
        CHECK(d.retire == 0);
    }
}

TEST_CASE("the spawn rate doubles per starved tick up to 32, then resets", "[pool][policy]") {
    PoolLimits limits{50, 60, 200, 32};
    SpawnPolicy p(limits);
    std::vector<int> spawned;
    int idle = 0;
    for (int tick = 0; tick < 8; ++tick) {
        Decision d = p.decide(counts(idle, 0, 0, 200));
        spawned.push_back(d.spawn);
        // Asking again within the tick gets nothing more: the budget is spent.
        CHECK(p.decide(counts(idle, 0, 0, 200)).spawn == 0);
        idle = 0; // every new worker went busy at once
        p.tick();
    }
    CHECK(spawned == std::vector<int>{1, 2, 4, 8, 16, 32, 32, 32});
    // A tick without shortage brings the rate back to 1.
    CHECK(p.decide(counts(55, 0, 0, 200)).spawn == 0);
    p.tick();
    CHECK(p.spawn_rate() == 1);
}

TEST_CASE("a shortage met within the budget does not raise the rate", "[pool][policy]") {
    SpawnPolicy p(PoolLimits{});
    p.tick();
    p.tick(); // still 1: no shortage yet
    CHECK(p.spawn_rate() == 1);
    CHECK(p.decide(counts(4, 3)).spawn == 1);
    p.tick();
    CHECK(p.spawn_rate() == 1); // short, but not starved: one was all it wanted
}

TEST_CASE("never more than max-clients workers, retiring ones included", "[pool][policy]") {
    PoolLimits limits{5, 10, 20, 32};
    SpawnPolicy p(limits);
    for (int i = 0; i < 3; ++i) { // three starved ticks raise the rate to 8
        p.decide(counts(0, 0));
        p.tick();
    }
    REQUIRE(p.spawn_rate() == 8);
    Decision d = p.decide(counts(0, 17, 1));
    CHECK(d.spawn == 2);
    CHECK(d.at_limit);
    CHECK(p.decide(counts(0, 20)).spawn == 0);
    p.tick();
    CHECK(p.spawn_rate() == 8); // a shortage --max-clients causes is not the rate's fault
}

TEST_CASE("idle workers above max-spare retire one per tick", "[pool][policy]") {
    SpawnPolicy p(PoolLimits{});
    int idle = 20;
    int ticks = 0;
    while (idle > 10) {
        Decision d = p.decide(counts(idle, 0));
        CHECK(d.retire == 1);
        CHECK(d.spawn == 0);
        idle -= d.retire;
        CHECK(p.decide(counts(idle, 0)).retire == 0); // only one per tick
        p.tick();
        ++ticks;
    }
    CHECK(ticks == 10);
    CHECK(p.decide(counts(10, 0)).retire == 0);
}
