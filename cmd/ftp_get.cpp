// ftp-get: the tutorial's file client as a TFTP client (RFC 1350; options RFC 2347, 2348, 2349, 7440):
// download (or --put upload) one file; a download appears under its name only when complete.
#include "commands.hpp"
#include "tftp_options.hpp"

#include "address.hpp"
#include "confine.hpp"
#include "error.hpp"
#include "json.hpp"
#include "signals.hpp"
#include "sys.hpp"
#include "tftp_client.hpp"

#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <unistd.h>

namespace netlab::cmd {

namespace {

struct Options {
    std::string server;
    std::string path;
    std::string output;
    bool put = false;
    bool netascii = false;
    bool no_options = false;
    bool no_fsync = false;
    unsigned block_size = 1468; // fits an Ethernet frame; RFC 2348's example
    unsigned window_size = 1;
    std::uint64_t max_size = 0; // 0: no limit but the disk's
    tftp::Timing timing;
    tftp::Impairment impairment;
};

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string human(double bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB"};
    int u = 0;
    while (bytes >= 1024 && u < 3) {
        bytes /= 1024;
        ++u;
    }
    return fmt::format("{:.1f} {}", bytes, units[u]);
}

int run_ftp_get(const Options& opt, const GlobalOptions& global) {
    tftp::ClientConfig config;
    config.server = SocketAddress::resolve(opt.server, tftp::default_port);
    config.path = opt.path;
    config.put = opt.put;
    config.mode = opt.netascii ? tftp::Mode::netascii : tftp::Mode::octet;
    config.timing = opt.timing;
    config.impairment = opt.impairment;
    if (opt.max_size > 0) config.max_size = opt.max_size;
    if (!opt.no_options) {
        if (opt.block_size != tftp::default_block_size)
            config.options.push_back({"blksize", std::to_string(opt.block_size)});
        if (opt.window_size != 1) config.options.push_back({"windowsize", std::to_string(opt.window_size)});
        config.options.push_back({"tsize", "0"});
    }

    bool to_stdout = !opt.put && opt.output == "-";
    std::string local = opt.output.empty() ? (opt.put ? opt.path : base_name(opt.path)) : opt.output;
    if (local.empty()) throw UsageError("no local file name: give -o FILE");
    // Ctrl-C, a closed terminal or pipe cancel the transfer like any failure: the server is told, no
    // partial file is left. Blocked before the temporary file exists, so no signal can leave it behind.
    SignalFd signals{SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    config.stop_fd = signals.fd().get();
    std::unique_ptr<tftp::BlockSource> source;
    tftp::BlockSink sink;
    std::optional<AtomicFile> file;
    if (opt.put) {
        ConfinedFile f = open_regular(local);
        if (!f.ok()) {
            if (f.error) throw Error("open", local, f.error);
            throw Error("open", local, std::string(refusal_text(f.refusal)));
        }
        // RFC 2349: a WRQ announces the size it will send (unknown in netascii until converted).
        for (auto& o : config.options)
            if (o.name == "tsize") o.value = std::to_string(f.size);
        if (config.mode == tftp::Mode::netascii)
            std::erase_if(config.options, [](const tftp::Option& o) { return o.name == "tsize"; });
        source = std::make_unique<tftp::BlockSource>(std::move(f.fd), config.mode, opt.block_size, local);
    } else if (to_stdout) {
        sink.write = [](std::span<const std::uint8_t> b) { sys::write_all(1, b.data(), b.size(), "stdout"); };
    } else {
        auto slash = local.rfind('/');
        std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : local.substr(0, slash);
        Fd d = open_directory(dir);
        Refusal why = Refusal::none;
        int err = 0;
        auto created = AtomicFile::create(d, base_name(local), true, &why, &err);
        if (!created) {
            if (err) throw Error("create", local, err);
            throw Error("create", local, std::string(refusal_text(why)));
        }
        file.emplace(std::move(*created));
        AtomicFile* f = &*file;
        f->set_durable(!opt.no_fsync);
        // AtomicFile gathers the blocks into chunk-sized writes; an announced size is reserved first.
        sink.write = [f](std::span<const std::uint8_t> b) { f->write(b.data(), b.size()); };
        sink.finish = [f] { f->commit(); };
        if (config.mode == tftp::Mode::octet) sink.expect = [f](std::uint64_t size) { f->reserve(size); };
    }

    bool bar = !global.quiet && ::isatty(2);
    auto start = Clock::now();
    auto progress = [&](const tftp::Counters& c, const tftp::Settings& s) {
        double secs = std::max(seconds_between(start, Clock::now()), 1e-6);
        double rate = static_cast<double>(c.bytes) / secs;
        std::string total = s.file_size ? " / " + human(static_cast<double>(*s.file_size)) : "";
        std::string eta;
        if (s.file_size && rate > 0 && *s.file_size > c.bytes)
            eta = fmt::format("  ETA {:.0f} s", static_cast<double>(*s.file_size - c.bytes) / rate);
        fmt::print(stderr, "\r{}{}  {}/s{}  {} retransmits\x1b[K", human(static_cast<double>(c.bytes)), total,
                   human(rate), eta, c.retransmits);
    };
    tftp::ClientResult r = tftp::run_client(
        config, std::move(source), std::move(sink),
        bar ? std::function<void(const tftp::Counters&, const tftp::Settings&)>(progress) : nullptr);
    if (bar) fmt::print(stderr, "\r\x1b[K");
    if (!r.ok) throw Error(opt.put ? "put" : "get", opt.path, r.error);
    if (global.quiet) return 0;
    const auto& c = r.counters;
    double rate = static_cast<double>(c.bytes) / std::max(r.seconds, 1e-9) / 1e6;
    // The summary is the result of a download to a file: on stdout, unless stdout carries the file.
    std::FILE* out = to_stdout ? stderr : stdout;
    if (global.json) {
        std::string line;
        json::Line fields(line);
        fields.field("type", "transfer")
            .field("op", opt.put ? "put" : "get")
            .field("server", config.server.to_string())
            .field("bytes", c.bytes)
            .field("seconds", json::Fixed{r.seconds, 6})
            .field("mb_per_s", json::Fixed{rate, 3})
            .field("blksize", r.settings.block_size)
            .field("windowsize", r.settings.window_size)
            .field("options_ignored", r.options_ignored);
        add_counter_fields(fields, c);
        fields.end();
        fmt::print(out, "{}", line);
    } else {
        fmt::print(out, "{} {} bytes in {:.3f} s ({:.1f} MB/s), blksize {} windowsize {}{}, {} retransmits\n",
                   opt.put ? "sent" : "received", c.bytes, r.seconds, rate, r.settings.block_size,
                   r.settings.window_size, r.options_ignored ? " (server ignored options)" : "",
                   c.retransmits);
    }
    return 0;
}

} // namespace

Runner register_ftp_get(CLI::App& app, const GlobalOptions& global, ManPage& man) {
    auto opt = std::make_shared<Options>();
    app.description("Download PATH from a TFTP server (or upload with --put). The file is written under a\n"
                    "temporary name and renamed when complete: a failed transfer leaves nothing behind.\n"
                    "Default server port 6969; asks blksize 1468 and tsize, falls back when ignored.");
    man.examples = {
        {"127.0.0.1 notes.txt -o notes.txt", "Download notes.txt from a server on port 6969 of this host."},
        {"127.0.0.1 big --blksize 65464 --windowsize 16", "Download with large blocks and a window of 16."},
        {"127.0.0.1 upload.txt --put", "Upload upload.txt (the server needs --allow-write)."},
        {"127.0.0.1 image.iso --max-size 1G", "Refuse a server that announces or sends more than 1 GiB."},
    };
    man.see_also = "netlab-ftp-serve(1), tftp(1)";
    app.add_option("server", opt->server, "Server as HOST[:PORT] or [IPV6]:PORT")
        ->required()
        ->type_name("ADDR");
    app.add_option("path", opt->path, "File on the server")->required()->type_name("PATH");
    app.add_option("-o,--output", opt->output,
                   "Local file (default: PATH's last component; '-' = stdout). With --put: the file sent")
        ->type_name("FILE");
    app.add_flag("--put", opt->put, "Upload the local file to PATH (WRQ) instead of downloading");
    app.add_flag("--netascii", opt->netascii, "Transfer in netascii mode (text, CR LF on the wire)");
    app.add_option("--blksize", opt->block_size, "Block size to ask for (8..65464, default 1468)")
        ->check(CLI::Range(8, 65464));
    app.add_option("--windowsize", opt->window_size, "Blocks per acknowledgement to ask for (default 1)")
        ->check(CLI::Range(1, 65535));
    app.add_flag("--no-options", opt->no_options, "Send a plain RFC 1350 request without options");
    app.add_flag("--no-fsync", opt->no_fsync,
                 "Rename the download into place without fsync: faster, but a power loss may take a\n"
                 "file already reported (for scratch files and benchmarks)");
    app.add_option("--max-size", opt->max_size,
                   "Largest file accepted: a larger tsize is refused before any data, a longer stream\n"
                   "is cut; both with ERROR 3 and no file left (default: no limit but the free space;\n"
                   "suffixes k, M, G)")
        ->transform(CLI::AsSizeValue(false))
        ->type_name("BYTES");
    add_timing_options(app, opt->timing);
    add_impairment_options(app, opt->impairment);
    return [opt, &global] { return run_ftp_get(*opt, global); };
}

} // namespace netlab::cmd
