// Monotonic time and a pacer that spreads sends evenly at a given rate.
#pragma once

#include <chrono>
#include <cstdint>

namespace netlab {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// How many items may go out by a given time at `rate` per second (0 = unlimited), counted from the
// start so that rounding never accumulates. Pure arithmetic: the caller owns the clock and the sleep.
class Pacer {
public:
    Pacer(double rate, Clock::time_point start) : rate_(rate), start_(start) {}

    // Items that may be sent at `now`, given `sent` so far, at most `limit`.
    std::uint64_t allowed(Clock::time_point now, std::uint64_t sent, std::uint64_t limit) const;
    // When item number `sent` (0-based) becomes due.
    Clock::time_point due(std::uint64_t sent) const;
    bool unlimited() const { return rate_ <= 0; }

private:
    double rate_;
    Clock::time_point start_;
};

// Milliseconds from `now` until `deadline` for a poll(2) or epoll_wait(2) timeout: 0 once it has
// passed, at most INT_MAX. Rounded up, so that a wait never ends just short of its deadline and the
// loop around it spins through the last millisecond with timeouts of 0.
int timeout_ms_until(Clock::time_point deadline, Clock::time_point now = Clock::now());

// Sleeps until the given time (clock_nanosleep, restarted after signals).
void sleep_until(Clock::time_point when);

} // namespace netlab
