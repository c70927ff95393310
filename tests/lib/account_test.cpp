// lib/account: accounts from /etc/passwd, by name and by user ID.
#include "account.hpp"

#include "error.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

using namespace netlab;

TEST_CASE("accounts are found by name or user ID, and a missing one is a clear error", "[account]") {
    Account root = find_account("root");
    CHECK(root.uid == 0);
    CHECK(root.gid == 0);
    CHECK(find_account("0").name == "root");
    Account nobody = find_account("nobody");
    CHECK(nobody.uid != 0);
    CHECK(find_account(std::to_string(nobody.uid)).name == "nobody");
    CHECK_THROWS_WITH(find_account("no-such-user-netlab"),
                      "look up user no-such-user-netlab: no such user in /etc/passwd");
    CHECK_THROWS_AS(find_account(""), Error);
    CHECK_THROWS_AS(find_account("4294967295"), Error); // a number with no entry
    CHECK(current_account().uid == ::getuid());
    CHECK(running_as_root() == (::geteuid() == 0));
}
