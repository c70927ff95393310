// Token buckets per source address: a UDP service that answers any datagram must not become a
// reflector that floods a forged source with replies.
#pragma once

#include "address.hpp"
#include "clock.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>

namespace netlab {

// One token bucket: `rate` tokens a second up to `burst`; each allowed event takes one.
class TokenBucket {
public:
    TokenBucket(double rate, double burst, Clock::time_point now)
        : rate_(rate), burst_(burst), tokens_(burst), at_(now) {}
    bool take(Clock::time_point now);
    // Whether it has refilled to the brim: it then remembers nothing a new bucket would not.
    bool full(Clock::time_point now) const;

private:
    double rate_, burst_, tokens_;
    Clock::time_point at_;
};

// A bucket per source IP address (not per port: a forged source can name any port), and one for all
// sources together. At most `max_sources` addresses are remembered; when the table is full, the
// buckets that have refilled are forgotten, and a new source finding no room is refused, so a flood
// of forged addresses costs memory and replies only within the bounds.
class SourceRateLimit {
public:
    SourceRateLimit(double per_source, double burst, double overall, std::size_t max_sources = 4096);
    bool allow(const SocketAddress& source, Clock::time_point now);
    std::size_t sources() const { return buckets_.size(); }

private:
    double per_source_, burst_;
    std::size_t max_sources_;
    TokenBucket overall_;
    std::unordered_map<std::string, TokenBucket> buckets_;
};

} // namespace netlab
