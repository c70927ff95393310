// Reading a server's resources from /proc (proc(5)) for the hostile-client tests.
#include "hostile.hpp"

#include "netlab_test.hpp"

#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace netlab::test {

namespace {

std::string proc_path(pid_t pid, const char* file) {
    return "/proc/" + std::to_string(pid) + "/" + file;
}

long status_field(pid_t pid, const std::string& key) {
    std::istringstream in(read_proc_file(proc_path(pid, "status")));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
    return -1;
}

} // namespace

Usage usage_of(pid_t pid) {
    Usage u;
    u.fds = count_open_fds(pid);
    u.rss_kib = status_field(pid, "VmRSS");
    u.threads = static_cast<int>(status_field(pid, "Threads"));
    for (pid_t child : child_pids(pid)) {
        ++u.children;
        if (is_zombie(child)) ++u.zombies;
    }
    return u;
}

std::string describe(const Usage& u) {
    return fmt::format("{} fds, {} KiB RSS, {} threads, {} children ({} zombies)", u.fds, u.rss_kib,
                       u.threads, u.children, u.zombies);
}

long raise_descriptor_limit(long wanted) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    rlim_t want = static_cast<rlim_t>(wanted);
    if (limit.rlim_cur < want) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? want : std::min(want, limit.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<long>(limit.rlim_cur);
}

void set_descriptor_limit(pid_t pid, long limit) {
    // The soft limit only: raising it back up to the hard one needs no privilege.
    rlimit l{};
    if (::prlimit(pid, RLIMIT_NOFILE, nullptr, &l) != 0)
        throw std::runtime_error("prlimit " + std::to_string(pid) + " failed");
    l.rlim_cur = static_cast<rlim_t>(limit);
    if (l.rlim_max != RLIM_INFINITY && l.rlim_max < l.rlim_cur) l.rlim_max = l.rlim_cur;
    if (::prlimit(pid, RLIMIT_NOFILE, &l, nullptr) != 0)
        throw std::runtime_error("prlimit " + std::to_string(pid) + ": " + std::strerror(errno));
}

int lowest_free_descriptor(pid_t pid) {
    int n = 0;
    while (std::filesystem::exists(proc_path(pid, "fd") + "/" + std::to_string(n))) ++n;
    return n;
}

} // namespace netlab::test
