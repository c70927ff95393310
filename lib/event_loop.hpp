// An event loop's core: epoll(7) behind a small class, with a tag per descriptor and EINTR handled.
#pragma once

#include "clock.hpp"
#include "fd.hpp"

#include <cstdint>
#include <span>
#include <vector>

#include <sys/epoll.h>

namespace netlab {

class Epoll {
public:
    // `max_events`: how many ready descriptors one wait() can return.
    explicit Epoll(std::size_t max_events = 256);

    // Level-triggered unless `events` has EPOLLET. The tag comes back in epoll_event::data.u64.
    void add(int fd, std::uint32_t events, std::uint64_t tag);
    // events == 0 keeps the descriptor registered but silent (e.g. a listener paused on EMFILE).
    void modify(int fd, std::uint32_t events, std::uint64_t tag);
    // Closing a descriptor removes it too, when no other descriptor refers to the same file.
    void remove(int fd);

    // Waits up to timeout_ms (-1 forever, 0 polls); the ready events, empty on timeout or a signal.
    // The span is valid until the next wait().
    std::span<const epoll_event> wait(int timeout_ms);

    const Fd& fd() const { return fd_; }

private:
    Fd fd_;
    std::vector<epoll_event> events_;
};

// An eventfd(2) that other threads write to wake the loop (e.g. "a worker finished").
class Wakeup {
public:
    Wakeup();
    const Fd& fd() const { return fd_; }
    void notify() noexcept; // from any thread
    void drain() noexcept;  // in the loop, once it is readable

private:
    Fd fd_;
};

} // namespace netlab
