// Token buckets, refilled from the time elapsed since the last event.
#include "rate_limit.hpp"

#include <algorithm>
#include <iterator>

namespace netlab {

bool TokenBucket::take(Clock::time_point now) {
    if (now > at_) {
        tokens_ = std::min(burst_, tokens_ + rate_ * seconds_between(at_, now));
        at_ = now;
    }
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
}

bool TokenBucket::full(Clock::time_point now) const {
    return tokens_ + rate_ * seconds_between(at_, std::max(at_, now)) >= burst_;
}

SourceRateLimit::SourceRateLimit(double per_source, double burst, double overall, std::size_t max_sources)
    : per_source_(per_source), burst_(burst), max_sources_(max_sources),
      overall_(overall, std::max(overall, 1.0), Clock::now()) {}

bool SourceRateLimit::allow(const SocketAddress& source, Clock::time_point now) {
    std::string key = source.ip();
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_sources_)
            std::erase_if(buckets_, [&](const auto& entry) { return entry.second.full(now); });
        if (buckets_.size() >= max_sources_) return false;
        it = buckets_.emplace(std::move(key), TokenBucket(per_source_, burst_, now)).first;
    }
    // The source's own bucket first: one source over its limit must not use up everyone's.
    return it->second.take(now) && overall_.take(now);
}

} // namespace netlab
