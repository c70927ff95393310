// Servers whose log output goes away: a stdout pipe whose reader closed it (EPIPE) or a full disk
// (/dev/full, ENOSPC). Each server must keep serving, say so once on stderr, and exit 1 when stopped.
#include "netlab_test.hpp"

#include "tcp.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

using namespace netlab::test;
using netlab::ChildProcess;
namespace fs = std::filesystem;

namespace {

enum class Sink { closed_pipe, full_disk };

// `netlab args...` with stderr on a pipe, stdout on a pipe we close or on /dev/full. The shell execs
// netlab, so the child's PID is netlab's.
ChildProcess start_server(Sink sink, const std::vector<std::string>& args) {
    if (sink == Sink::closed_pipe) return start_netlab(args);
    std::vector<std::string> argv{"sh", "-c", "exec \"$0\" \"$@\" >/dev/full", netlab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::spawn(argv, false, true);
}

std::string expected_error(const std::string& command, Sink sink) {
    return "netlab " + command +
           ": write stdout: " + (sink == Sink::closed_pipe ? "Broken pipe" : "No space left on device") +
           "; serving goes on, log lines are dropped";
}

// The next stderr line that is not a warning or info log line, or "" after `timeout`.
std::string next_error_line(ChildProcess& server, std::chrono::milliseconds timeout = 10s) {
    while (auto line = server.read_stderr_line(timeout))
        if (line->find(": warning: ") == std::string::npos && line->find(": info: ") == std::string::npos)
            return *line;
    return "";
}

// A time stamp fetched over TCP: what the server sends before it closes.
std::string fetch_stamp(std::uint16_t port) {
    return netlab::tcp::fetch_reply(netlab::SocketAddress::loopback(netlab::Family::v4, port), 5s);
}

// Makes the server write a log line (`log_something`, by default serving one client), waits for the
// one error line, serves three times more, and checks the exit status and that the error was said
// only once.
template <typename Serve>
void check_keeps_serving(ChildProcess& server, Sink sink, const std::string& command, Serve serve_one,
                         std::function<void()> log_something = {}) {
    if (sink == Sink::closed_pipe) server.close_stdout();
    if (log_something)
        log_something();
    else
        REQUIRE(serve_one());
    CHECK(next_error_line(server) == expected_error(command, sink));
    for (int i = 0; i < 3; ++i) CHECK(serve_one());
    server.send_signal(SIGTERM);
    CHECK(server.wait(10s) == 1);
    CHECK(next_error_line(server, 2s).empty());
}

} // namespace

TEST_CASE("tcp-stamp-server keeps serving when its log output fails",
          "[tcp-stamp][integration][output][tcp-stamp-server]") {
    auto sink = GENERATE(Sink::closed_pipe, Sink::full_disk);
    auto model = GENERATE(as<std::string>{}, "epoll", "fork", "threads");
    CAPTURE(model, sink == Sink::closed_pipe);
    ChildProcess server = start_server(
        sink, {"tcp-stamp-server", "-b", "127.0.0.1", "--port", "0", "-m", model, "--json", "--stats"});
    std::uint16_t port = wait_for_listening_port(server);
    check_keeps_serving(server, sink, "tcp-stamp-server", [&] { return !fetch_stamp(port).empty(); });
}

TEST_CASE("pool-server --json keeps serving when its log output fails",
          "[pool][integration][output][pool-server]") {
    auto sink = GENERATE(Sink::closed_pipe, Sink::full_disk);
    CAPTURE(sink == Sink::closed_pipe);
    ChildProcess server =
        start_server(sink, {"pool-server", "-b", "127.0.0.1", "--port", "0", "--status-json"});
    std::uint16_t port = wait_for_listening_port(server);
    // Live scoreboard lines come when the board changes, which a fetch need not do; a dump always writes.
    check_keeps_serving(
        server, sink, "pool-server", [&] { return !fetch_stamp(port).empty(); },
        [&] { server.send_signal(SIGUSR1); });
}

TEST_CASE("ftp-serve keeps serving when its log output fails",
          "[ftp][integration][output][ftp-get][ftp-serve]") {
    auto sink = GENERATE(Sink::closed_pipe, Sink::full_disk);
    CAPTURE(sink == Sink::closed_pipe);
    TempDir dir;
    fs::path root = fs::path(dir.path()) / "root";
    fs::create_directories(root);
    std::ofstream(root / "f") << "hello\n";
    ChildProcess server =
        start_server(sink, {"ftp-serve", "--root", root.string(), "--port", "0", "-b", "127.0.0.1"});
    std::uint16_t port = wait_for_listening_port(server);
    int fetched = 0;
    check_keeps_serving(server, sink, "ftp-serve", [&] {
        fs::path out = fs::path(dir.path()) / ("out" + std::to_string(++fetched));
        auto r = run_netlab({"ftp-get", "127.0.0.1:" + std::to_string(port), "f", "-o", out.string(), "-q"});
        return r.status == 0 && fs::file_size(out) == 6;
    });
}
