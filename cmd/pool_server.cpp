// pool-server: the tutorial's dynamic process-pool time-stamp server, without its races: a pre-forked
// pool kept between --min-spare and --max-spare idle workers, watched through a shared scoreboard.
// Stamp formats: RFC 868 (Time), RFC 867 (Daytime) or the tutorial's "%lld\n" (lib/time_stamp.hpp).
#include "commands.hpp"
#include "endpoint_options.hpp"

#include "clock.hpp"
#include "error.hpp"
#include "json.hpp"
#include "output.hpp"
#include "prefork_pool.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions bind;
    int min_spare = 5;
    int max_spare = 10;
    int max_clients = 20;
    int start = -1; // -1: --min-spare
    std::uint64_t max_requests_per_child = 0;
    int work_ms = 0;
    int grace_ms = 5000;
    int tick_ms = 1000;
    std::string format = "unix";
    std::string accept = "exclusive";
    bool status_json = false;
};

std::string scoreboard_json(const pool::Scoreboard& board, const char* type) {
    pool::Counts c = board.counts();
    std::string out;
    json::Line line(out);
    line.field("type", type)
        .field("time_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count())
        .field("workers", c.live())
        .field("idle", c.idle)
        .field("busy", c.busy)
        .field("retiring", c.retiring)
        .field("max_clients", board.size())
        .field("view", board.render())
        .open_array("slots");
    for (std::size_t i = 0; i < board.size(); ++i) {
        const pool::Slot& s = board.slot(i);
        pool::SlotState st = pool::load_state(s);
        if (st == pool::SlotState::free) continue;
        line.open_object()
            .field("slot", i)
            .field("pid", s.pid.load())
            .field("state", pool::state_name(st))
            .field("retiring", s.retiring.load() != 0)
            .field("requests", s.requests.load())
            .field("empty_wakeups", s.empty_wakeups.load())
            .field("started_ms", s.started_ms.load())
            .field("generation", s.generation.load())
            .close_object();
    }
    line.close_array().end();
    return out;
}

std::string scoreboard_table(const pool::Scoreboard& board) {
    std::string out = "slot    pid  state     requests  empty-wakeups  age-s  generation\n";
    std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    for (std::size_t i = 0; i < board.size(); ++i) {
        const pool::Slot& s = board.slot(i);
        pool::SlotState st = pool::load_state(s);
        if (st == pool::SlotState::free) continue;
        std::string state(pool::state_name(st));
        if (s.retiring.load()) state += "(G)";
        out += fmt::format("{:>4} {:>6}  {:<8} {:>9} {:>14} {:>6.1f} {:>11}\n", i, s.pid.load(), state,
                           s.requests.load(), s.empty_wakeups.load(),
                           static_cast<double>(now_ms - s.started_ms.load()) / 1000.0, s.generation.load());
    }
    return out;
}

// The tutorial's live view: one character per slot. On a terminal it is redrawn in place; into a
// pipe or file, one line per change so that a log shows how the pool breathed.
class LiveView {
public:
    LiveView() : terminal_(::isatty(2) == 1) {}
    ~LiveView() {
        if (terminal_ && drawn_) fmt::print(stderr, "\n");
    }
    void draw(const pool::Scoreboard& board) {
        pool::Counts c = board.counts();
        std::string line = fmt::format("[{}] {} idle, {} busy", board.render(), c.idle, c.busy);
        if (c.retiring) line += fmt::format(", {} retiring", c.retiring);
        if (terminal_)
            fmt::print(stderr, "\r{}\x1b[K", line);
        else
            fmt::print(stderr, "{}\n", line);
        std::fflush(stderr);
        drawn_ = true;
    }
    // A log line must not land in the middle of the view's line.
    void before_log() {
        if (terminal_ && drawn_) fmt::print(stderr, "\n");
    }

private:
    bool terminal_;
    bool drawn_ = false;
};

int run_pool_server(const Options& opt, const GlobalOptions& global) {
    auto format = stamp::parse_format_name(opt.format);
    if (!format) throw UsageError("--format must be unix, rfc868 or daytime, not '" + opt.format + "'");
    auto accept = pool::parse_accept_mode(opt.accept);
    if (!accept) throw UsageError("--accept must be exclusive, herd or reuseport, not '" + opt.accept + "'");

    pool::PoolConfig config;
    config.limits.min_spare = opt.min_spare;
    config.limits.max_spare = opt.max_spare;
    config.limits.max_clients = opt.max_clients;
    config.start = opt.start < 0 ? std::min(opt.min_spare, opt.max_clients) : opt.start;
    config.max_requests_per_child = opt.max_requests_per_child;
    config.grace = std::chrono::milliseconds(opt.grace_ms);
    config.tick = std::chrono::milliseconds(opt.tick_ms);
    config.accept = *accept;
    if (auto why = pool::check_limits(config.limits, config.start)) throw UsageError(*why);

    // Scoreboard lines are the pool's live view in JSON: -q silences them as it does the text view,
    // unless --status-json asked for them by name. A SIGUSR1 dump is asked for, so -q keeps it.
    bool json = opt.status_json || global.json;
    bool live_json = opt.status_json || (global.json && !global.quiet);
    bool show_view = !json && !global.quiet;
    auto view = std::make_shared<LiveView>();
    auto work = std::chrono::milliseconds(opt.work_ms);
    stamp::Format fmt_choice = *format;

    pool::PoolHooks hooks;
    hooks.serve = [fmt_choice, work](Fd conn) {
        std::string reply = stamp::encode(fmt_choice, static_cast<std::int64_t>(std::time(nullptr)));
        // A client that left early (EPIPE, ECONNRESET) costs its reply, nothing more.
        if (tcp::IoResult r = tcp::send_reply(conn, reply); !r.ok())
            spdlog::debug("reply not sent: {}", std::strerror(r.error));
        conn.reset();
        // The tutorial's sleep(5) after each client, made optional: the pool can be watched growing.
        if (work.count() > 0) sleep_until(Clock::now() + work);
    };
    // Live snapshots may be dropped when stdout is a pipe that is not being read; dumps (SIGUSR1) and
    // the final state are asked for, so they wait.
    auto log = std::make_shared<ServerLog>(STDOUT_FILENO);
    watch_server_log(*log, "pool-server");
    auto snapshots = std::make_shared<SnapshotWriter>(*log);
    hooks.changed = [live_json, show_view, view, snapshots](const pool::Scoreboard& board) {
        if (live_json) {
            if (!snapshots->write(scoreboard_json(board, "scoreboard")) && snapshots->dropped() == 1)
                spdlog::warn("stdout is not being read: dropping scoreboard lines until it is");
        } else if (show_view) {
            view->draw(board);
        }
    };
    hooks.dump = [json, view, log](const pool::Scoreboard& board) {
        if (json) {
            log->write(scoreboard_json(board, "dump"));
        } else {
            view->before_log();
            fmt::print(stderr, "{}", scoreboard_table(board));
            std::fflush(stderr);
        }
    };
    hooks.event = [view](const std::string& text) {
        view->before_log();
        spdlog::warn("{}", text);
    };
    hooks.error = [view](const std::string& text) {
        view->before_log();
        spdlog::error("{}", text);
    };

    SocketAddress local = opt.bind.resolve(stamp::default_port, true);
    pool::PreforkPool server(local, config, std::move(hooks));
    // Tests and scripts read the port from this line, so it is never silenced.
    fmt::print(stderr, "netlab pool-server: listening on {}\n", server.local_address().to_string());
    std::fflush(stderr);
    server.run();
    view.reset();
    if (snapshots->dropped())
        spdlog::warn("{} scoreboard lines dropped while stdout was not being read", snapshots->dropped());
    spdlog::info("stopped: every worker reaped");
    return server_exit_code(*log);
}

} // namespace

Runner register_pool_server(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description(
        "Serve the time stamp from a dynamic pool of pre-forked worker processes (like Apache prefork):\n"
        "between --min-spare and --max-spare idle workers, at most --max-clients in all. The live view on\n"
        "stderr shows one character per slot: '.' idle, 'X' busy, 'G' retiring, ' ' free.\n"
        "SIGUSR1 dumps the scoreboard, SIGHUP restarts the workers gracefully, SIGTERM/SIGINT let busy\n"
        "workers finish (at most --grace-ms) and exit 0. Default: bind 0.0.0.0:2333.");
    man.examples = {
        {"--work-ms 1000", "Watch the scoreboard grow under a burst of clients (kill -USR1 dumps it)."},
        {"--min-spare 2 --max-spare 8 --max-clients 32", "Bound the pool between 2 and 8 idle workers."},
    };
    man.see_also = "netlab-tcp-stamp-server(1), netlab-tcp-stamp-client(1)";
    opt->bind.add_to(app, "-b,--bind", "Local address to bind (default 0.0.0.0:2333)");
    app.add_option("--min-spare", opt->min_spare, "Fewest idle workers to keep")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    app.add_option("--max-spare", opt->max_spare,
                   "Most idle workers to keep (more are retired, one per tick)")
        ->check(CLI::Range(0, 4096))
        ->capture_default_str();
    app.add_option("--max-clients", opt->max_clients, "Hard bound on worker processes")
        ->check(CLI::Range(1, 4096))
        ->capture_default_str();
    app.add_option("--start", opt->start, "Workers started at once (default: --min-spare)")
        ->check(CLI::Range(0, 4096));
    app.add_option("--max-requests-per-child", opt->max_requests_per_child,
                   "Recycle a worker after this many connections (0 = never)")
        ->transform(whole_number())
        ->type_name("N")
        ->capture_default_str();
    app.add_option("--work-ms", opt->work_ms, "Simulated work per connection after the reply, in ms")
        ->check(CLI::Range(0, 600000))
        ->capture_default_str();
    app.add_option("--grace-ms", opt->grace_ms, "On SIGTERM, how long busy workers may finish")
        ->check(CLI::Range(0, 600000))
        ->capture_default_str();
    app.add_option("--tick-ms", opt->tick_ms,
                   "Maintenance period: the spawn rate (1, 2, 4 ... 32 per tick) and one retirement per tick")
        ->check(CLI::Range(10, 60000))
        ->capture_default_str();
    app.add_option("--format", opt->format, "Stamp format: unix (\"%lld\\n\"), rfc868 or daytime")
        ->capture_default_str();
    app.add_option("--accept", opt->accept,
                   "How idle workers share the socket: exclusive (EPOLLEXCLUSIVE), herd (plain epoll, "
                   "every idle worker wakes) or reuseport (one SO_REUSEPORT socket per worker)")
        ->capture_default_str();
    app.add_flag("--status-json", opt->status_json,
                 "Print the scoreboard as a JSON line on stdout at every change instead of the view");
    return [opt, &global] { return run_pool_server(*opt, global); };
}

} // namespace netlab::cmd
