// Signals as a readable descriptor (signalfd(2)).
#include "signals.hpp"

#include "error.hpp"

#include <cerrno>
#include <sys/signalfd.h>
#include <unistd.h>

namespace netlab {

SignalFd::SignalFd(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    if (pthread_sigmask(SIG_BLOCK, &set, &previous_) != 0) throw Error("sigprocmask", "", errno);
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
        throw Error("signalfd", "", err);
    }
    fd_.reset(fd);
}

SignalFd::~SignalFd() {
    fd_.reset();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

std::optional<int> SignalFd::read() {
    signalfd_siginfo info;
    for (;;) {
        ssize_t n = ::read(fd_.get(), &info, sizeof info);
        if (n == sizeof info) return static_cast<int>(info.ssi_signo);
        if (n < 0 && errno == EINTR) continue;
        return std::nullopt;
    }
}

} // namespace netlab
