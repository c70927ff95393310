// Tests of lib/process: what a spawned child inherits.
#include "process.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sstream>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;

TEST_CASE("a spawned child inherits only stdin, stdout and stderr", "[process]") {
    // A descriptor without O_CLOEXEC, as a shell or a test runner may hold one.
    int leaky = ::open("/dev/null", O_RDONLY);
    REQUIRE(leaky >= 0);
    REQUIRE(::dup2(leaky, 200) == 200);
    ::close(leaky);

    auto child = netlab::ChildProcess::spawn({"ls", "/proc/self/fd"});
    std::string listing = child.read_all_stdout(5s);
    CHECK(child.wait(5s) == 0);
    ::close(200);

    std::istringstream fds(listing);
    std::string fd;
    std::vector<std::string> seen;
    while (fds >> fd) seen.push_back(fd);
    CHECK(std::find(seen.begin(), seen.end(), "0") != seen.end());
    CHECK(std::find(seen.begin(), seen.end(), "200") == seen.end());
    // ls itself holds one more, the directory it reads.
    CHECK(seen.size() <= 4);
}
