// Integration tests of pool-server: the real binary on loopback, ephemeral ports.
#include "netlab_test.hpp"

#include <catch2/catch.hpp>

using namespace netlab::test;

TEST_CASE("pool-server refuses limits that do not make sense", "[pool][integration]") {
    RunResult r = run_netlab({"pool-server", "--port", "0", "--min-spare", "6", "--max-spare", "5"});
    CHECK(r.status == 2);
}
