// fork(2), _exit(2) and waitpid(2) for process-per-connection servers.
#include "children.hpp"

#include "error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

namespace netlab {

pid_t fork_process() {
    pid_t pid = ::fork();
    if (pid < 0) throw Error("fork", "a child process", errno);
    return pid;
}

void exit_child(int code) noexcept {
    ::_exit(code);
}

bool ExitedChild::succeeded() const {
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string ExitedChild::describe() const {
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        const char* name = sigabbrev_np(sig);
        return fmt::format("killed by signal {} (SIG{})", sig, name ? name : "?");
    }
    return fmt::format("exited with status {}", WEXITSTATUS(status));
}

std::optional<ExitedChild> reap_exited_child() {
    for (;;) {
        ExitedChild child;
        child.pid = ::waitpid(-1, &child.status, WNOHANG);
        if (child.pid > 0) return child;
        if (child.pid < 0 && errno == EINTR) continue;
        return std::nullopt; // 0: children remain but none has exited; ECHILD: no children at all
    }
}

void kill_child(pid_t pid) noexcept {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

Reaped reap_exited_children() {
    Reaped reaped;
    while (std::optional<ExitedChild> child = reap_exited_child()) {
        ++reaped.exited;
        if (!child->succeeded()) ++reaped.failed;
    }
    return reaped;
}

} // namespace netlab
