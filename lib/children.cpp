// fork(2), _exit(2) and waitpid(2) for process-per-connection servers.
#include "children.hpp"

#include "error.hpp"

#include <cerrno>
#include <sys/wait.h>
#include <unistd.h>

namespace netlab {

pid_t fork_process() {
    pid_t pid = ::fork();
    if (pid < 0) throw Error("fork", "", errno);
    return pid;
}

void exit_child(int code) noexcept {
    ::_exit(code);
}

Reaped reap_exited_children() {
    Reaped reaped;
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid > 0) {
            ++reaped.exited;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++reaped.failed;
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        return reaped; // 0: children remain but none has exited; ECHILD: no children at all
    }
}

} // namespace netlab
