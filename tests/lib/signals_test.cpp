// Tests of lib/signals: signals delivered through a descriptor, and what is left when it goes away.
#include "signals.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <unistd.h>

using namespace netlab;

TEST_CASE("a SignalFd delivers a blocked signal through its descriptor", "[signals]") {
    SignalFd signals{SIGUSR1};
    CHECK_FALSE(signals.read().has_value());
    REQUIRE(::kill(::getpid(), SIGUSR1) == 0);
    auto got = signals.read();
    REQUIRE(got.has_value());
    CHECK(*got == SIGUSR1);
    CHECK_FALSE(signals.read().has_value());
}

TEST_CASE("a signal left unread does not kill the process when the SignalFd goes away", "[signals]") {
    sigset_t before;
    pthread_sigmask(SIG_SETMASK, nullptr, &before);
    {
        SignalFd signals{SIGUSR2};
        REQUIRE(::kill(::getpid(), SIGUSR2) == 0); // pending, never read: like Ctrl-C during a transfer
    }
    // Still alive (SIGUSR2's default action would have ended this test binary), and the mask is back.
    sigset_t after;
    pthread_sigmask(SIG_SETMASK, nullptr, &after);
    CHECK(sigismember(&after, SIGUSR2) == sigismember(&before, SIGUSR2));
    sigset_t pending;
    sigpending(&pending);
    CHECK_FALSE(sigismember(&pending, SIGUSR2));
}
