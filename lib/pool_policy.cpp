// How a dynamic pre-forked pool breathes: the pure spawn and retire decision.
#include "pool_policy.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace netlab::pool {

std::optional<std::string> check_limits(const PoolLimits& l, int start) {
    if (l.min_spare < 0 || l.max_spare < 0 || start < 0) return "worker counts must not be negative";
    if (l.max_clients < 1) return "--max-clients must be at least 1";
    if (l.min_spare > l.max_spare)
        return fmt::format("--min-spare ({}) is larger than --max-spare ({})", l.min_spare, l.max_spare);
    if (l.max_clients < l.min_spare)
        return fmt::format("--max-clients ({}) is smaller than --min-spare ({})", l.max_clients, l.min_spare);
    if (start > l.max_clients)
        return fmt::format("--start ({}) is larger than --max-clients ({})", start, l.max_clients);
    if (l.max_spawn_rate < 1) return "the spawn rate must be at least 1";
    return std::nullopt;
}

void SpawnPolicy::tick() {
    if (starved_)
        rate_ = std::min(rate_ * 2, limits_.max_spawn_rate);
    else if (!short_)
        rate_ = 1;
    spawned_ = 0;
    retired_ = false;
    short_ = false;
    starved_ = false;
}

Decision SpawnPolicy::decide(const Counts& c) {
    Decision d;
    int want = limits_.min_spare - c.idle;
    if (want > 0) {
        short_ = true;
        int room = std::max(0, limits_.max_clients - c.live());
        int budget = std::max(0, rate_ - spawned_);
        d.at_limit = want > room;
        // Only a shortage the rate caused is a reason to spawn faster; one --max-clients caused is not.
        if (budget < std::min(want, room)) starved_ = true;
        d.spawn = std::min({want, room, budget});
        spawned_ += d.spawn;
    } else if (c.idle > limits_.max_spare && !retired_) {
        retired_ = true;
        d.retire = 1;
    }
    return d;
}

} // namespace netlab::pool
