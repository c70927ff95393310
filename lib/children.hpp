// A process per connection: fork(2), _exit(2), and reaping exited children with waitpid(2) so that
// none is ever left a zombie.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <sys/types.h>

namespace netlab {

// fork(2): 0 in the child, the child's PID in the parent; throws Error{"fork", ...} (EAGAIN, ENOMEM).
pid_t fork_process();

// Ends a forked child at once: no atexit handlers, no stdio flush (the parent's unflushed buffers were
// copied into the child and must not come out twice), no destructors of the parent's objects.
[[noreturn]] void exit_child(int code) noexcept;

struct Reaped {
    std::size_t exited = 0; // children collected
    std::size_t failed = 0; // of those, the ones that exited non-zero or were killed by a signal
};

// A child collected by waitpid(2), with its wait status.
struct ExitedChild {
    pid_t pid = 0;
    int status = 0;
    bool succeeded() const; // exited with status 0
    // "exited with status 3", "killed by signal 9 (SIGKILL)"
    std::string describe() const;
};

// One child that has already exited, without blocking; nullopt when none has (or there are none).
std::optional<ExitedChild> reap_exited_child();

// Kills a child of ours with SIGKILL and waits for it (it is never left a zombie). Only for a PID not
// reaped yet: until then no other process can have it.
void kill_child(pid_t pid) noexcept;

// Collects every child that has already exited, without blocking (waitpid(-1, WNOHANG) until none is
// left). Call it on each SIGCHLD: signals coalesce, so one SIGCHLD may stand for many exits.
Reaped reap_exited_children();

} // namespace netlab
