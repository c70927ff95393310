// Child processes: start with pipes (posix_spawn(3)), read their output line by line, wait with a
// timeout (pidfd_open(2)), stop them by PID. Used by the demo and the integration tests.
#pragma once

#include "fd.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace netlab {

// Exit status as the shell reports it: the exit code, or 128 + signal number.
using ExitStatus = int;

class ChildProcess {
public:
    // Starts argv[0] (searched in PATH when it has no '/') with stdout and/or stderr on pipes, stdin
    // from /dev/null, the default signal mask and dispositions.
    static ChildProcess spawn(const std::vector<std::string>& argv, bool pipe_stdout = true,
                              bool pipe_stderr = true);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    // Kills (SIGKILL) and reaps a child still running: no process outlives its owner.
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    // The next line (without '\n') on stdout or stderr, or nullopt at end of file or after `timeout`.
    std::optional<std::string> read_stdout_line(std::chrono::milliseconds timeout);
    std::optional<std::string> read_stderr_line(std::chrono::milliseconds timeout);
    // Everything left on the pipe until end of file or `timeout`.
    std::string read_all_stdout(std::chrono::milliseconds timeout);
    std::string read_all_stderr(std::chrono::milliseconds timeout);
    // Closes our end of the stdout pipe, as a reader that went away does (the child's writes then fail
    // with EPIPE, or SIGPIPE).
    void close_stdout() {
        out_.fd.reset();
        out_.eof = true;
    }

    void send_signal(int signo);
    // Waits for the child to exit; nullopt if it is still running after `timeout`.
    std::optional<ExitStatus> wait(std::chrono::milliseconds timeout);
    bool exited() const { return status_.has_value(); }
    // Lets the child go: the destructor then neither kills nor reaps it (a daemon that outlives its
    // starter, which exits soon after and leaves the reaping to init).
    void release() { pid_ = -1; }

private:
    struct Stream {
        Fd fd;
        std::string pending;
        bool eof = false;
    };
    ChildProcess() = default;
    static std::optional<std::string> read_line(Stream& s, std::chrono::milliseconds timeout);
    static std::string read_all(Stream& s, std::chrono::milliseconds timeout);

    pid_t pid_ = -1;
    Fd pidfd_;
    Stream out_, err_;
    std::optional<ExitStatus> status_;
};

// Replaces the running program with argv (execvp(3), argv[0] searched in PATH); returns only by
// throwing Error("run", argv[0], errno).
[[noreturn]] void replace_process(const std::vector<std::string>& argv);

// The path of the running executable (/proc/self/exe), for starting more of ourselves.
std::string self_executable();

} // namespace netlab
