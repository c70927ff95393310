// Signals as a readable descriptor (signalfd(2)), so event loops wait for them like for sockets.
#pragma once

#include "fd.hpp"

#include <initializer_list>
#include <optional>

#include <signal.h>

namespace netlab {

// Blocks the given signals for this thread and delivers them through a descriptor. The destructor
// discards any still pending (the caller saw them on the descriptor) and restores the previous mask.
// Children started by posix_spawn get the default mask back (see process.hpp).
class SignalFd {
public:
    explicit SignalFd(std::initializer_list<int> signals);
    ~SignalFd();
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    const Fd& fd() const { return fd_; }
    // The next pending signal, or nullopt when none is pending.
    std::optional<int> read();

private:
    Fd fd_;
    sigset_t previous_;
};

} // namespace netlab

namespace netlab {

// Catches the given signals with a handler that only records them, installed without SA_RESTART so
// that a blocking call (recvmmsg) returns EINTR: for loops that block in the kernel rather than in
// poll. The destructor restores the previous handlers. One instance at a time per process.
class StopOnSignals {
public:
    explicit StopOnSignals(std::initializer_list<int> signals);
    ~StopOnSignals();
    StopOnSignals(const StopOnSignals&) = delete;
    StopOnSignals& operator=(const StopOnSignals&) = delete;

    // The signal that arrived, or 0.
    int received() const noexcept;

private:
    struct Saved {
        int signo;
        struct sigaction action;
    };
    Saved saved_[4];
    int count_ = 0;
};

} // namespace netlab
