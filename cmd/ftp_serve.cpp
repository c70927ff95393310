// ftp-serve: the tutorial's file server as a TFTP server (RFC 1350; options RFC 2347, 2348, 2349, 7440),
// every transfer on its own port, files confined beneath --root.
#include "commands.hpp"
#include "endpoint_options.hpp"
#include "tftp_options.hpp"

#include "account.hpp"
#include "confine.hpp"
#include "error.hpp"
#include "json.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "text.hpp"
#include "tftp_server.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace netlab::cmd {

namespace {

struct Options {
    EndpointOptions bind;
    std::string root = ".";
    tftp::ServerConfig config;
    std::size_t max_block_size = tftp::max_block_size;
    unsigned max_window_size = 64;
    unsigned max_timeout = 5;
    std::uint64_t count = 0;
    std::uint64_t max_upload = 0; // 0: no limit but the free space
    bool no_fsync = false;
    std::string user; // --user; empty: nobody when started as root
};

// Started as root, the server gives root up once its socket is bound and its root open: to --user, or
// to nobody, when it also serves only world-readable files (tftpd-hpa's rule). `--user root` keeps
// root, and only when asked by name.
void give_up_root(const Options& opt, tftp::ServerConfig& config) {
    if (!running_as_root()) {
        if (opt.user.empty()) return;
        Account me = current_account(), wanted = find_account(opt.user);
        if (wanted.uid != me.uid)
            throw Error("change user to", opt.user, fmt::format("only root can (this is {})", me.name));
        return;
    }
    Account to = find_account(opt.user.empty() ? "nobody" : opt.user);
    config.world_readable_only = opt.user.empty();
    if (to.uid != 0) drop_privileges(to);
    spdlog::info("running as {} (uid {}, gid {}){}", to.name, to.uid, to.gid,
                 config.world_readable_only ? ", serving world-readable files only" : "");
}

std::string settings_text(const tftp::Settings& s) {
    std::string t = fmt::format("blksize={} windowsize={}", s.block_size, s.window_size);
    if (s.timeout) t += fmt::format(" timeout={}", *s.timeout);
    if (s.file_size) t += fmt::format(" tsize={}", *s.file_size);
    return t;
}

void print_record(const tftp::TransferRecord& r, const GlobalOptions& global, ServerLog& log) {
    if (global.quiet) return;
    const char* op = r.opcode == tftp::Opcode::rrq ? "RRQ" : "WRQ";
    const auto& c = r.counters;
    std::string line;
    if (global.json) {
        json::Line fields(line);
        fields.field("type", "transfer")
            .field("peer", r.peer.to_string())
            .field("op", op)
            .field("file", r.filename)
            .field("mode", tftp::mode_name(r.mode))
            .field("blksize", r.settings.block_size)
            .field("windowsize", r.settings.window_size)
            .field("ok", r.ok)
            .field("error", r.error)
            .field("bytes", c.bytes)
            .field("seconds", json::Fixed{r.seconds, 6});
        add_counter_fields(fields, c);
        fields.end();
    } else {
        line = fmt::format("{} {} {} {}", r.peer.to_string(), op, escape_terminal(r.filename),
                           tftp::mode_name(r.mode));
        if (!r.error.empty() && r.counters.packets_sent == 0) {
            line += ": refused: " + escape_terminal(r.error);
        } else {
            line += " " + settings_text(r.settings) + ": ";
            line += r.ok ? "ok" : "failed: " + escape_terminal(r.error);
            line += fmt::format(
                ", {} bytes in {:.3f} s, {} retransmits, {} duplicates, {} malformed, {} unknown TID",
                c.bytes, r.seconds, c.retransmits, c.duplicates, c.malformed, c.unknown_tid);
            if (c.window_cuts) line += fmt::format(", window cut {} times", c.window_cuts);
        }
        for (const auto& n : r.notes) line += " (" + n + ")";
        line += "\n";
    }
    log.write(line); // one line per transfer, visible at once to a reader on a pipe
}

int run_ftp_serve(Options& opt, const GlobalOptions& global) {
    if (opt.bind.port < 0) opt.bind.port = tftp::default_port;
    SocketAddress local = opt.bind.resolve(tftp::default_port, true);
    Fd root = open_directory(opt.root);
    if (opt.max_upload > 0) opt.config.max_upload = opt.max_upload;
    opt.config.fsync_uploads = !opt.no_fsync;
    // Uploads that a killed server (or ftp-get) left under their hidden names. Before the announcement,
    // so whoever waits for "listening on" finds them gone. A read-only server changes nothing.
    if (opt.config.allow_write) {
        if (std::size_t stale = remove_stale_temporaries(root))
            spdlog::warn("removed {} unfinished upload{} left by a process that no longer runs", stale,
                         stale == 1 ? "" : "s");
    }
    Fd sock = sys::socket(local.family(), SOCK_DGRAM);
    sys::bind(sock, local);
    SocketAddress bound = sys::local_address(sock);
    give_up_root(opt, opt.config);
    // Before the announcement: a SIGTERM sent as soon as "listening on" appears must stop us cleanly.
    SignalFd signals({SIGINT, SIGTERM});
    announce_listening("ftp-serve", local.port(), bound);
    ServerLog log(STDOUT_FILENO);
    watch_server_log(log, "ftp-serve");
    opt.config.policy.max_block_size = opt.max_block_size;
    opt.config.policy.max_window_size = opt.max_window_size;
    opt.config.policy.max_timeout = opt.max_timeout;
    tftp::Server server(std::move(sock), std::move(root), opt.config,
                        [&](const tftp::TransferRecord& r) { print_record(r, global, log); });
    server.run(&signals.fd(), opt.count);
    signals.read(); // consumed here, or it would kill us when the mask is restored
    const auto& t = server.totals();
    spdlog::info("totals: {} bytes, {} retransmits, {} duplicates, {} malformed, {} unknown TID", t.bytes,
                 t.retransmits, t.duplicates, t.malformed, t.unknown_tid);
    return server_exit_code(log);
}

} // namespace

Runner register_ftp_serve(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description(
        "Serve the files under --root over TFTP (octet and netascii; options blksize, timeout,\n"
        "tsize, windowsize). One line per transfer on stdout. Default: 0.0.0.0:6969, the current\n"
        "directory, read only.");
    man.examples = {
        {"--root /srv/tftp", "Serve /srv/tftp on UDP port 6969; nothing outside it can be read."},
        {"--root /srv/tftp --allow-write --port 0", "Accept uploads on a port the kernel chooses."},
        {"--root /srv/tftp --port 69 --user tftp", "As root: the standard port, then run as the user tftp."},
        {"--drop 0.1 --seed 7", "Drop one packet in ten to watch the retransmissions."},
    };
    man.see_also = "netlab-ftp-get(1), in.tftpd(8)";
    opt->bind.add_to(app, "-b,--bind", "Local address to bind (default 0.0.0.0:6969)", false);
    app.add_option("-r,--root", opt->root, "Directory served (default: the current directory)")
        ->type_name("DIR");
    app.add_flag("--allow-write", opt->config.allow_write, "Accept uploads (WRQ) of new files");
    app.add_option("-u,--user", opt->user,
                   "Started as root: run as USER once the port is bound and the root open (default\n"
                   "nobody, serving only world-readable files; '--user root' keeps root)")
        ->type_name("USER");
    app.add_flag("--overwrite", opt->config.overwrite,
                 "With --allow-write: uploads may replace existing files");
    app.add_flag("--no-fsync", opt->no_fsync,
                 "Publish uploads without fsync: faster, but a power loss may take a file already\n"
                 "acknowledged (for scratch roots and benchmarks)");
    app.add_option("--max-upload", opt->max_upload,
                   "Largest upload accepted: a larger tsize is refused, a longer stream cut, both with\n"
                   "ERROR 3 (default: no limit but the free space; suffixes k, M, G)")
        ->transform(CLI::AsSizeValue(false))
        ->type_name("BYTES");
    app.add_option("--max-transfers", opt->config.max_transfers,
                   "Transfers at once; more are refused (default 64)")
        ->check(CLI::Range(1, 4096));
    app.add_option("--min-rate", opt->config.min_rate,
                   "Slowest transfer accepted, bytes/s: a transfer of known size must end within\n"
                   "retries x timeout + size / rate, or gets ERROR \"transfer too slow\" (default 1k;\n"
                   "0 = no limit; suffixes k, M)")
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::Range(0.0, 1e12));
    app.add_option("--max-per-client", opt->config.max_per_client,
                   "Transfers at once from one IP address; more are refused (default 16)")
        ->check(CLI::Range(1, 4096));
    app.add_option(
           "--max-buffered", opt->config.max_buffered,
           "Window bytes (windowsize x blksize) of all transfers together; new transfers get smaller\n"
           "windows, then are refused (default 64 MiB; suffixes k, M, G)")
        ->transform(CLI::AsSizeValue(false))
        ->check(CLI::Range(std::size_t{512}, std::size_t{1} << 40));
    app.add_flag("--allow-hard-links", opt->config.allow_hard_links,
                 "Serve files that have more than one name (refused by default: a hard link to a file\n"
                 "outside the root cannot be told from the file)");
    add_timing_options(app, opt->config.timing);
    app.add_option("--max-blksize", opt->max_block_size, "Largest block size granted (default 65464)")
        ->check(CLI::Range(8, 65464));
    app.add_option("--max-windowsize", opt->max_window_size, "Largest window granted (default 64)")
        ->check(CLI::Range(1, 65535));
    app.add_option(
           "--max-timeout", opt->max_timeout,
           "Largest timeout option granted in seconds; larger ones are left out of the OACK (default 5)")
        ->check(CLI::Range(1, 255));
    add_impairment_options(app, opt->config.impairment);
    app.add_option("--count", opt->count, "Exit after this many requests (default: run until a signal)")
        ->transform(whole_number())
        ->type_name("N");
    return [opt, &global] { return run_ftp_serve(*opt, global); };
}

} // namespace netlab::cmd
