// A dynamic pre-forked pool of worker processes (fork(2), waitpid(2), signalfd(2), epoll(7)), on
// lib/children and lib/event_loop.
#include "prefork_pool.hpp"

#include "children.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

namespace netlab::pool {

namespace {

constexpr std::uint64_t tag_first = 0;  // parent: signalfd; worker: listening socket
constexpr std::uint64_t tag_second = 1; // parent: scoreboard eventfd; worker: control pipe
constexpr int accept_batch = 8;         // connections a worker takes per wake-up at most

// Ready tags as a bit set (1 << tag); 0 on timeout or a signal.
unsigned wait_tags(Epoll& loop, int timeout_ms) {
    unsigned ready = 0;
    for (const epoll_event& ev : loop.wait(timeout_ms)) ready |= 1u << ev.data.u64;
    return ready;
}

// A TCP socket bound to `addr`, listening unless `listen` is false (then it only holds the port).
Fd open_listener(const SocketAddress& addr, int backlog, bool reuseport, bool listen) {
    Fd fd = sys::socket(addr.family(), SOCK_STREAM);
    sockopt::reuse_address(fd);
    if (reuseport) sockopt::reuse_port(fd);
    if (addr.is_v6()) sockopt::ipv6_only(fd);
    sys::bind(fd, addr);
    if (listen) {
        sys::listen(fd, backlog, addr);
        // Non-blocking: a wake-up another worker won the race for must not block this one in accept.
        sys::set_nonblocking(fd);
    }
    return fd;
}

std::int64_t unix_ms_now() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

} // namespace

std::optional<AcceptMode> parse_accept_mode(std::string_view name) {
    if (name == "exclusive") return AcceptMode::exclusive;
    if (name == "herd") return AcceptMode::herd;
    if (name == "reuseport") return AcceptMode::reuseport;
    return std::nullopt;
}

PreforkPool::PreforkPool(const SocketAddress& bind, const PoolConfig& config, PoolHooks hooks)
    : config_(config), hooks_(std::move(hooks)), signals_({SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}),
      board_(static_cast<std::size_t>(config.limits.max_clients)), policy_(config.limits),
      control_(static_cast<std::size_t>(config.limits.max_clients)) {
    if (auto why = check_limits(config.limits, config.start)) throw UsageError(*why);
    // A client that closes early must cost an EPIPE, not the worker.
    std::signal(SIGPIPE, SIG_IGN);
    bool reuseport = config.accept == AcceptMode::reuseport;
    listener_ = open_listener(bind, config.backlog, reuseport, !reuseport);
    local_ = sys::local_address(listener_);
    epoll_.add(signals_.fd().get(), EPOLLIN, tag_first);
    epoll_.add(board_.notify_fd().get(), EPOLLIN, tag_second);
}

PreforkPool::~PreforkPool() {
    // Normally run() has reaped everyone; after an exception, no worker may outlive the pool.
    for (std::size_t i = 0; i < board_.size(); ++i) {
        Slot& s = board_.slot(i);
        if (load_state(s) == SlotState::free || s.pid.load() <= 0) continue;
        kill_child(s.pid.load());
    }
}

void PreforkPool::report(const std::string& text) {
    if (hooks_.event) hooks_.event(text);
}

void PreforkPool::report_error(const std::string& text) {
    if (hooks_.error)
        hooks_.error(text);
    else
        report(text);
}

bool PreforkPool::spawn(std::size_t i) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
        spawn_failed(fmt::format("pipe: {}", std::strerror(errno)));
        return false;
    }
    Fd control_read(pipe_fds[0]), control_write(pipe_fds[1]);
    Slot& s = board_.slot(i);
    s.retiring.store(0);
    s.requests.store(0);
    s.empty_wakeups.store(0);
    s.generation.store(generation_);
    s.started_ms.store(unix_ms_now());
    s.state.store(static_cast<std::uint32_t>(SlotState::idle));
    std::fflush(nullptr); // or the child would write the parent's buffered output a second time
    pid_t pid;
    try {
        pid = fork_process();
    } catch (const Error& e) { // EAGAIN or ENOMEM: out of processes or memory, an episode to report
        s.state.store(static_cast<std::uint32_t>(SlotState::free));
        spawn_failed(fmt::format("fork: {}", std::strerror(e.error_number())));
        return false;
    }
    if (pid == 0) {
        control_write.reset();
        worker_main(i, std::move(control_read));
    }
    s.pid.store(pid);
    control_[i] = std::move(control_write);
    if (spawn_failing_) {
        spawn_failing_ = false;
        report(fmt::format("workers start again ({} attempts failed meanwhile)", failed_spawns_));
    }
    return true;
}

// Out of descriptors or processes: said once for the whole episode (scans come after every change
// of the scoreboard, up to 100 a second), and no new attempt before the next tick.
void PreforkPool::spawn_failed(const std::string& why) {
    spawn_blocked_ = true;
    if (spawn_failing_) {
        ++failed_spawns_;
        return;
    }
    spawn_failing_ = true;
    failed_spawns_ = 1;
    report_error(
        fmt::format("cannot start a worker: {}: the pool stays smaller, trying again every tick", why));
}

void PreforkPool::worker_main(std::size_t i, Fd control) {
    int code = 0;
    try {
        // The parent's descriptors are not ours: its signalfd would steal nothing from us (signals go
        // to the process they are sent to) but its epoll, eventfd reads and other workers' pipes must
        // not stay open here, or a retired worker's pipe would never reach end of file.
        ::close(signals_.fd().get());
        ::close(epoll_.fd().get());
        for (auto& c : control_) ::close(c.release());
        // The parent blocked its signals for the signalfd: undo that, and let the parent alone decide
        // on Ctrl-C (sent to the whole process group) and on terminal hang-up.
        std::signal(SIGINT, SIG_IGN);
        std::signal(SIGHUP, SIG_IGN);
        std::signal(SIGTERM, SIG_DFL);
        std::signal(SIGUSR1, SIG_DFL);
        std::signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);

        Fd own_listener;
        const Fd* listener = &listener_;
        if (config_.accept == AcceptMode::reuseport) {
            ::close(listener_.release());
            own_listener = open_listener(local_, config_.backlog, true, true);
            listener = &own_listener;
        }
        Epoll loop(4);
        std::uint32_t listen_events = EPOLLIN;
        if (config_.accept == AcceptMode::exclusive) listen_events |= EPOLLEXCLUSIVE;
        loop.add(listener->get(), listen_events, tag_first);
        loop.add(control.get(), EPOLLIN, tag_second);

        Slot& s = board_.slot(i);
        std::uint64_t served = 0;
        for (;;) {
            unsigned ready = wait_tags(loop, -1);
            // A wake-up for a connection is served even when the pipe closed at the same time: with
            // EPOLLEXCLUSIVE this worker may be the only one the kernel woke for it.
            if (ready & (1u << tag_first)) {
                // Under load the queue rarely empties: accepting again before the next epoll_wait saves
                // a wake-up per connection. Bounded, so a retired worker is not kept serving.
                bool recycle = false;
                int taken = 0;
                for (; taken < accept_batch && !s.retiring.load(std::memory_order_relaxed); ++taken) {
                    std::optional<Fd> conn = sys::accept(*listener, nullptr, false);
                    if (!conn) break;
                    if (taken == 0) board_.set_state(i, SlotState::busy);
                    hooks_.serve(std::move(*conn));
                    board_.count_request(i);
                    ++served;
                    recycle = config_.max_requests_per_child && served >= config_.max_requests_per_child;
                    if (recycle) break;
                }
                if (recycle) break;
                if (taken == 0)
                    s.empty_wakeups.fetch_add(1, std::memory_order_relaxed);
                else
                    board_.set_state(i, SlotState::idle);
            }
            if (ready & (1u << tag_second)) break; // end of file: the parent retired us (or died)
        }
    } catch (const std::exception&) {
        code = 1; // the parent reports the exit status and replaces the worker
    }
    std::fflush(nullptr); // the worker's own output; the parent's was flushed before the fork
    exit_child(code);
}

void PreforkPool::retire(std::size_t i) {
    Slot& s = board_.slot(i);
    s.retiring.store(1);
    control_[i].reset();
}

void PreforkPool::reap() {
    while (std::optional<ExitedChild> child = reap_exited_child()) {
        std::size_t i = board_.find_pid(child->pid);
        if (i == board_.size()) continue; // not a worker of ours
        Slot& s = board_.slot(i);
        bool expected = s.retiring.load() != 0 || (child->succeeded() && config_.max_requests_per_child);
        if (!expected)
            report(fmt::format("worker {} (pid {}) {}: slot freed", i, child->pid, child->describe()));
        control_[i].reset();
        s.pid.store(0);
        s.retiring.store(0);
        s.state.store(static_cast<std::uint32_t>(SlotState::free));
    }
}

void PreforkPool::scan() {
    board_.rearm();
    if (!stopping_) {
        while (!spawn_blocked_ && restart_pending_ > 0 &&
               board_.counts().live() < config_.limits.max_clients) {
            std::size_t i = board_.first_free();
            if (i == board_.size() || !spawn(i)) break;
            --restart_pending_;
        }
        Decision d = policy_.decide(board_.counts());
        for (int n = 0; n < d.spawn && !spawn_blocked_; ++n) {
            std::size_t i = board_.first_free();
            if (i == board_.size() || !spawn(i)) break;
        }
        if (d.retire > 0) {
            // The highest idle slot goes, so that the view stays packed to the left.
            for (std::size_t i = board_.size(); i-- > 0;) {
                Slot& s = board_.slot(i);
                if (load_state(s) == SlotState::idle && !s.retiring.load()) {
                    retire(i);
                    break;
                }
            }
        }
        if (d.at_limit && !at_limit_reported_)
            report(fmt::format("--max-clients ({}) reached with fewer than --min-spare idle workers: "
                               "new connections may wait in the backlog",
                               config_.limits.max_clients));
        at_limit_reported_ = d.at_limit;
    }
    // The view plus who lives in each slot: a worker replaced within one scan is a change too.
    std::string signature = board_.render();
    for (std::size_t i = 0; i < board_.size(); ++i) {
        const Slot& s = board_.slot(i);
        signature += fmt::format(" {}{}", s.pid.load(), s.retiring.load() ? "g" : "");
    }
    if (signature != last_signature_) {
        last_signature_ = std::move(signature);
        if (hooks_.changed) hooks_.changed(board_);
    }
}

void PreforkPool::begin_shutdown() {
    if (stopping_) return;
    stopping_ = true;
    restart_pending_ = 0;
    listener_.reset();
    for (std::size_t i = 0; i < board_.size(); ++i)
        if (load_state(board_.slot(i)) != SlotState::free) retire(i);
}

void PreforkPool::restart() {
    ++generation_;
    for (std::size_t i = 0; i < board_.size(); ++i) {
        Slot& s = board_.slot(i);
        if (load_state(s) != SlotState::free && !s.retiring.load()) retire(i);
    }
    restart_pending_ = std::max(config_.start, config_.limits.min_spare);
}

void PreforkPool::run() {
    // The first failure (out of descriptors or processes) ends the start: the tick retries, once.
    for (int n = 0; n < config_.start && !spawn_blocked_; ++n) spawn(static_cast<std::size_t>(n));
    auto now = Clock::now();
    auto next_tick = now + config_.tick;
    auto last_scan = now;
    std::optional<Clock::time_point> scan_due = now; // the first scan right away
    std::optional<Clock::time_point> kill_at;
    bool killed = false;
    for (;;) {
        now = Clock::now();
        auto wake = next_tick;
        if (scan_due) wake = std::min(wake, *scan_due);
        if (kill_at && !killed) wake = std::min(wake, *kill_at);
        unsigned ready = wait_tags(epoll_, timeout_ms_until(wake, now));
        now = Clock::now();
        bool dump = false;
        if (ready & (1u << tag_first)) {
            while (auto sig = signals_.read()) {
                if (*sig == SIGCHLD) {
                    reap();
                    scan_due = now; // a death is handled at once, not at the pace of notifications
                } else if (*sig == SIGTERM || *sig == SIGINT) {
                    begin_shutdown();
                    kill_at = now + config_.grace;
                    scan_due = now;
                } else if (*sig == SIGHUP && !stopping_) {
                    restart();
                    scan_due = now;
                } else if (*sig == SIGUSR1) {
                    dump = true;
                }
            }
        }
        if (ready & (1u << tag_second)) {
            board_.drain();
            // Leave the pending flag set until the scan: workers skip their eventfd write meanwhile.
            auto due = std::max(now, last_scan + config_.scan_interval);
            scan_due = scan_due ? std::min(*scan_due, due) : due;
        }
        if (now >= next_tick) {
            policy_.tick();
            spawn_blocked_ = false;
            next_tick = now + config_.tick;
            scan_due = now;
        }
        if (scan_due && now >= *scan_due) {
            scan();
            last_scan = now;
            scan_due.reset();
        }
        if (dump && hooks_.dump) hooks_.dump(board_);
        if (stopping_) {
            if (board_.counts().live() == 0) break;
            if (kill_at && now >= *kill_at && !killed) {
                // Grace is over: the pids are still ours (not yet reaped), so no other process is hit.
                for (std::size_t i = 0; i < board_.size(); ++i) {
                    const Slot& s = board_.slot(i);
                    if (load_state(s) != SlotState::free && s.pid.load() > 0) ::kill(s.pid.load(), SIGKILL);
                }
                killed = true;
            }
        }
    }
    reap();
}

} // namespace netlab::pool
