// Helpers for integration tests that run the real netlab binary.
#include "netlab_test.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace netlab::test {

std::string netlab_binary() {
    return NETLAB_BINARY;
}

RunResult run_netlab(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
    ChildProcess child = start_netlab(args);
    return finish(child, timeout);
}

RunResult finish(ChildProcess& child, std::chrono::milliseconds timeout) {
    RunResult result;
    // Read both pipes to the end so that neither fills up and blocks the child.
    result.out = child.read_all_stdout(timeout);
    result.err = child.read_all_stderr(1s);
    auto status = child.wait(1s);
    result.status = status ? *status : -1;
    return result;
}

ChildProcess start_netlab(const std::vector<std::string>& args) {
    std::vector<std::string> argv{netlab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::spawn(argv);
}

std::uint16_t wait_for_listening_port(ChildProcess& child, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto line = child.read_stderr_line(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
        if (!line) break;
        auto at = line->find("listening on ");
        if (at == std::string::npos) continue;
        auto colon = line->rfind(':');
        return static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
    }
    FAIL("the process did not report 'listening on ADDR:PORT' on stderr");
    return 0;
}

int count_open_fds(pid_t pid) {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        (void)entry;
        ++count;
    }
    return count;
}

std::string read_proc_file(const std::string& path) {
    // Plain read(2), not an ifstream: a process that exits between open and read makes read fail
    // with ESRCH, and libstdc++'s filebuf throws on that whatever the stream's exception mask (a
    // watcher thread died of it in CI). Here a vanished process reads as empty.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string text;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

std::vector<pid_t> child_pids(pid_t pid) {
    std::vector<pid_t> children;
    std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(task_dir, ec)) {
        std::istringstream in(read_proc_file(task.path() / "children"));
        pid_t child;
        while (in >> child) children.push_back(child);
    }
    return children;
}

bool is_zombie(pid_t pid) {
    std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    auto paren = stat.rfind(')');
    return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

bool running_as_root() {
    return ::geteuid() == 0;
}

bool under_ci() {
    const char* ci = std::getenv("CI");
    return ci && *ci && std::string_view(ci) != "false";
}

void report_skip(const std::string& why) {
    if (under_ci()) FAIL("skipped under CI, where nothing may be: " << why);
    // The marker goes to stdout, where ctest looks for it; SUCCEED keeps -w NoAssertions quiet.
    std::cout << "NETLAB-SKIPPED: " << why << std::endl;
    SUCCEED("skipped: " << why);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

namespace {

// Sockets in /proc/net/<table> (and its IPv6 twin) whose local port is `port` and state `state`
// (hex, as the kernel writes it: 0A is TCP_LISTEN, 07 is TCP_CLOSE, which a bound UDP socket shows).
int sockets_in(const std::string& table, std::uint16_t port, const std::string& state) {
    char want[8];
    std::snprintf(want, sizeof want, ":%04X", port);
    int n = 0;
    for (const std::string suffix : {"", "6"}) {
        std::ifstream in("/proc/net/" + table + suffix);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, st;
            fields >> slot >> local >> remote >> st;
            if (local.size() > 5 && local.substr(local.size() - 5) == want && st == state) ++n;
        }
    }
    return n;
}

} // namespace

int tcp_listeners(std::uint16_t port) {
    return sockets_in("tcp", port, "0A");
}

bool udp_bound(std::uint16_t port) {
    return sockets_in("udp", port, "07") > 0;
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "netlab-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

} // namespace netlab::test
