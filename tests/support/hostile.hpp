// Helpers for the hostile-client tests: what a server process holds (descriptors, memory, threads,
// children, CPU time, read from /proc/PID, proc(5)) before and after an attack.
#pragma once

#include "address.hpp"
#include "fd.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>

namespace netlab::test {

struct Usage {
    int fds = 0;
    long rss_kib = 0; // VmRSS
    int threads = 0;
    int children = 0;
    int zombies = 0;
};
Usage usage_of(pid_t pid);
std::string describe(const Usage& u);

// How much RSS may grow over an attack: allocator caches and touched pages, not a leak per request.
// Under AddressSanitizer freed memory waits in a quarantine (up to 256 MiB), so resident size says
// nothing about leaks there; LeakSanitizer checks them instead when the server exits, and a report
// makes its exit status, which every test checks, non-zero.
// How long a well-behaved client waits for its stamp during an attack. Under the sanitizers every
// process is several times slower, and the fork model's thousand attacking connections each cost a
// child that runs LeakSanitizer at exit: the good client's turn in the accept queue can come after 5 s.
#ifdef NETLAB_SANITIZED
inline constexpr long rss_tolerance_kib = 512 * 1024;
inline constexpr std::chrono::seconds good_client_timeout{20};
#else
inline constexpr long rss_tolerance_kib = 4096;
inline constexpr std::chrono::seconds good_client_timeout{5};
#endif

// Raises this process's soft RLIMIT_NOFILE towards `wanted` (at most the hard limit); returns it.
long raise_descriptor_limit(long wanted);
// Sets a running process's soft descriptor limit with prlimit(2).
void set_descriptor_limit(pid_t pid, long limit);
// The lowest descriptor number the process does not use: as a limit, every new descriptor fails.
int lowest_free_descriptor(pid_t pid);

} // namespace netlab::test
