// Unit tests of the shared-memory scoreboard: counts, the view, and what a forked child's writes show.
#include "scoreboard.hpp"

#include <catch2/catch.hpp>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace netlab::pool;

TEST_CASE("the view has one character per slot", "[pool][scoreboard]") {
    Scoreboard board(6);
    CHECK(board.render() == "      ");
    board.slot(0).state = static_cast<std::uint32_t>(SlotState::idle);
    board.slot(1).state = static_cast<std::uint32_t>(SlotState::busy);
    board.slot(3).state = static_cast<std::uint32_t>(SlotState::idle);
    board.slot(3).retiring = 1;
    CHECK(board.render() == ".X G  ");
    Counts c = board.counts();
    CHECK(c.idle == 1);
    CHECK(c.busy == 1);
    CHECK(c.retiring == 1);
    CHECK(c.free == 3);
    CHECK(c.live() == 3);
    CHECK(board.first_free() == 2);
}

TEST_CASE("find_pid ignores free slots", "[pool][scoreboard]") {
    Scoreboard board(3);
    board.slot(1).pid = 1234;
    CHECK(board.find_pid(1234) == 3); // a free slot's stale pid must not match
    board.slot(1).state = static_cast<std::uint32_t>(SlotState::busy);
    CHECK(board.find_pid(1234) == 1);
}

TEST_CASE("a child's writes reach the parent, with one wake-up per rearm", "[pool][scoreboard]") {
    Scoreboard board(2);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        board.set_state(0, SlotState::idle);
        board.set_state(0, SlotState::busy);
        board.count_request(0);
        board.set_state(0, SlotState::idle);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(board.render() == ". ");
    CHECK(board.slot(0).requests.load() == 1);
    // Three changes, one eventfd write: the counter reads 1.
    std::uint64_t value = 0;
    REQUIRE(::read(board.notify_fd().get(), &value, sizeof value) == sizeof value);
    CHECK(value == 1);
    // Until the parent rearms, further changes stay silent; after it, the next one is announced.
    board.set_state(1, SlotState::idle);
    pollfd p{board.notify_fd().get(), POLLIN, 0};
    CHECK(::poll(&p, 1, 0) == 0);
    board.rearm();
    board.set_state(1, SlotState::busy);
    CHECK(::poll(&p, 1, 0) == 1);
    board.drain();
    CHECK(::poll(&p, 1, 0) == 0);
}
