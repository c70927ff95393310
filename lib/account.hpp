// User accounts and giving up root: a server binds its privileged port and opens its root as root, then
// runs as an ordinary user (tftpd-hpa's -u), so a flaw in it cannot reach what that user cannot.
#pragma once

#include <string>
#include <sys/types.h>

namespace netlab {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0; // the account's primary group
};

// Whether the process runs with an effective user ID of 0.
bool running_as_root();

// The account called `name`, or with that user ID, in /etc/passwd (see account.cpp for why not NSS);
// throws Error("look up user", name, ...) when there is none.
Account find_account(const std::string& name);

// The account this process runs as (its real user ID), or a numeric name when it has no entry.
Account current_account();

// Becomes `who` for good: supplementary groups cleared, then the group, then the user, real, effective
// and saved alike; then checks that root cannot be regained. Throws Error("change user to", name, errno).
void drop_privileges(const Account& who);

} // namespace netlab
