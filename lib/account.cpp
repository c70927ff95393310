// Accounts read from /etc/passwd; setgroups, setresgid, setresuid.
#include "account.hpp"

#include "error.hpp"

#include <cerrno>
#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <grp.h>
#include <optional>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace netlab {

namespace {

// netlab is linked statically, and a static glibc cannot load the NSS modules getpwnam(3) may ask for
// (libnss_systemd: a crash on any name that /etc/passwd lacks). So the file is read here, as toybox
// and busybox do: every local account, none from a directory service.
constexpr const char* passwd_file = "/etc/passwd";

std::optional<std::uint32_t> number(std::string_view s) {
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// name:password:uid:gid:gecos:home:shell
std::optional<Account> parse_entry(std::string_view line) {
    std::vector<std::string_view> fields;
    for (std::size_t at = 0;;) {
        auto colon = line.find(':', at);
        fields.push_back(
            line.substr(at, colon == std::string_view::npos ? std::string_view::npos : colon - at));
        if (colon == std::string_view::npos) break;
        at = colon + 1;
    }
    if (fields.size() < 4 || fields[0].empty()) return std::nullopt;
    auto uid = number(fields[2]), gid = number(fields[3]);
    if (!uid || !gid) return std::nullopt;
    return Account{std::string(fields[0]), static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)};
}

template <typename Match> std::optional<Account> find_entry(Match match) {
    std::ifstream in(passwd_file);
    for (std::string line; std::getline(in, line);)
        if (auto a = parse_entry(line); a && match(*a)) return a;
    return std::nullopt;
}

} // namespace

bool running_as_root() {
    return ::geteuid() == 0;
}

Account find_account(const std::string& name) {
    if (auto a = find_entry([&](const Account& e) { return e.name == name; })) return *a;
    // A user ID that has an entry, as `--user 65534`.
    if (auto uid = number(name))
        if (auto a = find_entry([&](const Account& e) { return e.uid == *uid; })) return *a;
    throw Error("look up user", name, fmt::format("no such user in {}", passwd_file));
}

Account current_account() {
    uid_t uid = ::getuid();
    if (auto a = find_entry([&](const Account& e) { return e.uid == uid; })) return *a;
    return Account{std::to_string(uid), uid, ::getgid()};
}

void drop_privileges(const Account& who) {
    // Groups first: once the user ID is no longer 0, they could not be changed any more.
    if (::setgroups(0, nullptr) < 0) throw Error("change user to", who.name, errno);
    if (::setresgid(who.gid, who.gid, who.gid) < 0) throw Error("change user to", who.name, errno);
    if (::setresuid(who.uid, who.uid, who.uid) < 0) throw Error("change user to", who.name, errno);
    if (who.uid != 0 && ::setuid(0) == 0) throw Error("change user to", who.name, "root could be regained");
}

} // namespace netlab
