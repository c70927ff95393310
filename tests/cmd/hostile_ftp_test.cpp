// Hostile clients against ftp-serve (RFC 1350, 2347-2349, 7440): each attack is sent while a
// well-behaved download runs, and must leave the server up, that download intact, no descriptor or
// memory behind, and a count of what was refused.
#include "hostile.hpp"
#include "netlab_test.hpp"
#include "tftp_peer.hpp"

#include "tftp.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <thread>
#include <variant>

using namespace netlab::test;
using netlab::ChildProcess;
namespace fs = std::filesystem;
namespace tftp = netlab::tftp;
using namespace std::string_literals;
using tftp::ErrorCode;

namespace {

// The number in front of `what` in the server's "totals: ..." line (printed at exit with -v).
std::uint64_t total(const std::string& log, const std::string& what) {
    std::smatch m;
    if (!std::regex_search(log, m, std::regex("totals:.* ([0-9]+) " + what))) return 0;
    return std::stoull(m[1]);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// ftp-serve on 127.0.0.1 with a root holding "guard" (the well-behaved download), "big" and "small".
struct Hostile {
    TempDir top;
    fs::path root = fs::path(top.path()) / "root", out = fs::path(top.path()) / "out";
    std::string guard = random_bytes(512 * 150 + 77, 1), big = random_bytes(300001, 2),
                small = random_bytes(100, 3);
    std::optional<ChildProcess> server;
    std::optional<SteppedDownload> guard_download;
    std::uint16_t port = 0;
    int fds = 0;
    long rss = 0;

    explicit Hostile(std::vector<std::string> extra = {}) {
        fs::create_directories(root);
        fs::create_directories(out);
        write_file(root / "guard", guard);
        write_file(root / "big", big);
        write_file(root / "small", small);
        // Started as root, the server runs as nobody: uploads (--allow-write) need a root it may write.
        fs::permissions(root, fs::perms::all, fs::perm_options::add);
        std::vector<std::string> args{"ftp-serve", "--root", root.string(), "--port",
                                      "0",         "-b",     "127.0.0.1",   "-v"};
        args.insert(args.end(), extra.begin(), extra.end());
        server.emplace(start_netlab(args));
        port = wait_for_listening_port(*server);
        // One answered request proves the loop runs (the signalfd is made after "listening on").
        RawPeer probe;
        probe.send(port, rrq("ready?"));
        REQUIRE(probe.receive().ok());
        fds = count_open_fds(server->pid()); // idle: no transfer yet
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }
    // Each transfer runs on its own thread and ends there, a moment after its last packet: waits
    // until `transfers` are left, so that a limit checked next sees the others gone.
    void wait_for_transfers(long transfers) {
        wait_until([&] { return thread_count(server->pid()) <= 1 + transfers; }, 10s);
        REQUIRE(thread_count(server->pid()) == 1 + transfers);
    }
    // Starts the well-behaved download and takes the memory baseline once it runs (the buffers of one
    // transfer are allocated); the attack comes next.
    SteppedDownload& start_guard() {
        guard_download.emplace(port, "guard");
        REQUIRE(guard_download->step());
        rss = resident_kib(server->pid());
        return *guard_download;
    }
    ChildProcess background_get(const std::string& local) {
        return start_netlab({"ftp-get", address(), "big", "-o", (out / local).string(), "-q"});
    }
    void check_background(ChildProcess& get, const std::string& local) {
        RunResult r = finish(get, 30s);
        INFO(r.err);
        CHECK(r.status == 0);
        CHECK(read_file(out / local) == big); // byte for byte: stronger than comparing sha256 sums
    }
    // After every transfer ended (abandoned ones time out): descriptors as when idle, memory near the
    // baseline (4 MiB tolerance: malloc keeps some freed memory; a leak per attack packet would be more).
    void check_no_leak() {
        wait_until([&] { return count_open_fds(server->pid()) <= fds; }, 20s);
        std::string listing;
        for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(server->pid()) + "/fd"))
            listing += e.path().filename().string() + " -> " + fs::read_symlink(e.path()).string() + "\n";
        INFO(listing);
        CHECK(count_open_fds(server->pid()) == fds);
        if (rss > 0) CHECK(resident_kib(server->pid()) - rss < rss_tolerance_kib);
    }
    // The guard (and a background ftp-get) must complete intact, nothing may leak; then stop().
    RunResult end(ChildProcess* background = nullptr) {
        if (guard_download) {
            CHECK(guard_download->finish() == guard);
            CHECK(guard_download->error().empty());
        }
        if (background) check_background(*background, "big");
        check_no_leak();
        return stop();
    }
    // Stops the server (it must still be running and exit cleanly): its transfer log and stderr.
    RunResult stop() {
        REQUIRE_FALSE(server->wait(0ms).has_value()); // still up
        server->send_signal(SIGTERM);
        RunResult r;
        r.out = server->read_all_stdout(5s);
        r.err = server->read_all_stderr(2s);
        r.status = server->wait(5s).value_or(-1);
        INFO(r.err);
        CHECK(r.status == 0);
        return r;
    }
};

// What an attack packet must get back: an ERROR with this code and a message containing `message`, or
// nothing at all (silent).
struct Expect {
    std::string packet;
    ErrorCode code = ErrorCode::illegal_operation;
    std::string message;
    bool silent = false;
};

// Sends each packet to the request port from a new socket and checks the answer; the guard moves one
// block between packets, so every attack lands in the middle of its transfer.
void check_answers(Hostile& h, SteppedDownload& guard, const std::vector<Expect>& cases) {
    for (const auto& c : cases) {
        INFO("packet of " << c.packet.size() << " bytes: " << c.packet.substr(0, 80));
        RawPeer attacker;
        attacker.send(h.port, c.packet);
        auto d = attacker.receive(c.silent ? 300ms : 3000ms);
        if (c.silent) {
            CHECK(d.reason == "timeout");
        } else {
            REQUIRE(d.ok());
            auto* e = std::get_if<tftp::ErrorPacket>(&d.packet);
            REQUIRE(e);
            CHECK(e->code == c.code);
            CHECK_THAT(e->message, Catch::Contains(c.message));
        }
        guard.step();
    }
}

std::string request(std::uint16_t opcode, const std::string& name, const std::string& mode = "octet",
                    std::vector<tftp::Option> options = {}) {
    std::string s{'\0', static_cast<char>(opcode)};
    s += name + '\0' + mode + '\0';
    for (const auto& o : options) s += o.name + '\0' + o.value + '\0';
    return s;
}

std::string rrq_text(const std::string& name) {
    return request(1, name);
}

// Receives a whole windowed download (after the OACK was acknowledged) as a careful client would.
std::string receive_all(RawPeer& peer, std::uint16_t tid, std::size_t block_size, unsigned window) {
    std::string data;
    std::uint16_t expected = 1;
    unsigned since_ack = 0;
    for (int i = 0; i < 100000; ++i) {
        auto d = peer.receive();
        REQUIRE(d.ok());
        auto* b = std::get_if<tftp::Data>(&d.packet);
        REQUIRE(b);
        if (b->block != expected) { // a repeat or a gap: say where we are
            peer.send(tid, tftp::encode_ack(static_cast<std::uint16_t>(expected - 1)));
            since_ack = 0;
            continue;
        }
        data.append(b->payload.begin(), b->payload.end());
        bool last = b->payload.size() < block_size;
        if (last || ++since_ack == window) {
            peer.send(tid, tftp::encode_ack(expected));
            since_ack = 0;
        }
        ++expected;
        if (last) return data;
    }
    FAIL("download did not end");
    return data;
}

} // namespace

TEST_CASE("ftp-serve drops ERROR packets of 2 to 4 bytes in the middle of a transfer",
          "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    ChildProcess get = h.background_get("big");
    for (const auto& bytes : {"\0\5"s, "\0\5\0"s, "\0\5\0\1"s}) {
        // From the client's own port to its transfer: too short to be an ERROR, so it must not end it.
        guard.peer().send(guard.tid(), bytes);
        REQUIRE(guard.step());
        // On the request port an ERROR is never answered, broken or not.
        RawPeer other;
        other.send(h.port, bytes);
        CHECK(other.receive(300ms).reason == "timeout");
    }
    RunResult r = h.end(&get);
    CHECK(std::regex_search(r.out, std::regex("RRQ guard octet blksize=512 windowsize=1: ok, 76877 bytes.* 3 "
                                              "malformed")));
    CHECK(total(r.err, "malformed") == 6);
}

TEST_CASE("ftp-serve answers requests without their NUL terminators with ERROR 4",
          "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    check_answers(h, guard,
                  {{"\0\1file"s, ErrorCode::illegal_operation, "no NUL after the file name"},
                   {"\0\1small\0octet"s, ErrorCode::illegal_operation, "no NUL after the last string"},
                   {"\0\1small\0octet\0blksize\0"
                    "512"s,
                    ErrorCode::illegal_operation, "no NUL after the last string"},
                   {"\0\2up\0octet"s, ErrorCode::illegal_operation, "no NUL after the last string"},
                   {"\0\1"s, ErrorCode::illegal_operation, "no file name"},
                   {"\0\1\0octet\0"s, ErrorCode::illegal_operation, "empty file name"},
                   {"\0\1small\0octet\0blksize\0"s, ErrorCode::illegal_operation, "has no value"}});
    RunResult r = h.end();
    CHECK(total(r.err, "malformed") == 7);
}

TEST_CASE("ftp-serve refuses WRQ when writes are not allowed", "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    check_answers(
        h, guard,
        {{request(2, "up"), ErrorCode::access_violation, "Access violation: writes are not allowed"},
         {request(2, "small"), ErrorCode::access_violation, "writes are not allowed"},
         {request(2, "../up", "octet", {{"blksize", "8"}}), ErrorCode::access_violation,
          "writes are not allowed"}});
    CHECK(guard.finish() == h.guard);
    CHECK_FALSE(fs::exists(h.root / "up"));
    CHECK(read_file(h.root / "small") == h.small);
    CHECK(std::distance(fs::directory_iterator(h.root), fs::directory_iterator()) == 3); // no temporary
    h.check_no_leak();
    RunResult r = h.stop();
    CHECK(occurrences(r.out, "WRQ") == 3);
    CHECK(occurrences(r.out, "refused: Access violation: writes are not allowed") == 3);
}

TEST_CASE("ftp-serve grants blksize 8 together with every other option",
          "[ftp][hostile][options][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    ChildProcess get = h.background_get("big");
    for (unsigned window : {1u, 4u}) {
        INFO("windowsize " << window);
        RawPeer client;
        client.send(h.port, rrq("small", {{"blksize", "8"},
                                          {"tsize", "0"},
                                          {"timeout", "1"},
                                          {"windowsize", std::to_string(window)},
                                          {"utimeout", "1000"},
                                          {"multicast", ""},
                                          {"rollover", "0"}}));
        auto d = client.receive();
        REQUIRE(d.ok());
        auto* oack = std::get_if<tftp::OptionAck>(&d.packet);
        REQUIRE(oack);
        CHECK(oack->options == std::vector<tftp::Option>{{"blksize", "8"},
                                                         {"tsize", "100"},
                                                         {"timeout", "1"},
                                                         {"windowsize", std::to_string(window)}});
        std::uint16_t tid = client.last_from.port();
        client.send(tid, tftp::encode_ack(0));
        CHECK(receive_all(client, tid, 8, window) == h.small); // 13 blocks: 12 of 8 bytes and one of 4
        guard.step();
    }
    RunResult r = h.end(&get);
    CHECK(occurrences(r.out, "RRQ small octet blksize=8") == 2);
    CHECK_THAT(r.out, Catch::Contains("unknown option 'utimeout' ignored"));
}

TEST_CASE("ftp-serve refuses option values out of range or not numbers, and caps the others",
          "[ftp][hostile][options][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    // The OACK for one option, or the ERROR code as a negative number; each transfer is ended at once.
    auto answer = [&](tftp::Option option) -> std::variant<std::vector<tftp::Option>, int> {
        RawPeer client;
        client.send(h.port, rrq("small", {option}));
        auto d = client.receive();
        REQUIRE(d.ok());
        guard.step();
        if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
            CHECK_THAT(e->message, Catch::Contains(option.name + " '" + option.value + "' is not in"));
            return -static_cast<int>(e->code);
        }
        client.send(client.last_from.port(), tftp::encode(tftp::ErrorPacket{ErrorCode::not_defined, "bye"}));
        if (std::get_if<tftp::Data>(&d.packet)) return std::vector<tftp::Option>{}; // no OACK at all
        return std::get<tftp::OptionAck>(d.packet).options;
    };
    using V = std::vector<tftp::Option>;
    for (std::string v : {"abc", "-1", "7", "0", "", "1e3", " 512", "512 ", "0x200", "+512",
                          "18446744073709551616", "99999999999999999999999"}) {
        INFO("blksize '" << v << "'");
        CHECK(answer({"blksize", v}) == std::variant<V, int>(-8));
    }
    for (std::string v : {"0", "x", "-5", "", "18446744073709551616"}) {
        INFO("windowsize '" << v << "'");
        CHECK(answer({"windowsize", v}) == std::variant<V, int>(-8));
    }
    CHECK(answer({"blksize", "65465"}) == std::variant<V, int>(V{{"blksize", "65464"}}));
    CHECK(answer({"blksize", "4294967296"}) == std::variant<V, int>(V{{"blksize", "65464"}}));
    CHECK(answer({"windowsize", "65536"}) == std::variant<V, int>(V{{"windowsize", "64"}}));
    CHECK(answer({"windowsize", "4294967297"}) == std::variant<V, int>(V{{"windowsize", "64"}}));
    // A timeout the server does not accept is left out (RFC 2349); above --max-timeout (5) included,
    // because a transfer holds its slot for retries x timeout.
    for (std::string v : {"0", "256", "x", "-1", "6", "255", "99999999999999999999"}) {
        INFO("timeout '" << v << "'");
        CHECK(answer({"timeout", v}) == std::variant<V, int>(V{}));
    }
    CHECK(answer({"timeout", "5"}) == std::variant<V, int>(V{{"timeout", "5"}}));
    for (std::string v : {"x", "-1", "18446744073709551616"}) {
        INFO("tsize '" << v << "'");
        CHECK(answer({"tsize", v}) == std::variant<V, int>(V{}));
    }
    RunResult r = h.end();
    CHECK(occurrences(r.out, "refused: blksize") == 12);
    CHECK(occurrences(r.out, "refused: windowsize") == 5);
    CHECK_THAT(r.out, Catch::Contains("(timeout '255' not in 1..5, ignored)"));
}

TEST_CASE("ftp-serve refuses 10,000 options, 64 KiB requests and 4 KiB file names",
          "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    std::string options = request(1, "small");
    for (int i = 0; i < 10000; ++i) { // distinct 3-letter names with empty values: 50,000 bytes
        options += {static_cast<char>('a' + i / 676), static_cast<char>('a' + i / 26 % 26),
                    static_cast<char>('a' + i % 26), '\0', '\0'};
    }
    REQUIRE(options.size() < 65507);
    std::string datagram = request(1, std::string(65507 - 9, 'a')); // the largest UDP payload over IPv4
    REQUIRE(datagram.size() == 65507);
    std::string seventeen = request(1, "small");
    for (int i = 0; i < 17; ++i) seventeen += "o" + std::to_string(i) + '\0' + "1" + '\0';
    std::string deep; // 1000 bytes in 10 components: under the request limit, no such file
    for (int i = 0; i < 10; ++i) deep += std::string(99, 'd') + "/";
    deep.pop_back();
    auto longer = [](const std::string& s) { return "request of " + std::to_string(s.size()) + " bytes"; };
    check_answers(h, guard,
                  {{options, ErrorCode::illegal_operation, longer(options) + " is longer than 1024"},
                   {datagram, ErrorCode::illegal_operation, longer(datagram) + " is longer than 1024"},
                   {rrq_text(std::string(4096, 'n')), ErrorCode::illegal_operation, "is longer than 1024"},
                   {seventeen, ErrorCode::illegal_operation, "too many options (more than 16)"},
                   {rrq_text(std::string(300, 'n')), ErrorCode::file_not_found, "File not found"},
                   {rrq_text(deep), ErrorCode::file_not_found, "File not found"}});
    // Again and again, one at a time so that the kernel drops none: memory and descriptors must not move.
    RawPeer flood;
    for (int i = 0; i < 100; ++i) {
        for (const auto* packet : {&options, &datagram}) {
            flood.send(h.port, *packet);
            REQUIRE(flood.receive().ok());
        }
        if (i % 10 == 9) guard.step();
    }
    RunResult r = h.end();
    CHECK(total(r.err, "malformed") == 4 + 200);
}

TEST_CASE("ftp-serve confines paths: .., ....//, absolute paths and symlinks out of the root",
          "[ftp][hostile][confine][ftp-get][ftp-serve]") {
    Hostile h;
    fs::path secret = fs::path(h.top.path()) / "secret";
    write_file(secret, "outside");
    fs::create_directory(h.root / "dir");
    fs::create_directory(h.root / "....");
    write_file(h.root / "...." / "inside", "dots are a name");
    fs::create_symlink("../secret", h.root / "up-link");
    fs::create_symlink(secret, h.root / "abs-link");
    fs::create_symlink("..", h.root / "dir-up");
    fs::create_symlink("../../secret", h.root / "dir" / "deep-up");
    fs::create_symlink("/proc/self/root" + secret.string(), h.root / "proc-link");
    fs::create_symlink("/proc/self/cwd", h.root / "cwd-link");
    fs::create_symlink("small", h.root / "in-link"); // inside: served
    SteppedDownload& guard = h.start_guard();
    std::vector<Expect> cases;
    for (std::string p : std::vector<std::string>{
             "../secret", "./../secret", "dir/../../secret", "dir/..", "..", "dir/../small", "/etc/passwd",
             "//etc/passwd", "/dev/zero", secret.string(), "up-link", "abs-link", "dir-up/secret",
             "dir/deep-up", "proc-link", "cwd-link/secret", "cwd-link"})
        cases.push_back({rrq_text(p), ErrorCode::access_violation, "Access violation: outside the root"});
    // Filters that delete "../" would turn these into escapes; here they are just names that do not exist.
    for (std::string p : {"....//secret", "..../secret", "....//....//secret", ".../secret", "..\\secret",
                          "%2e%2e/secret", "..%2fsecret", "....//"})
        cases.push_back({rrq_text(p), p == "....//" ? ErrorCode::access_violation : ErrorCode::file_not_found,
                         p == "....//" ? "is a directory" : "File not found"});
    check_answers(h, guard, cases);
    for (std::string p : {"....//inside", "in-link"}) {
        INFO(p);
        RawPeer client;
        client.send(h.port, rrq(p));
        auto d = client.receive();
        REQUIRE(d.ok());
        auto* data = std::get_if<tftp::Data>(&d.packet);
        REQUIRE(data);
        client.send(client.last_from.port(), tftp::encode_ack(1));
        CHECK(std::string(data->payload.begin(), data->payload.end()) ==
              (p == "in-link" ? h.small : "dots are a name"));
    }
    RunResult r = h.end();
    CHECK(occurrences(r.out, "refused: Access violation: outside the root") == 17);
}

TEST_CASE("ftp-serve refuses hard links unless --allow-hard-links",
          "[ftp][hostile][confine][ftp-get][ftp-serve]") {
    TempDir outside;
    fs::path secret = fs::path(outside.path()) / "secret";
    write_file(secret, "outside the root");
    {
        Hostile h({"--allow-write", "--overwrite"});
        fs::create_hard_link(secret, h.root / "hl");             // leads out: same inode as the secret
        fs::create_hard_link(h.root / "small", h.root / "twin"); // both names inside: refused just the same
        SteppedDownload& guard = h.start_guard();
        check_answers(h, guard,
                      {{rrq_text("hl"), ErrorCode::access_violation,
                        "Access violation: hard link (the file has other names)"},
                       {rrq_text("twin"), ErrorCode::access_violation, "hard link"},
                       {rrq_text("small"), ErrorCode::access_violation, "hard link"}});
        // An upload over a hard link replaces the name (rename(2)), never writes through to the secret.
        TempDir src;
        write_file(fs::path(src.path()) / "new", "uploaded");
        RunResult put = run_netlab({"ftp-get", "--put", h.address(), "hl", "-o", src.path() + "/new"});
        CHECK(put.status == 0);
        CHECK(read_file(h.root / "hl") == "uploaded");
        CHECK(read_file(secret) == "outside the root");
        CHECK(fs::hard_link_count(secret) == 1);
        RunResult r = h.end();
        CHECK(occurrences(r.out, "refused: Access violation: hard link") == 3);
    }
    Hostile allowed({"--allow-hard-links"});
    fs::create_hard_link(secret, allowed.root / "hl");
    RunResult get = run_netlab({"ftp-get", allowed.address(), "hl", "-o", (allowed.out / "hl").string()});
    CHECK(get.status == 0);
    CHECK(read_file(allowed.out / "hl") == "outside the root"); // what the default refuses, and why
}

TEST_CASE("ftp-serve refuses directories, /dev/zero, devices, sockets and FIFOs without blocking",
          "[ftp][hostile][confine][ftp-get][ftp-serve]") {
    Hostile h;
    fs::create_directory(h.root / "dir");
    fs::create_symlink("/dev/zero", h.root / "zero-link");
    REQUIRE(::mkfifo((h.root / "fifo").c_str(), 0644) == 0);
    REQUIRE(::mknod((h.root / "sock").c_str(), S_IFSOCK | 0644, 0) == 0);
    bool device = running_as_root() && ::mknod((h.root / "zero").c_str(), S_IFCHR | 0666, makedev(1, 5)) == 0;
    SteppedDownload& guard = h.start_guard();
    std::vector<Expect> cases{
        {rrq_text("dir"), ErrorCode::access_violation, "Access violation: is a directory"},
        {rrq_text("."), ErrorCode::access_violation, "Access violation: is a directory"},
        {rrq_text("dir/"), ErrorCode::access_violation, "Access violation: is a directory"},
        {rrq_text("/dev/zero"), ErrorCode::access_violation, "Access violation: outside the root"},
        {rrq_text("zero-link"), ErrorCode::access_violation, "Access violation: outside the root"},
        // A FIFO nobody writes to: an open without O_NONBLOCK would hang the whole server here.
        {rrq_text("fifo"), ErrorCode::access_violation, "Access violation: not a regular file"},
        {rrq_text("sock"), ErrorCode::access_violation, "Access violation: not a regular file"}};
    if (device)
        cases.push_back(
            {rrq_text("zero"), ErrorCode::access_violation, "Access violation: not a regular file"});
    check_answers(h, guard, cases);
    h.end();
    if (!device) NETLAB_SKIP("needs root: mknod of /dev/zero's device inside the root (the other cases ran)");
}

TEST_CASE("ftp-serve refuses the excess of an RRQ flood with ERROR and keeps serving",
          "[ftp][hostile][ftp-get][ftp-serve]") {
    // Abandoned transfers give up after about 3 s: long enough for the flood to run on a loaded machine.
    Hostile h({"--max-transfers", "8", "--max-per-client", "4", "--timeout", "1", "--retries", "3"});
    SteppedDownload& guard = h.start_guard();
    // From 127.0.0.2, then 127.0.0.3: each accepted transfer is abandoned after DATA 1 and holds its slot.
    auto flood = [&](const std::string& ip, int n) {
        std::vector<std::string> answers;
        std::vector<RawPeer> peers;
        for (int i = 0; i < n; ++i) {
            peers.emplace_back(ip);
            peers.back().send(h.port, rrq("big"));
            auto d = peers.back().receive();
            REQUIRE(d.ok());
            if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
                CHECK(e->code == ErrorCode::not_defined);
                answers.push_back(e->message);
            } else {
                REQUIRE(std::get_if<tftp::Data>(&d.packet));
                answers.push_back("DATA");
            }
            if (i % 4 == 3) guard.step();
        }
        return answers;
    };
    auto from2 = flood("127.0.0.2", 24);
    CHECK(std::count(from2.begin(), from2.end(), "DATA") == 4);
    CHECK(std::count(from2.begin(), from2.end(), "server busy: 4 transfers from 127.0.0.2") == 20);
    auto from3 = flood("127.0.0.3", 20); // the guard and 4 from .2 run: 3 more fit in 8
    CHECK(std::count(from3.begin(), from3.end(), "DATA") == 3);
    CHECK(std::count(from3.begin(), from3.end(), "server busy: 8 transfers running") == 17);
    CHECK(guard.finish() == h.guard);
    // The guard's slot is free again: a real client gets it while the flood still holds the others.
    RunResult get = run_netlab({"ftp-get", h.address(), "big", "-o", (h.out / "big").string()}, 30s);
    INFO(get.err);
    CHECK(get.status == 0);
    CHECK(read_file(h.out / "big") == h.big);
    h.check_no_leak(); // the abandoned transfers time out after retries x timeout
    RunResult r = h.stop();
    CHECK(occurrences(r.out, ": refused: server busy") == 37);
    CHECK(occurrences(r.out, "failed: timed out") == 7);
}

TEST_CASE("ftp-serve ignores ACKs for blocks never sent", "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    ChildProcess get = h.background_get("big");
    RawPeer client;
    client.send(h.port, rrq("big", {{"windowsize", "4"}}));
    auto oack = client.receive();
    REQUIRE(oack.ok());
    REQUIRE(std::get_if<tftp::OptionAck>(&oack.packet));
    std::uint16_t tid = client.last_from.port();
    client.send(tid, tftp::encode_ack(0));
    for (std::uint16_t block = 1; block <= 4; ++block) {
        auto d = client.receive();
        REQUIRE(d.ok());
        CHECK(std::get<tftp::Data>(d.packet).block == block);
    }
    // Blocks 5, 1000 and 30000 were never sent (an ACK 32768 or more behind counts as an old duplicate): the
    // window must not move, whatever comes back is a retransmission of blocks 1..4 by the timer.
    for (int never : {5, 1000, 30000}) client.send(tid, tftp::encode_ack(static_cast<std::uint16_t>(never)));
    guard.step();
    for (auto d = client.receive(400ms); d.ok(); d = client.receive(400ms)) {
        auto* data = std::get_if<tftp::Data>(&d.packet);
        REQUIRE(data);
        CHECK(data->block <= 4);
    }
    client.send(tid, tftp::encode_ack(4)); // the real ACK moves it on
    for (std::uint16_t block = 5; block <= 8;) {
        auto d = client.receive();
        REQUIRE(d.ok());
        auto* data = std::get_if<tftp::Data>(&d.packet);
        REQUIRE(data);
        if (data->block <= 4) continue; // a late retransmission
        CHECK(data->block == block++);
    }
    client.send(tid, tftp::encode(tftp::ErrorPacket{ErrorCode::not_defined, "enough"}));
    RunResult r = h.end(&get);
    CHECK(std::regex_search(r.out, std::regex("RRQ big octet blksize=512 windowsize=4: failed: enough.* 3 "
                                              "malformed")));
}

TEST_CASE("a client repeating a stale ACK does not hold its transfer: only progress keeps it alive",
          "[ftp][hostile][ftp-serve]") {
    // --timeout 1 --retries 2: a transfer without progress for 2 s gives up. The attacker takes block 1,
    // then sends only ACK 1 again, every 50 ms for up to 10 s; before, each of those kept it alive.
    Hostile h({"--timeout", "1", "--retries", "2"});
    RawPeer client;
    client.send(h.port, rrq("big"));
    auto first = client.receive();
    REQUIRE(first.ok());
    REQUIRE(std::get<tftp::Data>(first.packet).block == 1);
    std::uint16_t tid = client.last_from.port();
    std::string log;
    auto until = std::chrono::steady_clock::now() + 10s;
    while (log.find("RRQ big") == std::string::npos && std::chrono::steady_clock::now() < until) {
        client.send(tid, tftp::encode_ack(1));
        while (client.receive(0ms).ok()) {
        } // DATA 2 again and again, unacknowledged
        if (auto line = h.server->read_stdout_line(50ms)) log += *line + "\n";
    }
    INFO(log);
    CHECK(std::regex_search(log, std::regex("RRQ big octet .*: failed: timed out")));
    h.stop();
}

TEST_CASE("a client that progresses too slowly is cut at the deadline its file's size allows",
          "[ftp][hostile][ftp-serve]") {
    // --min-rate 100k: "big" (300,001 bytes) must end within 2 s + 2.9 s. The client acknowledges
    // every block, but only one each 0.5 s (1 KB/s): progress, so the idle timer never fires.
    Hostile h({"--timeout", "1", "--retries", "2", "--min-rate", "100k"});
    RawPeer client;
    client.send(h.port, rrq("big"));
    std::string log, error;
    std::uint16_t expected = 1;
    auto until = std::chrono::steady_clock::now() + 20s;
    while (error.empty() && std::chrono::steady_clock::now() < until) {
        auto d = client.receive(2s);
        if (!d.ok()) continue;
        if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
            error = e->message;
            break;
        }
        auto* data = std::get_if<tftp::Data>(&d.packet);
        if (!data || data->block != expected) continue; // the server's repeats of the block acknowledged next
        if (auto line = h.server->read_stdout_line(500ms)) log += *line + "\n"; // the client's pace
        client.send(client.last_from.port(), tftp::encode_ack(expected++));
    }
    CHECK(error == "transfer too slow");
    if (auto line = h.server->read_stdout_line(5s)) log += *line + "\n";
    INFO(log);
    CHECK(std::regex_search(log, std::regex("RRQ big octet .*: failed: too slow: [0-9]+ bytes in")));
    h.stop();
}

TEST_CASE("ftp-serve answers DATA and ACK from a third port with ERROR 5, never an ERROR, and goes on",
          "[ftp][hostile][ftp-get][ftp-serve]") {
    Hostile h;
    SteppedDownload& guard = h.start_guard();
    ChildProcess get = h.background_get("big");
    RawPeer stranger;
    RawPeer same_port_other_host("127.0.0.2", guard.peer().port()); // the IP is part of the TID too
    for (RawPeer* p : {&stranger, &same_port_other_host}) {
        for (const auto& packet :
             {tftp::encode_ack(2), tftp::encode_data(2, std::vector<std::uint8_t>(512, 7))}) {
            p->send(guard.tid(), packet);
            auto d = p->receive();
            REQUIRE(d.ok());
            auto* e = std::get_if<tftp::ErrorPacket>(&d.packet);
            REQUIRE(e);
            CHECK(e->code == ErrorCode::unknown_tid);
            CHECK(e->message == "Unknown transfer ID");
            REQUIRE(guard.step());
        }
        // An ERROR from a stranger is not answered: with a forged source naming another transfer port,
        // two transfers would bounce ERROR 5 between them forever. Nor does it end the transfer.
        p->send(guard.tid(), tftp::encode(tftp::ErrorPacket{ErrorCode::not_defined, "stop"}));
        CHECK(p->receive(300ms).reason == "timeout");
        REQUIRE(guard.step());
    }
    RunResult r = h.end(&get);
    CHECK(
        std::regex_search(r.out, std::regex("RRQ guard octet blksize=512 windowsize=1: ok.* 6 unknown TID")));
    CHECK(total(r.err, "unknown TID") == 6);
}

TEST_CASE("ftp-serve --max-buffered lowers windows, then block sizes, then refuses",
          "[ftp][hostile][limits][ftp-get][ftp-serve]") {
    Hostile h({"--max-buffered", "300000"});
    SteppedDownload& guard = h.start_guard(); // 512 bytes of the budget
    std::vector<RawPeer> clients(3);
    auto ask = [&](RawPeer& c, std::vector<tftp::Option> options) {
        c.send(h.port, rrq("big", std::move(options)));
        auto d = c.receive();
        REQUIRE(d.ok());
        guard.step();
        return d;
    };
    std::vector<tftp::Option> most{{"blksize", "65464"}, {"windowsize", "64"}};
    auto a = ask(clients[0], most); // 299488 left: 4 blocks of 65464
    CHECK(std::get<tftp::OptionAck>(a.packet).options ==
          std::vector<tftp::Option>{{"blksize", "65464"}, {"windowsize", "4"}});
    auto b = ask(clients[1], most); // 37632 left: one smaller block
    CHECK(std::get<tftp::OptionAck>(b.packet).options ==
          std::vector<tftp::Option>{{"blksize", "37632"}, {"windowsize", "1"}});
    auto c = ask(clients[2], {}); // nothing left, not even 512 bytes
    REQUIRE(std::get_if<tftp::ErrorPacket>(&c.packet));
    CHECK(std::get<tftp::ErrorPacket>(c.packet).message == "server busy: 300000 bytes buffered");
    // The first ends: its budget comes back.
    clients[0].send(clients[0].last_from.port(),
                    tftp::encode(tftp::ErrorPacket{ErrorCode::not_defined, "bye"}));
    guard.step();
    h.wait_for_transfers(2); // the guard's and b's
    RawPeer later;
    auto d = ask(later, {{"blksize", "1468"}, {"windowsize", "8"}});
    CHECK(std::get<tftp::OptionAck>(d.packet).options ==
          std::vector<tftp::Option>{{"blksize", "1468"}, {"windowsize", "8"}});
    for (auto* p : {&clients[1], &later})
        p->send(p->last_from.port(), tftp::encode(tftp::ErrorPacket{ErrorCode::not_defined, "bye"}));
    RunResult r = h.end();
    CHECK_THAT(r.out, Catch::Contains("windowsize 64 lowered to 4"));
    CHECK_THAT(r.out, Catch::Contains("blksize 65464 lowered to 37632"));
}
