// tcp-stamp-server: the tutorial's TCP time-stamp server. Each connection gets the current time and is
// closed. Three concurrency models: epoll (an event loop), fork (a process per connection, as in the
// tutorial) and threads (a thread per connection). Formats: RFC 868 Time, RFC 867 Daytime, "%lld\n".
// The engine is lib/stamp_server; here are its options, its log lines and its statistics.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "stamp_options.hpp"

#include "clock.hpp"
#include "json.hpp"
#include "output.hpp"
#include "signals.hpp"
#include "stamp_datagram.hpp"
#include "stamp_server.hpp"
#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <fmt/format.h>
#include <memory>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace netlab::cmd {

namespace {

using stamp::Model;

struct Options {
    EndpointOptions bind;
    int backlog = tcp::default_backlog;
    stamp::ServerConfig server;
    bool stats = false;
    bool udp = false;
    stamp::DatagramConfig datagram;
};

// The tutorial's log line "client IP PORT", or the same as a JSON object.
void append_client_line(std::string& out, const SocketAddress& peer, bool as_json) {
    if (as_json)
        json::Line(out).field("type", "client").field("ip", peer.ip()).field("port", peer.port()).end();
    else
        fmt::format_to(std::back_inserter(out), "client {} {}\n", peer.ip(), peer.port());
}

void print_stats(const stamp::ServerCounters& c, Model model, ServerLog& log, const GlobalOptions& global) {
    if (global.json) {
        std::string line;
        json::Line(line)
            .field("type", "stats")
            .field("model", stamp::model_name(model))
            .field("served", c.served)
            .field("failed", c.failed)
            .field("accept_errors", c.accept_errors)
            .field("refused", c.refused)
            .field("seconds", json::Fixed{c.seconds, 6})
            .end();
        log.write(line);
    } else {
        fmt::print(stderr,
                   "served {} connections, {} failed, {} accept errors, {} refused in {:.3f} s ({} model)\n",
                   c.served, c.failed, c.accept_errors, c.refused, c.seconds, stamp::model_name(model));
    }
}

spdlog::level::level_enum level_of(stamp::Severity s) {
    switch (s) {
    case stamp::Severity::debug:
        return spdlog::level::debug;
    case stamp::Severity::info:
        return spdlog::level::info;
    case stamp::Severity::warning:
        return spdlog::level::warn;
    case stamp::Severity::error:
        break;
    }
    return spdlog::level::err;
}

// --udp: RFC 868/867 as datagrams (inetd's `time dgram`, `daytime dgram`): each datagram one reply.
int run_datagram_server(const Options& opt, const GlobalOptions& global) {
    SocketAddress local = opt.bind.resolve(stamp::default_port, true);
    Fd sock = sys::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK);
    sys::bind(sock, local);
    SignalFd signals{SIGINT, SIGTERM};
    announce_listening("tcp-stamp-server", local.port(), sys::local_address(sock),
                       fmt::format(" (udp, {} format, at most {:g} replies/s per source)",
                                   stamp::format_name(opt.server.format), opt.datagram.per_source));
    ServerLog log(STDOUT_FILENO);
    watch_server_log(log, "tcp-stamp-server");
    stamp::DatagramConfig config = opt.datagram;
    config.format = opt.server.format;
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
    auto log = std::make_shared<ServerLog>(STDOUT_FILENO);
    watch_server_log(*log, "tcp-stamp-server");
    stamp::ServerConfig config = opt.server;
    config.log_clients = !global.quiet;
    stamp::ServerHooks hooks;
    hooks.client_line = [as_json = global.json](std::string& out, const SocketAddress& peer) {
        append_client_line(out, peer, as_json);
    };
    hooks.report = [](stamp::Severity s, const std::string& text) { spdlog::log(level_of(s), "{}", text); };
    stamp::Server server(std::move(listener), config, std::move(hooks), log);
    // It comes once every descriptor the server keeps is open, so tests can count them from here on.
    announce_listening("tcp-stamp-server", local.port(), bound,
                       fmt::format(" ({} model, {} format)", stamp::model_name(config.model),
                                   stamp::format_name(config.format)));
    server.run();
    if (opt.stats) print_stats(server.counters(), config.model, *log, global);
    return server_exit_code(*log);
}

} // namespace

Runner register_tcp_stamp_server(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description("Serve the current time over TCP as the tutorial's server does: for each connection,\n"
                    "log 'client IP PORT', send the Unix time as \"%lld\\n\" and close.\n"
                    "Default: 0.0.0.0:2333, epoll model. SIGINT/SIGTERM stop it gracefully.");
    man.examples = {
        {"", "Serve the time on 0.0.0.0:2333, one line per connection, with epoll."},
        {"--model fork", "The tutorial's model: one process per connection, children reaped."},
        {"--port 0 --stats", "Let the kernel choose the port; print counts at exit."},
        {"--udp --format rfc868 --port 3700", "RFC 868 over UDP for rdate -u, rate-limited per source."},
    };
    man.see_also = "netlab-tcp-stamp-client(1), netlab-pool-server(1), tcp(7)";
    opt->bind.add_to(app, "-b,--bind", "Local address to listen on (default 0.0.0.0:2333)");
    app.add_option("--backlog", opt->backlog,
                   "listen(2) backlog: completed connections the kernel queues (default: the most the\n"
                   "system allows, net.core.somaxconn)")
        ->check(CLI::Range(1, 1 << 20));
    static const std::map<std::string, Model> models = {
        {"epoll", Model::epoll}, {"fork", Model::fork}, {"threads", Model::threads}};
    app.add_option("-m,--model", opt->server.model,
                   "Concurrency: epoll (one event loop), fork (a process per connection), threads "
                   "(a thread per connection)")
        ->transform(CLI::CheckedTransformer(models, CLI::ignore_case))
        ->default_str("epoll")
        ->type_name("MODEL");
    add_format_option(app, opt->server.format);
    app.add_option("--max-children", opt->server.max_children,
                   "fork and threads: at most this many connections served at once; more wait in the queue")
        ->check(CLI::Range(1u, 65536u))
        ->capture_default_str();
    app.add_option("--loops", opt->server.loops,
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
