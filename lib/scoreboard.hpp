// The pre-forked pool's scoreboard: one slot per worker in memory shared by fork (mmap(2) MAP_SHARED |
// MAP_ANONYMOUS), written with lock-free atomics, plus an eventfd(2) through which workers wake the parent.
#pragma once

#include "fd.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include <sys/types.h>

namespace netlab::pool {

// Free: no process. Idle: waiting for a connection. Busy: serving one. The worker writes idle and busy;
// the parent writes idle before fork (a starting worker counts as idle, as in Apache) and free after
// waitpid, so a slot is never reused while its process may still run.
enum class SlotState : std::uint32_t { free = 0, idle = 1, busy = 2 };

struct Slot {
    std::atomic<std::int32_t> pid{0};            // parent: set after fork, 0 after waitpid
    std::atomic<std::uint32_t> state{0};         // SlotState; worker while it lives, parent otherwise
    std::atomic<std::uint32_t> retiring{0};      // parent: told to exit after its current request
    std::atomic<std::uint32_t> generation{0};    // parent: bumped by SIGHUP's graceful restart
    std::atomic<std::uint64_t> requests{0};      // worker: connections served
    std::atomic<std::uint64_t> empty_wakeups{0}; // worker: woken with nothing to accept (the herd)
    std::atomic<std::int64_t> started_ms{0};     // parent: Unix time of the fork, in milliseconds
};
static_assert(std::atomic<std::int64_t>::is_always_lock_free, "shared-memory atomics must be lock-free");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared-memory atomics must be lock-free");

struct Counts {
    int idle = 0;     // idle and not retiring: the spares the policy counts
    int busy = 0;     // busy and not retiring
    int retiring = 0; // still alive, told to go
    int free = 0;
    int live() const { return idle + busy + retiring; }
};

// Owns the shared mapping and the notification eventfd. Created by the parent before any fork; the
// children inherit both.
class Scoreboard {
public:
    explicit Scoreboard(std::size_t slots);
    ~Scoreboard();
    Scoreboard(const Scoreboard&) = delete;
    Scoreboard& operator=(const Scoreboard&) = delete;

    std::size_t size() const { return size_; }
    Slot& slot(std::size_t i) { return slots_[i]; }
    const Slot& slot(std::size_t i) const { return slots_[i]; }

    // Worker side: records a state change and wakes the parent unless a wake-up is already pending, so
    // a busy pool costs at most one eventfd write per parent scan, not two per request.
    void set_state(std::size_t i, SlotState state);
    void count_request(std::size_t i) { slots_[i].requests.fetch_add(1, std::memory_order_relaxed); }
    // Wakes the parent without a state change.
    void notify();

    // Parent side: the descriptor to wait on, drained by drain(); rearm() before reading the slots, so
    // any change made after it is announced again.
    const Fd& notify_fd() const { return event_fd_; }
    void drain();
    void rearm() { header_->pending.store(0); }

    Counts counts() const;
    std::size_t first_free() const;        // size() when none
    std::size_t find_pid(pid_t pid) const; // size() when none
    // One character per slot: '.' idle, 'X' busy, 'G' retiring (gracefully finishing), ' ' free.
    std::string render() const;

private:
    struct Header {
        std::atomic<std::uint32_t> pending{0};
    };
    std::size_t size_;
    std::size_t bytes_;
    void* map_ = nullptr;
    Header* header_ = nullptr;
    Slot* slots_ = nullptr;
    Fd event_fd_;
};

std::string_view state_name(SlotState state);
SlotState load_state(const Slot& slot);

} // namespace netlab::pool
