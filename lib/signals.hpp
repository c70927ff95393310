// Signals as a readable descriptor (signalfd(2)), so event loops wait for them like for sockets.
#pragma once

#include "fd.hpp"

#include <initializer_list>
#include <optional>

#include <signal.h>

namespace netlab {

// Blocks the given signals for this thread and delivers them through a descriptor. The destructor
// restores the previous mask. Children started by posix_spawn get the default mask back (see process.hpp).
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
