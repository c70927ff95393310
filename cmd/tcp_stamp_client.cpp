// tcp-stamp-client: the tutorial's TCP time-stamp client (connect, read the reply to the end, print
// "%lld\n"), and a load generator for stamp servers (lib/load_generator.hpp). RFC 868, RFC 867.
// One run is meant for `while true; do netlab tcp-stamp-client; done`: it does nothing it does not need.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "stamp_options.hpp"

#include "error.hpp"
#include "json.hpp"
#include "load_generator.hpp"
#include "signals.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"
#include "time_stamp.hpp"

#include <algorithm>
#include <cerrno>
#include <fmt/format.h>
#include <optional>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions to;
    stamp::Format format = stamp::Format::unix_seconds;
    bool human = false;
    double timeout = 5;
    // Load mode, when any of these is given.
    std::optional<std::uint64_t> count; // default 1000, or no limit with --duration
    unsigned concurrency = 1;
    unsigned threads = 1;
    double duration = 0;
    bool load = false;
};

std::chrono::milliseconds timeout_of(const Options& opt) {
    return std::chrono::milliseconds(static_cast<long long>(opt.timeout * 1000 + 0.5));
}

// Everything the server sends until it closes; a reply longer than any stamp is cut at 65 bytes.
std::size_t read_reply(const Fd& sock, const SocketAddress& server, std::uint8_t* buf, std::size_t size,
                       double timeout) {
    std::size_t length = 0;
    while (length < size) {
        tcp::IoResult r = tcp::receive(sock, buf + length, size - length);
        if (r.ok() && r.bytes == 0) break;
        if (!r.ok()) {
            if (r.error == EAGAIN)
                throw Error("read", server.to_string(), fmt::format("timed out after {:g} s", timeout));
            throw Error("read", server.to_string(), r.error);
        }
        length += r.bytes;
    }
    return length;
}

int run_once(const Options& opt, const GlobalOptions& global, const SocketAddress& server) {
    Fd sock = sys::socket(server.family(), SOCK_STREAM);
    tcp::connect(sock, server, timeout_of(opt));
    sockopt::receive_timeout(sock, timeout_of(opt));
    std::uint8_t buf[65];
    std::size_t length = read_reply(sock, server, buf, sizeof buf, opt.timeout);
    sock.reset();
    stamp::Parsed stamp = stamp::parse(opt.format, {buf, length});
    if (!stamp.ok()) {
        // What the tutorial's client prints; the reason only with -v.
        fmt::print(stderr, "Bad format\n");
        if (global.verbosity > 0) // never touch spdlog otherwise: the fast path has not set it up
            spdlog::info("{} bytes from {}: {}", length, server.to_string(), stamp::describe(stamp.error));
        return 1;
    }
    if (global.json) {
        std::string line;
        json::Line(line)
            .field("type", "stamp")
            .field("server", server.to_string())
            .field("seconds", stamp.seconds)
            .field("utc", stamp::iso8601(stamp.seconds, false))
            .end();
        fmt::print("{}", line);
    } else if (opt.human) {
        fmt::print("{} {}\n", stamp.seconds, stamp::iso8601(stamp.seconds, true));
    } else {
        fmt::print("{}\n", stamp.seconds);
    }
    return 0;
}

void print_report(const load::Report& r, const Options& opt, const SocketAddress& server,
                  const GlobalOptions& global) {
    if (global.quiet) return; // in JSON too, as every command's -q
    const auto& l = r.latency;
    if (global.json) {
        std::string line;
        json::Line report(line);
        report.field("type", "load")
            .field("server", server.to_string())
            .field("format", stamp::format_name(opt.format))
            .field("concurrency", opt.concurrency)
            .field("threads", r.threads)
            .field("started", r.started)
            .field("ok", r.succeeded)
            .field("failed", r.failed())
            .field("seconds", json::Fixed{r.seconds, 6})
            .field("connections_per_second", json::Fixed{r.rate(), 1})
            .open_object("latency_ms")
            .field("min", json::Fixed{l.min * 1e3, 3})
            .field("mean", json::Fixed{l.mean * 1e3, 3})
            .field("p50", json::Fixed{l.p50 * 1e3, 3})
            .field("p90", json::Fixed{l.p90 * 1e3, 3})
            .field("p99", json::Fixed{l.p99 * 1e3, 3})
            .field("max", json::Fixed{l.max * 1e3, 3})
            .close_object()
            .open_object("errors");
        for (std::size_t k = 0; k < load::error_kind_count; ++k)
            report.field(load::error_kind_name(static_cast<load::ErrorKind>(k)), r.errors[k]);
        report.close_object().end();
        fmt::print("{}", line);
        return;
    }
    fmt::print("{} connections to {}, {} at a time from {} thread{}: {} ok, {} failed in {:.3f} s\n",
               r.started, server.to_string(), opt.concurrency, r.threads, r.threads == 1 ? "" : "s",
               r.succeeded, r.failed(), r.seconds);
    fmt::print("  {:.0f} connections/s\n", r.rate());
    fmt::print("  latency ms: min {:.3f}  mean {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n",
               l.min * 1e3, l.mean * 1e3, l.p50 * 1e3, l.p90 * 1e3, l.p99 * 1e3, l.max * 1e3);
    fmt::print(
        "  errors: refused {}  reset {}  connect timeout {}  reply timeout {}  bad format {}  other {}\n",
        r.errors_of(load::ErrorKind::refused), r.errors_of(load::ErrorKind::reset),
        r.errors_of(load::ErrorKind::connect_timeout), r.errors_of(load::ErrorKind::timeout),
        r.errors_of(load::ErrorKind::bad_reply), r.errors_of(load::ErrorKind::other));
    if (!r.first_other_error.empty()) fmt::print("  first other error: {}\n", r.first_other_error);
}

int run_load(const Options& opt, const GlobalOptions& global, const SocketAddress& server) {
    std::uint64_t count = opt.count ? *opt.count : opt.duration > 0 ? 0 : 1000;
    if (count == 0 && opt.duration <= 0)
        throw UsageError("--count 0 needs --duration: nothing else would end the run");
    if (opt.threads > opt.concurrency)
        throw UsageError(
            fmt::format("--threads {} needs --concurrency {} or more: each thread keeps at least "
                        "one connection in flight",
                        opt.threads, opt.threads));
    // 10,000 in flight needs 10,000 descriptors: the soft limit goes up to the hard one, and whatever
    // still caps the run is said before it starts, not left to be guessed from its errors.
    unsigned in_flight =
        count > 0 ? static_cast<unsigned>(std::min<std::uint64_t>(count, opt.concurrency)) : opt.concurrency;
    for (const std::string& cap : load::raise_limits(server, in_flight)) spdlog::warn("{}", cap);
    SignalFd signals{SIGINT, SIGTERM}; // Ctrl-C ends the run early and still prints the report
    load::Options lo;
    lo.target = server;
    lo.count = count;
    lo.concurrency = opt.concurrency;
    lo.threads = opt.threads;
    lo.duration = std::chrono::duration<double>(opt.duration);
    lo.timeout = timeout_of(opt);
    lo.stop_fd = signals.fd().get();
    stamp::Format format = opt.format;
    lo.check_reply = [format](std::span<const std::uint8_t> reply) {
        return stamp::parse(format, reply).ok();
    };
    load::Report report = load::run(lo);
    print_report(report, opt, server, global);
    return report.failed() == 0 && report.succeeded > 0 ? 0 : 1;
}

int run_tcp_stamp_client(const Options& opt, const GlobalOptions& global) {
    SocketAddress server = opt.to.resolve(stamp::default_port, false);
    return opt.load ? run_load(opt, global, server) : run_once(opt, global, server);
}

// A port as the fast path takes it: decimal 1-65535 without a leading zero. CLI11 reads "010" as octal
// and refuses port 0 for a client: such values are left to it.
std::optional<int> plain_port(std::string_view text) {
    if (text.empty() || text.size() > 5 || text.front() == '0' ||
        text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    int port = std::stoi(std::string(text));
    if (port > 65535) return std::nullopt;
    return port;
}

// The plain forms: no argument, "-p N" / "--port N" / "--port=N", one numeric "A.B.C.D[:PORT]", as the
// options the full parser would fill in; nullopt for anything else.
std::optional<EndpointOptions> plain_options(int argc, char** argv) {
    EndpointOptions to;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::optional<int> port;
        if ((arg == "-p" || arg == "--port") && i + 1 < argc) {
            port = plain_port(argv[++i]);
        } else if (arg.substr(0, 7) == "--port=") {
            port = plain_port(arg.substr(7));
        } else if (!arg.empty() && arg[0] != '-' && to.endpoint.empty() &&
                   arg.find_first_not_of("0123456789.:") == arg.npos) {
            to.endpoint = std::string(arg);
            continue;
        }
        if (!port || to.port >= 0) return std::nullopt;
        to.port = *port;
    }
    return to;
}

} // namespace

std::optional<int> tcp_stamp_client_fast_path(int argc, char** argv) {
    std::optional<EndpointOptions> to = plain_options(argc, argv);
    if (!to) return std::nullopt;
    // Resolved as the full parser's run resolves it; whatever it refuses (port 0, an IPv6 or malformed
    // address, a name to look up) is left to the full parser to report.
    SocketAddress server;
    try {
        if (!to->endpoint.empty() && !SocketAddress::parse_numeric(to->endpoint, stamp::default_port))
            return std::nullopt;
        server = to->resolve(stamp::default_port, false);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (server.is_v6()) return std::nullopt;
    // Errors of the run itself (refused, timed out) propagate to main, which prints them as it does for
    // the full parser's run: redoing the run would wait out a timeout twice.
    return run_once(Options{}, GlobalOptions{}, server);
}

Runner register_tcp_stamp_client(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description(
        "Read the time stamp from a server and print it as the tutorial's client does (\"%lld\\n\").\n"
        "Default: 127.0.0.1:2333. A reply that does not parse prints 'Bad format', exit 1.\n"
        "With --count/--concurrency/--duration: a load generator printing connections/s,\n"
        "latency percentiles and errors by kind (exit 1 if any connection failed).");
    man.examples = {
        {"", "Print the time of the server on 127.0.0.1:2333 as the tutorial's client does."},
        {"127.0.0.1:2333 --human", "Also print it in ISO 8601."},
        {"--count 20000 --concurrency 16", "Load-test the server: connections per second and latencies."},
    };
    man.see_also = "netlab-tcp-stamp-server(1), netlab-pool-server(1), tcp(7)";
    opt->to.add_to(app, "--host", "Server (default 127.0.0.1:2333)");
    add_format_option(app, opt->format);
    app.add_flag("-H,--human", opt->human, "Also print the time in ISO 8601, local time zone");
    app.add_option("-t,--timeout", opt->timeout, "Seconds to wait for the connect and for each read")
        ->check(CLI::Range(0.001, 3600.0))
        ->capture_default_str();
    auto* count = app.add_option("-c,--count", opt->count, "Load: connections to make (0 = until --duration)")
                      ->transform(whole_number())
                      ->type_name("N");
    auto* concurrency =
        app.add_option("-C,--concurrency", opt->concurrency, "Load: connections in flight at once")
            ->check(CLI::Range(1u, 100000u))
            ->type_name("C");
    auto* threads = app.add_option("-T,--threads", opt->threads,
                                   "Load: threads, each an epoll loop with its share of C (at most C)")
                        ->check(CLI::Range(1u, 256u))
                        ->type_name("T");
    auto* duration =
        app.add_option("-d,--duration", opt->duration, "Load: stop starting connections after S seconds")
            ->check(CLI::NonNegativeNumber)
            ->type_name("S");
    return [opt, &global, count, concurrency, threads, duration] {
        opt->load =
            count->count() > 0 || concurrency->count() > 0 || threads->count() > 0 || duration->count() > 0;
        return run_tcp_stamp_client(*opt, global);
    };
}

} // namespace netlab::cmd
