// tcp-stamp-server: the tutorial's TCP time-stamp server. Each connection gets the current time and is
// closed. Three concurrency models: epoll (an event loop), fork (a process per connection, as in the
// tutorial) and threads (a thread per connection). Formats: RFC 868 Time, RFC 867 Daytime, "%lld\n".
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "stamp_options.hpp"

#include "children.hpp"
#include "clock.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "json.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "stamp_datagram.hpp"
#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <exception>
#include <fmt/format.h>
#include <memory>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>

namespace netlab::cmd {

namespace {

using namespace std::chrono_literals;

enum class Model { epoll, fork, threads };

struct Options {
    EndpointOptions bind;
    int backlog = tcp::default_backlog;
    Model model = Model::epoll;
    stamp::Format format = stamp::Format::unix_seconds;
    unsigned max_children = 256;
    // epoll: event loops (threads) sharing the listener; 0 = one per CPU, at most 4. One by default: on
    // loopback the clients share the CPUs, and a second loop measured slower (docs/tcp-stamp.md).
    unsigned loops = 1;
    bool stats = false;
    bool udp = false;
    stamp::DatagramConfig datagram;
};

std::string_view model_name(Model m) {
    return m == Model::epoll ? "epoll" : m == Model::fork ? "fork" : "threads";
}

// The reply for the current second, encoded once per second instead of once per connection.
class Stamper {
public:
    explicit Stamper(stamp::Format format) : format_(format) {}
    const std::string& now() {
        std::time_t t = std::time(nullptr);
        if (t != last_) {
            reply_ = stamp::encode(format_, t);
            last_ = t;
        }
        return reply_;
    }

private:
    stamp::Format format_;
    std::time_t last_ = -1;
    std::string reply_;
};

// The tutorial's log line "client IP PORT", or the same as a JSON object.
void append_client_line(std::string& out, const SocketAddress& peer, bool as_json) {
    if (as_json)
        json::Line(out).field("type", "client").field("ip", peer.ip()).field("port", peer.port()).end();
    else
        fmt::format_to(std::back_inserter(out), "client {} {}\n", peer.ip(), peer.port());
}

// One non-blocking send: the reply is at most 32 bytes, far less than any socket buffer, so it either
// goes out whole at once or the peer is gone (EPIPE, ECONNRESET). It never waits on a slow client.
// send_last: the close that follows sends the reply and the FIN in one segment.
bool send_reply(const Fd& conn, const std::string& reply) {
    tcp::IoResult r = tcp::send_last(conn, reply.data(), reply.size(), true);
    if (!r.ok()) spdlog::debug("send: {}", std::strerror(r.error));
    return r.ok() && r.bytes == reply.size();
}

// What workers (threads) share with the loop; owned jointly so a worker never outlives it.
struct Shared {
    std::atomic<std::uint64_t> served{0};
    std::atomic<std::uint64_t> failed{0};
    std::atomic<std::uint64_t> accept_errors{0};
    std::atomic<std::uint64_t> refused{0}; // reset at once while out of descriptors
    std::atomic<unsigned> live{0};         // connections being served by children or threads
    Wakeup worker_done;
    Wakeup stop; // never drained: once notified, every loop sees it readable and stops
    Clock::time_point start = Clock::now();
    ServerLog log{STDOUT_FILENO}; // every loop and thread logs here; a lost line never stops serving
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

class Server {
public:
    Server(const Options& opt, const GlobalOptions& global, Fd listener, std::shared_ptr<Shared> shared,
           bool alone)
        : opt_(opt), global_(global), listener_(std::move(listener)), stamper_(opt.format),
          shared_(std::move(shared)), out_(shared_->log, alone ? 1 << 16 : shared_output_capacity),
          log_clients_(!global.quiet) {
        if (opt.model == Model::fork)
            signals_.emplace(std::initializer_list<int>{SIGINT, SIGTERM, SIGCHLD});
        else
            signals_.emplace(std::initializer_list<int>{SIGINT, SIGTERM});
        loop_.add(listener_.get(), EPOLLIN, tag_listener);
        loop_.add(signals_->fd().get(), EPOLLIN, tag_signal);
        if (opt.model == Model::threads) loop_.add(shared_->worker_done.fd().get(), EPOLLIN, tag_worker);
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
            if (opt_.model == Model::epoll && accepted >= linger_batch && accepted < batch_size &&
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
        if (opt_.model == Model::epoll) return batch_size;
        unsigned live = shared_->live.load();
        return live >= opt_.max_children ? 0 : opt_.max_children - live;
    }

    // The listener is watched only while there is room and accepting is not paused: at the children
    // bound, new connections wait in the kernel's accept queue (up to --backlog) instead.
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
                conn = sys::accept(listener_, log_clients_ ? &peer : nullptr, true);
            } catch (const Error& e) {
                on_accept_error(e);
                return i;
            }
            if (!conn) return i; // EAGAIN: the queue is empty
            if (refusing_) end_refusing();
            if (inline_only || opt_.model == Model::epoll)
                serve_inline(*conn, peer);
            else if (opt_.model == Model::fork)
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
            spdlog::log(exhausted ? spdlog::level::err : spdlog::level::warn, "{}{}{}", e.what(),
                        exhausted ? ": pausing accepts for 100 ms" : "", held);
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
            spdlog::error("{}: {}", e.what(),
                          refused ? "refusing connections until descriptors are free"
                                  : "pausing accepts for 100 ms until descriptors are free");
            refusing_ = true;
        }
        // Without room to refuse, the listener stays readable and the loop would spin: wait instead.
        if (!refused) paused_until_ = Clock::now() + exhausted_pause;
    }

    void end_refusing() {
        refusing_ = false;
        spdlog::warn("accepting again: descriptors are free ({} connections refused meanwhile)",
                     shared_->refused.load() - refused_before_);
    }

    void serve_inline(const Fd& conn, const SocketAddress& peer) {
        if (log_clients_) {
            append_client_line(out_.text(), peer, global_.json);
            out_.flush_if_full();
        }
        if (send_reply(conn, stamper_.now()))
            ++shared_->served;
        else
            ++shared_->failed;
    }

    // The tutorial's model: the child serves the connection and exits; the parent goes back to accept.
    void serve_forked(Fd conn, const SocketAddress& peer) {
        // The parent writes the child's log line: nothing buffered may be copied into the child, and
        // only the parent's log knows whether stdout still takes lines.
        if (log_clients_) append_client_line(out_.text(), peer, global_.json);
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
                code = send_reply(conn, stamper_.now()) ? 0 : 1;
                conn.reset();
            } catch (...) {
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
            std::thread([shared = shared_, conn = std::move(conn), peer, log = log_clients_,
                         json = global_.json, format = opt_.format]() mutable {
                try {
                    if (log) {
                        std::string line;
                        append_client_line(line, peer, json);
                        shared->log.write(line);
                    }
                    bool ok = send_reply(conn, stamp::encode(format, std::time(nullptr)));
                    ++(ok ? shared->served : shared->failed);
                } catch (...) {
                    ++shared->failed;
                }
                conn.reset();
                --shared->live;
                shared->worker_done.notify();
            }).detach();
        } catch (const std::system_error& e) {
            --shared_->live;
            ++shared_->failed;
            spdlog::warn("cannot start a thread: {}", e.what());
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
                spdlog::info("stopping on signal {}", strsignal(*signo));
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
            spdlog::warn("{} connections still in flight at exit", live);
        out_.flush();
    }

    const Options& opt_;
    const GlobalOptions& global_;
    Fd listener_;
    tcp::AcceptReserve reserve_;
    bool refusing_ = false;
    std::uint64_t refused_before_ = 0;
    Stamper stamper_;
    std::shared_ptr<Shared> shared_;
    OutputBuffer out_;
    bool log_clients_;
    std::optional<SignalFd> signals_;
    Epoll loop_{64};
    bool stopping_ = false;
    bool gate_open_ = true;
    std::optional<Clock::time_point> paused_until_;
    std::optional<Clock::time_point> last_accept_warning_;
    std::uint64_t held_warnings_ = 0;
};

void print_stats(Shared& shared, const Options& opt, const GlobalOptions& global) {
    double seconds = seconds_between(shared.start, Clock::now());
    std::uint64_t served = shared.served, failed = shared.failed, accept_errors = shared.accept_errors,
                  refused = shared.refused;
    if (global.json) {
        std::string line;
        json::Line(line)
            .field("type", "stats")
            .field("model", model_name(opt.model))
            .field("served", served)
            .field("failed", failed)
            .field("accept_errors", accept_errors)
            .field("refused", refused)
            .field("seconds", json::Fixed{seconds, 6})
            .end();
        shared.log.write(line);
    } else {
        fmt::print(stderr,
                   "served {} connections, {} failed, {} accept errors, {} refused in {:.3f} s ({} model)\n",
                   served, failed, accept_errors, refused, seconds, model_name(opt.model));
    }
}

unsigned loop_count(const Options& opt) {
    if (opt.model != Model::epoll) return 1;
    if (opt.loops > 0) return opt.loops;
    // 0: one loop per CPU
    return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

// --udp: RFC 868/867 as datagrams (inetd's `time dgram`, `daytime dgram`): each datagram one reply.
int run_datagram_server(const Options& opt, const GlobalOptions& global) {
    SocketAddress local = opt.bind.resolve(stamp::default_port, true);
    Fd sock = sys::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK);
    sys::bind(sock, local);
    SignalFd signals{SIGINT, SIGTERM};
    announce_listening("tcp-stamp-server", local.port(), sys::local_address(sock),
                       fmt::format(" (udp, {} format, at most {:g} replies/s per source)",
                                   stamp::format_name(opt.format), opt.datagram.per_source));
    ServerLog log(STDOUT_FILENO);
    watch_server_log(log, "tcp-stamp-server");
    stamp::DatagramConfig config = opt.datagram;
    config.format = opt.format;
    auto start = Clock::now();
    std::string line;
    stamp::DatagramCounters c =
        stamp::serve_datagrams(sock, signals.fd(), config, [&](const SocketAddress& peer) {
            if (global.quiet) return;
            line.clear();
            append_client_line(line, peer, global.json);
            log.write(line);
        });
    signals.read();
    if (opt.stats) {
        double seconds = seconds_between(start, Clock::now());
        if (global.json) {
            std::string stats;
            json::Line(stats)
                .field("type", "stats")
                .field("transport", "udp")
                .field("received", c.received)
                .field("served", c.served)
                .field("rate_limited", c.limited)
                .field("seconds", json::Fixed{seconds, 6})
                .end();
            log.write(stats);
        } else {
            fmt::print(stderr, "received {} datagrams, served {}, {} rate-limited in {:.3f} s (udp)\n",
                       c.received, c.served, c.limited, seconds);
        }
    }
    return server_exit_code(log);
}

int run_tcp_stamp_server(const Options& opt, const GlobalOptions& global) {
    if (opt.udp) return run_datagram_server(opt, global);
    SocketAddress local = opt.bind.resolve(stamp::default_port, true);
    Fd listener = tcp::listen(local, opt.backlog, true);
    SocketAddress bound = sys::local_address(listener);
    auto shared = std::make_shared<Shared>();
    watch_server_log(shared->log, "tcp-stamp-server");
    unsigned loops = loop_count(opt);
    // With --loops N the epoll model runs N loops, all accepting from the same listener (each holds a
    // duplicate descriptor of it), so the kernel's work per connection, most of the cost, can spread
    // over the cores. The signals are blocked before any loop thread starts: only signalfds see them.
    Server server(opt, global, std::move(listener), shared, loops == 1);
    std::vector<std::unique_ptr<Server>> others;
    for (unsigned i = 1; i < loops; ++i)
        others.push_back(std::make_unique<Server>(opt, global, server.duplicate_listener(), shared, false));
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> failures(others.size());
    for (std::size_t i = 0; i < others.size(); ++i)
        threads.emplace_back([&, i] {
            try {
                others[i]->run();
            } catch (...) {
                failures[i] = std::current_exception();
                shared->stop.notify();
            }
        });
    // It comes once every descriptor the server keeps is open, so tests can count them from here on.
    announce_listening(
        "tcp-stamp-server", local.port(), bound,
        fmt::format(" ({} model, {} format)", model_name(opt.model), stamp::format_name(opt.format)));
    std::exception_ptr failure;
    try {
        server.run();
    } catch (...) {
        failure = std::current_exception();
        shared->stop.notify();
    }
    for (auto& t : threads) t.join();
    for (auto& f : failures)
        if (!failure) failure = f;
    if (failure) std::rethrow_exception(failure);
    if (opt.stats) print_stats(*shared, opt, global);
    return server_exit_code(shared->log);
}

} // namespace

Runner register_tcp_stamp_server(CLI::App& app, const GlobalOptions& global) {
    auto opt = std::make_shared<Options>();
    app.description("Serve the current time over TCP as the tutorial's server does: for each connection,\n"
                    "log 'client IP PORT', send the Unix time as \"%lld\\n\" and close.\n"
                    "Default: 0.0.0.0:2333, epoll model. SIGINT/SIGTERM stop it gracefully.");
    opt->bind.add_to(app, "-b,--bind", "Local address to listen on (default 0.0.0.0:2333)");
    app.add_option("--backlog", opt->backlog,
                   "listen(2) backlog: completed connections the kernel queues (default: the most the\n"
                   "system allows, net.core.somaxconn)")
        ->check(CLI::Range(1, 1 << 20));
    static const std::map<std::string, Model> models = {
        {"epoll", Model::epoll}, {"fork", Model::fork}, {"threads", Model::threads}};
    app.add_option("-m,--model", opt->model,
                   "Concurrency: epoll (one event loop), fork (a process per connection), threads "
                   "(a thread per connection)")
        ->transform(CLI::CheckedTransformer(models, CLI::ignore_case))
        ->default_str("epoll")
        ->type_name("MODEL");
    add_format_option(app, opt->format);
    app.add_option("--max-children", opt->max_children,
                   "fork and threads: at most this many connections served at once; more wait in the queue")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.add_option("--loops", opt->loops,
                   "epoll: event loops sharing the listener (0 = one per CPU, at most 4)")
        ->check(CLI::Range(0u, 64u))
        ->capture_default_str()
        ->type_name("N");
    app.add_flag("-s,--stats", opt->stats, "Print connections served and errors at exit");
    app.add_flag("-u,--udp", opt->udp,
                 "Serve over UDP instead (inetd's time/daytime dgram): any datagram gets one reply,\n"
                 "at most --udp-rate a second per source address, so forged sources cannot turn the\n"
                 "server into a reflector");
    app.add_option("--udp-rate", opt->datagram.per_source,
                   "--udp: replies a second to one source address, in bursts of up to twice that")
        ->check(CLI::Range(0.1, 1e6))
        ->capture_default_str()
        ->each([opt](const std::string& rate) { opt->datagram.burst = 2 * std::stod(rate); });
    return [opt, &global] { return run_tcp_stamp_server(*opt, global); };
}

} // namespace netlab::cmd
