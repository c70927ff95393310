// Monotonic time and pacing.
#include "clock.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <ctime>

namespace netlab {

std::uint64_t Pacer::allowed(Clock::time_point now, std::uint64_t sent, std::uint64_t limit) const {
    if (unlimited()) return limit;
    // The first item is due at the start, item k at start + k / rate.
    double due_by_now = std::floor(seconds_between(start_, now) * rate_) + 1;
    if (due_by_now <= static_cast<double>(sent)) return 0;
    return std::min<std::uint64_t>(limit, static_cast<std::uint64_t>(due_by_now) - sent);
}

Clock::time_point Pacer::due(std::uint64_t sent) const {
    if (unlimited()) return start_;
    return start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent) / rate_));
}

int timeout_ms_until(Clock::time_point deadline, Clock::time_point now) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<decltype(left)>(left, INT_MAX));
}

void sleep_until(Clock::time_point when) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    // steady_clock is CLOCK_MONOTONIC on Linux.
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

} // namespace netlab
