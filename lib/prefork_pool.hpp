// A dynamic pre-forked pool of worker processes sharing one listening TCP socket, managed like Apache's
// prefork MPM: fork(2), waitpid(2) on SIGCHLD read from a signalfd(2), epoll(7) with EPOLLEXCLUSIVE.
#pragma once

#include "address.hpp"
#include "event_loop.hpp"
#include "fd.hpp"
#include "pool_policy.hpp"
#include "scoreboard.hpp"
#include "signals.hpp"
#include "tcp.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::pool {

// How idle workers wait for a connection on the shared socket:
//   exclusive  each worker's epoll holds the socket with EPOLLEXCLUSIVE: one wake-up per connection
//   herd       the same without EPOLLEXCLUSIVE: every idle worker wakes (the thundering herd)
//   reuseport  each worker listens on its own SO_REUSEPORT socket; the kernel hashes connections
enum class AcceptMode { exclusive, herd, reuseport };
std::optional<AcceptMode> parse_accept_mode(std::string_view name);

struct PoolConfig {
    PoolLimits limits;
    int start = 5;
    std::uint64_t max_requests_per_child = 0;    // 0 = never recycle
    std::chrono::milliseconds tick{1000};        // maintenance period: spawn budget and retirement pace
    std::chrono::milliseconds grace{5000};       // how long busy workers may finish on SIGTERM
    std::chrono::milliseconds scan_interval{10}; // at most one scan per interval while notifications pour in
    AcceptMode accept = AcceptMode::exclusive;
    int backlog = tcp::default_backlog; // capped by the kernel at net.core.somaxconn
};

struct PoolHooks {
    // In a worker: serve one accepted connection (the hook owns and closes it). Exceptions end the worker.
    std::function<void(Fd connection)> serve;
    // In the parent, after a scan that changed the view or the counts.
    std::function<void(const Scoreboard&)> changed;
    // In the parent, on SIGUSR1.
    std::function<void(const Scoreboard&)> dump;
    // In the parent: a line worth logging ("worker 3 (pid 123) killed by signal 9").
    std::function<void(const std::string&)> event;
    // In the parent: a shortage the pool works around but the operator must hear of, even under -q
    // ("cannot start a worker: pipe: Too many open files"); said once per episode.
    std::function<void(const std::string&)> error;
};

class PreforkPool {
public:
    // Blocks the pool's signals (into a signalfd) and opens the listening socket; no worker yet.
    PreforkPool(const SocketAddress& bind, const PoolConfig& config, PoolHooks hooks);
    ~PreforkPool();
    PreforkPool(const PreforkPool&) = delete;
    PreforkPool& operator=(const PreforkPool&) = delete;

    SocketAddress local_address() const { return local_; }
    const Scoreboard& scoreboard() const { return board_; }

    // Starts the workers and manages them until SIGTERM or SIGINT, then stops them (busy ones get
    // config.grace to finish, then SIGKILL) and returns once every child is reaped.
    void run();

private:
    bool spawn(std::size_t slot); // false when pipe(2) or fork(2) failed
    void spawn_failed(const std::string& why);
    [[noreturn]] void worker_main(std::size_t slot, Fd control);
    void retire(std::size_t slot);
    void reap();
    void scan();
    void begin_shutdown();
    void restart();
    void report(const std::string& text);
    void report_error(const std::string& text);

    PoolConfig config_;
    PoolHooks hooks_;
    SignalFd signals_;
    Scoreboard board_;
    SpawnPolicy policy_;
    Fd listener_; // exclusive, herd: the shared socket; reuseport: bound, never listening, holds the port
    SocketAddress local_;
    Epoll epoll_{4};
    std::vector<Fd> control_; // per slot: the write end of the worker's pipe; closing it retires the worker
    std::uint32_t generation_ = 0;
    int restart_pending_ = 0;
    bool stopping_ = false;
    bool at_limit_reported_ = false;
    bool spawn_failing_ = false;      // the last attempt to start a worker failed
    bool spawn_blocked_ = false;      // ... and none is made again before the next tick
    std::uint64_t failed_spawns_ = 0; // attempts failed in this episode
    std::string last_signature_;
};

} // namespace netlab::pool
