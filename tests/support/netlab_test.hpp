// Helpers for integration tests that run the real netlab binary against real sockets.
#pragma once

#include "process.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace netlab::test {

using namespace std::chrono_literals;

// The netlab binary under test (set by CMake).
std::string netlab_binary();

struct RunResult {
    int status = -1; // exit code, or 128 + signal; -1 if it had to be killed after the timeout
    std::string out;
    std::string err;
};

// Runs `netlab args...` to completion (killed after `timeout`), collecting stdout and stderr.
RunResult run_netlab(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 10s);

// Collects a started child's output until it exits (killed after `timeout`).
RunResult finish(ChildProcess& child, std::chrono::milliseconds timeout = 10s);

// Starts `netlab args...` in the background with stdout and stderr on pipes.
ChildProcess start_netlab(const std::vector<std::string>& args);

// Reads stderr lines until "listening on ADDR:PORT" and returns PORT; fails the test otherwise.
std::uint16_t wait_for_listening_port(ChildProcess& child, std::chrono::milliseconds timeout = 5s);

// The whole text of a /proc file, or "" when it cannot be read (the process is gone, say).
std::string read_proc_file(const std::string& path);

// Open descriptors of a process (entries of /proc/PID/fd), and its children (from /proc/PID/task/*/children).
int count_open_fds(pid_t pid);
std::vector<pid_t> child_pids(pid_t pid);
// True when the process is a zombie (state Z in /proc/PID/stat).
bool is_zombie(pid_t pid);

bool running_as_root();

// True under CI (the environment variable CI set to anything but "" or "false"): CI has root and
// every tool scripts/dev installs, so there nothing may be skipped.
bool under_ci();

// Ends a test that cannot run here, saying why. Outside CI it prints the line ctest reads as
// "skipped" (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt); under CI the skip fails the test.
//     if (!have("in.tftpd")) NETLAB_SKIP("needs tftpd-hpa (in.tftpd)");
#define NETLAB_SKIP(why)                                                                                     \
    do {                                                                                                     \
        ::netlab::test::report_skip(why);                                                                    \
        return;                                                                                              \
    } while (0)
void report_skip(const std::string& why);

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last value. For events
// that leave no line to read: a process gone, a counter reached, a file created.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// True when some socket of this network namespace listens on TCP `port` (count: how many, e.g. one
// per SO_REUSEPORT worker), or is bound to UDP `port` (/proc/net/{tcp,tcp6,udp,udp6}).
int tcp_listeners(std::uint16_t port);
bool udp_bound(std::uint16_t port);

// A temporary directory removed with everything in it when the object goes.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

} // namespace netlab::test
