// The TCP time-stamp server's engine: event loops accepting in batches, a process or a thread per
// connection, descriptor exhaustion survived, a graceful stop (epoll(7), fork(2), signalfd(2)).
#include "stamp_server.hpp"

#include "children.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "tcp.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <exception>
#include <fmt/format.h>
#include <optional>
#include <system_error>
#include <thread>

namespace netlab::stamp {

using namespace std::chrono_literals;

std::string_view model_name(Model m) {
    return m == Model::epoll ? "epoll" : m == Model::fork ? "fork" : "threads";
}

namespace {

// The reply for the current second, encoded once per second instead of once per connection.
class Stamper {
public:
    explicit Stamper(Format format) : format_(format) {}
    const std::string& now() {
        std::time_t t = std::time(nullptr);
        if (t != last_) {
            reply_ = encode(format_, t);
            last_ = t;
        }
        return reply_;
    }

private:
    Format format_;
    std::time_t last_ = -1;
    std::string reply_;
};

constexpr std::uint64_t tag_listener = 0, tag_signal = 1, tag_worker = 2, tag_stop = 3;
// With several loops writing log lines to one pipe, each write must stay within PIPE_BUF (4096 bytes)
// to be atomic, so that no line is cut by another loop's.
constexpr std::size_t shared_output_capacity = 4000;
// How long accepting pauses when descriptors or memory run out, instead of spinning on EMFILE.
constexpr auto exhausted_pause = 100ms;
// epoll: after a batch of at least linger_batch connections, wait this long before epoll_wait, like
// interrupt coalescing. Under heavy load the next connections queue meanwhile and are taken in one
// batch, instead of each connect having to wake a sleeping server. Only then: a few clients in a
// closed loop (each connecting again as soon as it has its reply) find the server asleep in the
// wait, and lingering after every batch cost them half their rate (1 in flight: 0.85x the C epoll
// server, 2: 0.47x; 1.03x and 1.10x without it; bench/tcp_sweep.sh). A batch of 32 means a queue.
constexpr auto accept_linger = std::chrono::microseconds(20);
constexpr int linger_batch = 32;

unsigned count_loops(const ServerConfig& config) {
    if (config.model != Model::epoll) return 1;
    if (config.loops > 0) return config.loops;
    // 0: one loop per CPU
    return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

} // namespace

// What the loops and the worker threads share; owned jointly so a worker never outlives it.
struct Server::Shared {
    Shared(const ServerConfig& c, ServerHooks h, std::shared_ptr<ServerLog> l)
        : config(c), hooks(std::move(h)), log(std::move(l)) {}

    // Sends the reply; true when all of it went out. A failure is the client's (it left), not ours.
    bool reply(const Fd& conn, const std::string& text) {
        tcp::IoResult r = tcp::send_reply(conn, text, true);
        if (!r.ok()) report(Severity::debug, fmt::format("send: {}", std::strerror(r.error)));
        return r.ok();
    }
    void report(Severity severity, const std::string& text) const {
        if (hooks.report) hooks.report(severity, text);
    }

    const ServerConfig config;
    const ServerHooks hooks;
    std::shared_ptr<ServerLog> log; // every loop and thread logs here; a lost line never stops serving
    std::atomic<std::uint64_t> served{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> accept_errors{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<unsigned> live{0}; // connections being served by children or threads
    Wakeup worker_done;
    Wakeup stop; // never drained: once notified, every loop sees it readable and stops
    Clock::time_point start = Clock::now();
};

// One event loop on its own duplicate of the listener.
class Server::Loop {
public:
    Loop(std::shared_ptr<Shared> shared, Fd listener, bool alone)
        : shared_(std::move(shared)), config_(shared_->config), listener_(std::move(listener)),
          stamper_(config_.format), out_(*shared_->log, alone ? 1 << 16 : shared_output_capacity) {
        if (config_.model == Model::fork)
            signals_.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGCHLD});
        else
            signals_.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
        loop_.add(listener_.get(), EPOLLIN, tag_listener);
        loop_.add(signals_->fd().get(), EPOLLIN, tag_signal);
        if (config_.model == Model::threads) loop_.add(shared_->worker_done.fd().get(), EPOLLIN, tag_worker);
        loop_.add(shared_->stop.fd().get(), EPOLLIN, tag_stop);
    }

    void run() {
        while (!stopping_) {
            int timeout = paused_until_ ? timeout_ms_until(*paused_until_) : -1;
            auto ready = loop_.wait(out_.empty() ? timeout : 0);
            if (ready.empty() && !out_.empty()) {
                // Idle: write the buffered log lines now, one write(2) for a whole burst.
                out_.flush();
                ready = loop_.wait(timeout);
            }
            int accepted = 0;
            for (const epoll_event& ev : ready) {
                if (ev.data.u64 == tag_listener) accepted = accept_batch(batch_size);
                if (ev.data.u64 == tag_signal) on_signals();
                if (ev.data.u64 == tag_worker) shared_->worker_done.drain();
                if (ev.data.u64 == tag_stop) stopping_ = true;
            }
            if (out_.is_terminal()) out_.flush();
            if (paused_until_ && Clock::now() >= *paused_until_) paused_until_.reset();
            update_gate();
            // Then epoll_wait finds the listener (and any signal) ready without sleeping.
            if (config_.model == Model::epoll && accepted >= linger_batch && accepted < batch_size &&
                !stopping_ && !paused_until_)
                sleep_until(Clock::now() + accept_linger);
        }
        finish();
    }

    Fd duplicate_listener() const { return sys::duplicate(listener_); }

private:
    static constexpr int batch_size = 1024; // at most this many accepts before looking at signals again

    // How many more connections may be taken now.
    unsigned room() const {
        if (config_.model == Model::epoll) return batch_size;
        unsigned live = shared_->live.load();
        return live >= config_.max_children ? 0 : config_.max_children - live;
    }

    // The listener is watched only while there is room and accepting is not paused: at the children
    // bound, new connections wait in the kernel's accept queue (up to the backlog) instead.
    void update_gate() {
        bool want = !paused_until_ && room() > 0;
        if (want == gate_open_) return;
        loop_.modify(listener_.get(), want ? std::uint32_t{EPOLLIN} : 0u, tag_listener);
        gate_open_ = want;
    }

    // Accepts and serves up to `limit` waiting connections; returns how many.
    int accept_batch(int limit, bool inline_only = false) {
        SocketAddress peer;
        int i = 0;
        for (; i < limit && (inline_only || room() > 0); ++i) {
            std::optional<Fd> conn;
            try {
                conn = sys::accept(listener_, config_.log_clients ? &peer : nullptr, true);
            } catch (const Error& e) {
                on_accept_error(e);
                return i;
            }
            if (!conn) return i; // EAGAIN: the queue is empty
            if (refusing_) end_refusing();
            if (inline_only || config_.model == Model::epoll)
                serve_inline(*conn, peer);
            else if (config_.model == Model::fork)
                serve_forked(std::move(*conn), peer);
            else
                serve_threaded(std::move(*conn), peer);
        }
        return i;
    }

    void on_accept_error(const Error& e) {
        ++shared_->accept_errors;
        int err = e.error_number();
        if (err == EMFILE || err == ENFILE) {
            on_out_of_descriptors(e);
            return;
        }
        bool exhausted = err == ENOBUFS || err == ENOMEM || err == EAGAIN;
        auto now = Clock::now();
        if (!last_accept_warning_ || now - *last_accept_warning_ >= 10s) {
            std::string held =
                held_warnings_ ? fmt::format(" ({} more since the last warning)", held_warnings_) : "";
            // Running out of descriptors is an error even under -q: the server is refusing work.
            shared_->report(
                exhausted ? Severity::error : Severity::warning,
                fmt::format("{}{}{}", e.what(), exhausted ? ": pausing accepts for 100 ms" : "", held));
            last_accept_warning_ = now;
            held_warnings_ = 0;
        } else {
            ++held_warnings_;
        }
        // The listener stays readable while the queue is full, so without a pause the loop would spin.
        if (exhausted) paused_until_ = now + exhausted_pause;
    }

    // Out of descriptors: refuse the waiting connections with the reserve descriptor (or, when it is
    // gone, pause), and say so once for the whole episode, not once per refused client.
    void on_out_of_descriptors(const Error& e) {
        if (!refusing_) refused_before_ = shared_->refused.load();
        std::optional<std::size_t> refused = reserve_.refuse_waiting(listener_, batch_size);
        if (refused) shared_->refused += *refused;
        if (!refusing_) {
            // An error even under -q: the server is turning clients away.
            shared_->report(Severity::error,
                            fmt::format("{}: {}", e.what(),
                                        refused ? "refusing connections until descriptors are free"
                                                : "pausing accepts for 100 ms until descriptors are free"));
            refusing_ = true;
        }
        // Without room to refuse, the listener stays readable and the loop would spin: wait instead.
        if (!refused) paused_until_ = Clock::now() + exhausted_pause;
    }

    void end_refusing() {
        refusing_ = false;
        shared_->report(
            Severity::warning,
            fmt::format("accepting again: descriptors are free ({} connections refused meanwhile)",
                        shared_->refused.load() - refused_before_));
    }

    void serve_inline(const Fd& conn, const SocketAddress& peer) {
        if (config_.log_clients) {
            shared_->hooks.client_line(out_.text(), peer);
            out_.flush_if_full();
        }
        if (shared_->reply(conn, stamper_.now()))
            ++shared_->served;
        else
            ++shared_->failed;
    }

    // The tutorial's model: the child serves the connection and exits; the parent goes back to accept.
    void serve_forked(Fd conn, const SocketAddress& peer) {
        // The parent writes the child's log line: nothing buffered may be copied into the child, and
        // only the parent's log knows whether stdout still takes lines.
        if (config_.log_clients) shared_->hooks.client_line(out_.text(), peer);
        out_.flush();
        pid_t pid;
        try {
            pid = fork_process();
        } catch (const Error& e) {
            on_accept_error(e); // EAGAIN: too many processes; pauses like EMFILE
            return;
        }
        if (pid == 0) {
            int code = 1;
            try {
                listener_.reset(); // the child never accepts
                reserve_.release();
                code = shared_->reply(conn, stamper_.now()) ? 0 : 1;
                conn.reset();
            } catch (...) {
                // Whatever failed (memory for the reply), the child's only way to say so is its exit
                // status, which the parent counts as a failed connection; an exception must never
                // unwind into the copy of the parent's loop.
            }
            exit_child(code); // never returns into the parent's loop
        }
        ++shared_->live;
        // The child has its own copy of the descriptor. The parent must close its copy too: the
        // connection ends (FIN to the client) only when the last descriptor for it is closed, and a
        // parent that kept them would run out of descriptors after ~1000 connections.
        conn.reset();
    }

    // Like fork, with a thread: cheaper to start, but shares the address space and the descriptors.
    void serve_threaded(Fd conn, const SocketAddress& peer) {
        ++shared_->live;
        try {
            std::thread([shared = shared_, conn = std::move(conn), peer,
                         log = config_.log_clients]() mutable {
                try {
                    if (log) {
                        std::string line;
                        shared->hooks.client_line(line, peer);
                        shared->log->write(line);
                    }
                    bool ok = shared->reply(conn, encode(shared->config.format, std::time(nullptr)));
                    ++(ok ? shared->served : shared->failed);
                } catch (...) {
                    // A detached thread may let nothing escape (std::terminate): whatever failed
                    // (memory for the line or the reply), this connection counts as failed.
                    ++shared->failed;
                }
                conn.reset();
                --shared->live;
                shared->worker_done.notify();
            }).detach();
        } catch (const std::system_error& e) {
            --shared_->live;
            ++shared_->failed;
            shared_->report(Severity::warning, fmt::format("cannot start a thread: {}", e.what()));
            paused_until_ = Clock::now() + exhausted_pause;
        }
    }

    void reap() {
        Reaped r = reap_exited_children();
        shared_->live -= static_cast<unsigned>(r.exited);
        shared_->served += r.exited - r.failed;
        shared_->failed += r.failed;
    }

    void on_signals() {
        while (auto signo = signals_->read()) {
            if (*signo == SIGCHLD) {
                reap();
            } else if (!stopping_) {
                shared_->report(Severity::info, fmt::format("stopping on signal {}", strsignal(*signo)));
                stopping_ = true;
                shared_->stop.notify(); // the other loops, if any
            }
        }
    }

    // Graceful stop: connections the kernel has already completed are in the accept queue; serve
    // them rather than reset them, then close the listener and wait for children and threads.
    void finish() {
        accept_batch(1 << 20, true);
        loop_.remove(listener_.get());
        listener_.reset();
        out_.flush();
        auto deadline = Clock::now() + 10s;
        while (shared_->live.load() > 0 && Clock::now() < deadline) {
            for (const epoll_event& ev : loop_.wait(timeout_ms_until(deadline))) {
                if (ev.data.u64 == tag_signal) on_signals();
                if (ev.data.u64 == tag_worker) shared_->worker_done.drain();
            }
        }
        if (unsigned live = shared_->live.load())
            shared_->report(Severity::warning, fmt::format("{} connections still in flight at exit", live));
        out_.flush();
    }

    std::shared_ptr<Shared> shared_;
    const ServerConfig& config_;
    Fd listener_;
    tcp::AcceptReserve reserve_;
    bool refusing_ = false;
    std::uint64_t refused_before_ = 0;
    Stamper stamper_;
    OutputBuffer out_;
    std::optional<SignalFd> signals_;
    Epoll loop_{64};
    bool stopping_ = false;
    bool gate_open_ = true;
    std::optional<Clock::time_point> paused_until_;
    std::optional<Clock::time_point> last_accept_warning_;
    std::uint64_t held_warnings_ = 0;
};

Server::Server(Fd listener, const ServerConfig& config, ServerHooks hooks, std::shared_ptr<ServerLog> log)
    : shared_(std::make_shared<Shared>(config, std::move(hooks), std::move(log))) {
    unsigned loops = count_loops(config);
    // With several loops (epoll model), all accept from the same listener (each holds a duplicate
    // descriptor of it), so the kernel's work per connection, most of the cost, can spread over the
    // cores. The signals are blocked (by the first loop's signalfd) before any loop thread starts.
    loops_.push_back(std::make_unique<Loop>(shared_, std::move(listener), loops == 1));
    for (unsigned i = 1; i < loops; ++i)
        loops_.push_back(std::make_unique<Loop>(shared_, loops_.front()->duplicate_listener(), false));
}

Server::~Server() {
    // Last made, first gone: each signalfd restores the signal mask it found, so the first loop's,
    // made first, must be the last to go for the mask to end as it was before the server.
    while (!loops_.empty()) loops_.pop_back();
}

void Server::run() {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> failures(loops_.size());
    // Any exception of a loop is kept, stops the others and is rethrown once all have ended.
    auto run_loop = [this, &failures](std::size_t i) {
        try {
            loops_[i]->run();
        } catch (...) {
            failures[i] = std::current_exception();
            shared_->stop.notify();
        }
    };
    for (std::size_t i = 1; i < loops_.size(); ++i) threads.emplace_back(run_loop, i);
    run_loop(0);
    for (auto& t : threads) t.join();
    for (auto& f : failures)
        if (f) std::rethrow_exception(f);
}

ServerCounters Server::counters() const {
    ServerCounters c;
    c.served = shared_->served;
    c.failed = shared_->failed;
    c.accept_errors = shared_->accept_errors;
    c.refused = shared_->refused;
    c.seconds = seconds_between(shared_->start, Clock::now());
    return c;
}

} // namespace netlab::stamp
