// ftp-get against a scripted hostile server: sizes beyond the disk or --max-size, streams past the
// announced tsize, blocks larger than the OACK granted, options never asked for, DATA from a second
// port. Each must end as RFC 1350/2347/2348 say, with exit 1, one clear error and no file left.
#include "netlab_test.hpp"
#include "tftp_peer.hpp"

#include "tftp.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <iterator>
#include <string>
#include <variant>

using namespace netlab::test;
using netlab::ChildProcess;
namespace fs = std::filesystem;
namespace tftp = netlab::tftp;
using tftp::ErrorCode;

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A server played step by step: its request port, and another port for the transfer (its TID).
struct Scripted {
    TempDir dir;
    RawPeer listener, transfer;
    std::optional<ChildProcess> get;
    std::uint16_t client = 0; // the client's TID

    // Starts `ftp-get 127.0.0.1:PORT f -o OUT extra...` (OUT: DIR/f unless given) and reads its request.
    explicit Scripted(std::vector<std::string> extra = {}, std::string out = "") {
        std::vector<std::string> args{"ftp-get", "127.0.0.1:" + std::to_string(listener.port()), "f", "-o",
                                      out.empty() ? output() : out};
        args.insert(args.end(), extra.begin(), extra.end());
        get.emplace(start_netlab(args));
        tftp::Decoded request = listener.receive(5s);
        REQUIRE(std::holds_alternative<tftp::Request>(request.packet));
        client = listener.last_from.port();
    }
    std::string output() const { return dir.path() + "/f"; }
    void oack(std::vector<tftp::Option> options) {
        transfer.send(client, tftp::encode(tftp::OptionAck{options}));
    }
    void data(std::uint16_t block, const std::string& payload) {
        transfer.send(client, tftp::encode_data(block, bytes_of(payload)));
    }
    // The next packet the client sends the transfer port: ACK n.
    bool acked(std::uint16_t block) {
        tftp::Decoded d = transfer.receive(5s);
        auto* a = std::get_if<tftp::Ack>(&d.packet);
        return a && a->block == block;
    }
    // The next packet the client sends the transfer port is ERROR `code`; its message.
    std::string error(ErrorCode code) {
        tftp::Decoded d = transfer.receive(5s);
        auto* e = std::get_if<tftp::ErrorPacket>(&d.packet);
        REQUIRE(e);
        CHECK(e->code == code);
        return e->message;
    }
    // The client's exit: status 1, the error on stderr, and nothing left in the download directory.
    void failed_with(const std::string& why) {
        RunResult r = finish(*get);
        CHECK(r.status == 1);
        CHECK_THAT(r.err, Catch::StartsWith("netlab ftp-get: get f: ") && Catch::Contains(why));
        CHECK(fs::is_empty(dir.path()));
    }
};

} // namespace

TEST_CASE("ftp-get refuses a tsize beyond the free space, a file offset or --max-size before any data",
          "[ftp][hostile][ftp-get]") {
    struct Case {
        std::string tsize;
        std::vector<std::string> extra;
        std::string why;
    };
    for (const Case& c : {Case{"1125899906842624", {}, "No space left on device"}, // 1 PiB
                          Case{"18446744073709551615", {}, "File too large"},
                          Case{"5000",
                               {"--max-size", "1000"},
                               "the server announced 5000 bytes (tsize), more "
                               "than the limit of 1000"},
                          Case{"3000000", {"--max-size", "2M"}, "more than the limit of 2097152"}}) {
        INFO("tsize " << c.tsize);
        Scripted s(c.extra);
        s.oack({{"tsize", c.tsize}});
        s.error(ErrorCode::disk_full); // instead of ACK 0: no data was asked for
        s.failed_with(c.why);
    }
}

TEST_CASE("ftp-get cuts a stream that goes past the announced tsize or --max-size",
          "[ftp][hostile][ftp-get]") {
    const std::string block(512, 'x');
    SECTION("past tsize") {
        Scripted s;
        s.oack({{"blksize", "512"}, {"tsize", "600"}});
        REQUIRE(s.acked(0));
        s.data(1, block);
        REQUIRE(s.acked(1));
        s.data(2, block); // a full block: 1024 bytes of an announced 600, and more would follow
        s.error(ErrorCode::disk_full);
        s.failed_with("more data than the 600 bytes announced (tsize)");
    }
    SECTION("past --max-size, without tsize") {
        Scripted s({"--max-size", "1000"});
        s.oack({{"blksize", "512"}}); // tsize left out of the OACK: only the limit holds the stream
        REQUIRE(s.acked(0));
        s.data(1, block);
        REQUIRE(s.acked(1));
        s.data(2, block);
        s.error(ErrorCode::disk_full);
        s.failed_with("more data than the limit of 1000 bytes");
    }
    SECTION("past --max-size, from an RFC 1350 server that ignores options") {
        Scripted s({"--max-size", "1000"});
        s.data(1, block); // DATA 1 straight away: the defaults hold
        REQUIRE(s.acked(1));
        s.data(2, block);
        s.error(ErrorCode::disk_full);
        s.failed_with("more data than the limit of 1000 bytes");
    }
    SECTION("past tsize, into stdout") {
        Scripted s({}, "-");
        s.oack({{"blksize", "512"}, {"tsize", "100"}});
        REQUIRE(s.acked(0));
        s.data(1, block);
        s.error(ErrorCode::disk_full); // before a byte of it is written
        RunResult r = finish(*s.get);
        CHECK(r.status == 1);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::Contains("more data than the 100 bytes announced"));
    }
}

TEST_CASE("ftp-get answers DATA larger than the blksize its OACK granted with ERROR 4",
          "[ftp][hostile][ftp-get]") {
    Scripted s({"--blksize", "1468"});
    s.oack({{"blksize", "512"}, {"tsize", "2000"}});
    REQUIRE(s.acked(0));
    s.data(1, std::string(1000, 'y')); // 1000 bytes under a granted 512
    s.error(ErrorCode::illegal_operation);
    s.failed_with("DATA of 1000 bytes is larger than blksize 512");
}

TEST_CASE("ftp-get refuses an OACK with options it never asked for, or values above its own, with ERROR 8",
          "[ftp][hostile][options][ftp-get]") {
    struct Case {
        std::vector<tftp::Option> oack;
        std::string why;
    };
    for (const Case& c :
         {Case{{{"windowsize", "4"}}, "server acknowledged option 'windowsize' that was not asked for"},
          Case{{{"tsize", "10"}, {"evil", "1"}}, "server acknowledged option 'evil' that was not asked for"},
          Case{{{"blksize", "9000"}}, "server answered blksize '9000': not between 8 and the size asked"},
          Case{{{"blksize", "4"}}, "server answered blksize '4'"},
          Case{{{"tsize", "many"}}, "server answered tsize 'many': not a number"}}) {
        INFO(c.why);
        Scripted s;
        s.oack(c.oack);
        s.error(ErrorCode::option_refused);
        s.failed_with(c.why);
    }
}

TEST_CASE("ftp-get answers DATA from a second port with ERROR 5 and completes from the first",
          "[ftp][hostile][ftp-get]") {
    Scripted s;
    const std::string file = "the real file's bytes";
    s.oack({{"tsize", std::to_string(file.size())}});
    REQUIRE(s.acked(0));
    RawPeer intruder;
    intruder.send(s.client, tftp::encode_data(1, bytes_of(std::string("forged bytes"))));
    tftp::Decoded answer = intruder.receive(5s);
    auto* e = std::get_if<tftp::ErrorPacket>(&answer.packet);
    REQUIRE(e);
    CHECK(e->code == ErrorCode::unknown_tid);
    s.data(1, file);
    CHECK(s.acked(1));
    RunResult r = finish(*s.get);
    CHECK(r.status == 0);
    CHECK(read_file(s.output()) == file);
    CHECK(std::distance(fs::directory_iterator(s.dir.path()), fs::directory_iterator()) == 1);
}
