// How a dynamic pre-forked pool breathes: the pure decision of how many workers to start or retire
// given the scoreboard's counts, with Apache prefork's bounded spawn rate (1, 2, 4 ... 32 per tick).
#pragma once

#include "scoreboard.hpp"

#include <optional>
#include <string>

namespace netlab::pool {

struct PoolLimits {
    int min_spare = 5;       // fewer idle workers than this: start more
    int max_spare = 10;      // more idle workers than this: retire one per tick
    int max_clients = 20;    // hard bound on live workers (busy + idle + retiring)
    int max_spawn_rate = 32; // the spawn rate doubles per starved tick up to this
};

// The reason the limits (and the initial worker count) do not make sense, or nullopt when they do.
std::optional<std::string> check_limits(const PoolLimits& limits, int start);

struct Decision {
    int spawn = 0;
    int retire = 0;
    bool at_limit = false; // spares are missing but --max-clients workers already live
};

// Stateful only in its rate: within one tick it spawns at most `spawn_rate()` workers; a tick that
// wanted more than that doubles the rate for the next, a tick without shortage resets it to 1.
class SpawnPolicy {
public:
    explicit SpawnPolicy(const PoolLimits& limits) : limits_(limits) {}

    // A new maintenance tick begins (Apache: every second).
    void tick();
    // What to do now; may be called many times per tick (after every scoreboard change).
    Decision decide(const Counts& counts);
    int spawn_rate() const { return rate_; }

private:
    PoolLimits limits_;
    int rate_ = 1;
    int spawned_ = 0;
    bool retired_ = false;
    bool short_ = false;
    bool starved_ = false;
};

} // namespace netlab::pool
