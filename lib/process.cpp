// Child processes with pipes and timeouts.
#include "process.hpp"

#include "clock.hpp"
#include "error.hpp"

#include <cerrno>
#include <climits>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace netlab {

namespace {

void check_spawn(int rc, const char* action, const std::string& object) {
    if (rc != 0) throw Error(action, object, rc);
}

} // namespace

ChildProcess ChildProcess::spawn(const std::vector<std::string>& argv, bool pipe_stdout, bool pipe_stderr) {
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if ((pipe_stdout && ::pipe2(out, O_CLOEXEC) < 0) || (pipe_stderr && ::pipe2(err, O_CLOEXEC) < 0))
        throw Error("create", "a pipe to " + (argv.empty() ? std::string("a child") : argv[0]), errno);
    Fd out_read(out[0]), out_write(out[1]), err_read(err[0]), err_write(err[1]);

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (pipe_stdout) posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    if (pipe_stderr) posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // Descriptors the parent holds without O_CLOEXEC (a test runner's, a shell's) are not the
    // child's business, and would skew a descriptor count taken of it (glibc 2.34).
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    // Undo what a parent event loop may have set: blocked signals (signalfd) and ignored SIGPIPE.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    check_spawn(rc, "spawn", argv[0]);

    ChildProcess child;
    child.pid_ = pid;
    child.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    child.out_.fd = std::move(out_read);
    child.err_.fd = std::move(err_read);
    child.out_.eof = !pipe_stdout;
    child.err_.eof = !pipe_stderr;
    return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)), out_(std::move(other.out_)),
      err_(std::move(other.err_)), status_(other.status_) {}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !status_) {
        ::kill(pid_, SIGKILL);
        int st;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
    }
}

std::optional<std::string> ChildProcess::read_line(Stream& s, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
        auto nl = s.pending.find('\n');
        if (nl != std::string::npos) {
            std::string line = s.pending.substr(0, nl);
            s.pending.erase(0, nl + 1);
            return line;
        }
        if (s.eof) {
            if (s.pending.empty()) return std::nullopt;
            return std::exchange(s.pending, std::string());
        }
        pollfd p{s.fd.get(), POLLIN, 0};
        int n = ::poll(&p, 1, timeout_ms_until(deadline));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return std::nullopt;
        char buf[4096];
        ssize_t got = ::read(s.fd.get(), buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            s.eof = true;
        else
            s.pending.append(buf, static_cast<std::size_t>(got));
    }
}

std::string ChildProcess::read_all(Stream& s, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::string all;
    while (auto line = read_line(s, std::chrono::milliseconds(timeout_ms_until(deadline)))) {
        all += *line;
        all += '\n';
    }
    return all;
}

std::optional<std::string> ChildProcess::read_stdout_line(std::chrono::milliseconds t) {
    return read_line(out_, t);
}
std::optional<std::string> ChildProcess::read_stderr_line(std::chrono::milliseconds t) {
    return read_line(err_, t);
}
std::string ChildProcess::read_all_stdout(std::chrono::milliseconds t) {
    return read_all(out_, t);
}
std::string ChildProcess::read_all_stderr(std::chrono::milliseconds t) {
    return read_all(err_, t);
}

void ChildProcess::send_signal(int signo) {
    if (pid_ > 0 && !status_) ::kill(pid_, signo);
}

std::optional<ExitStatus> ChildProcess::wait(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int st = 0;
        pid_t rc = ::waitpid(pid_, &st, WNOHANG);
        if (rc == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return status_;
        }
        if (rc < 0 && errno != EINTR) throw Error("waitpid", "process " + std::to_string(pid_), errno);
        int left = timeout_ms_until(deadline);
        if (left == 0) return std::nullopt;
        if (pidfd_.valid()) {
            pollfd p{pidfd_.get(), POLLIN, 0};
            ::poll(&p, 1, left);
        } else {
            ::usleep(1000);
        }
    }
}

std::string self_executable() {
    char path[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n < 0) throw Error("readlink", "/proc/self/exe", errno);
    return std::string(path, static_cast<std::size_t>(n));
}

void replace_process(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    throw Error("run", argv.front(), errno);
}

} // namespace netlab
