// Signals as a readable descriptor (signalfd(2)).
#include "signals.hpp"

#include "error.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/signalfd.h>
#include <unistd.h>

namespace netlab {

namespace {

// "SIGINT, SIGTERM": what an error about these signals names.
std::string names(std::initializer_list<int> signals) {
    std::string text;
    for (int s : signals) {
        const char* abbrev = sigabbrev_np(s);
        text += (text.empty() ? "SIG" : ", SIG") + std::string(abbrev ? abbrev : std::to_string(s).c_str());
    }
    return text;
}

} // namespace

SignalFd::SignalFd(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    // pthread_sigmask returns its error instead of setting errno.
    if (int rc = pthread_sigmask(SIG_BLOCK, &set, &previous_); rc != 0)
        throw Error("block", names(signals), rc);
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
        throw Error("signalfd", names(signals), err);
    }
    fd_.reset(fd);
}

SignalFd::~SignalFd() {
    // A signal that came while we watched for it was ours to handle (Ctrl-C cancelled a transfer or
    // ended a load run): left pending, it would kill the process the moment the mask is restored,
    // before its error message or report is printed.
    while (fd_.valid() && read()) {
    }
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

namespace netlab {

namespace {
volatile sig_atomic_t stop_signal = 0;
extern "C" void record_stop_signal(int signo) {
    stop_signal = signo;
}
} // namespace

StopOnSignals::StopOnSignals(std::initializer_list<int> signals) {
    stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: the blocked call must come back with EINTR
    for (int s : signals) {
        if (count_ == 4) break;
        if (::sigaction(s, &action, &saved_[count_].action) < 0)
            throw Error("sigaction", strsignal(s), errno);
        saved_[count_++].signo = s;
    }
}

StopOnSignals::~StopOnSignals() {
    for (int i = 0; i < count_; ++i) ::sigaction(saved_[i].signo, &saved_[i].action, nullptr);
}

int StopOnSignals::received() const noexcept {
    return stop_signal;
}

} // namespace netlab
