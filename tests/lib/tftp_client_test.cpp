// Tests of lib/tftp_client against lib/tftp_server, both in this process: a download with options, and
// the server's refusal handed back as the client's error.
#include "tftp_client.hpp"

#include "confine.hpp"
#include "event_loop.hpp"
#include "netlab_test.hpp"
#include "sys.hpp"
#include "tftp_peer.hpp"
#include "tftp_server.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace netlab;
using namespace netlab::test;

namespace {

// A server on 127.0.0.1:0 serving `root`, run on a thread until the object goes.
class LocalServer {
public:
    explicit LocalServer(const std::string& root) {
        Fd listener = sys::socket(AF_INET, SOCK_DGRAM);
        sys::bind(listener, SocketAddress::loopback(Family::v4, 0));
        address_ = SocketAddress::loopback(Family::v4, sys::local_address(listener).port());
        server_ = std::make_unique<tftp::Server>(std::move(listener), open_directory(root),
                                                 tftp::ServerConfig{}, [](const tftp::TransferRecord&) {});
        runner_ = std::thread([this] { server_->run(&stop_.fd()); });
    }
    ~LocalServer() {
        stop_.notify();
        runner_.join();
    }
    const SocketAddress& address() const { return address_; }

private:
    SocketAddress address_;
    std::unique_ptr<tftp::Server> server_;
    Wakeup stop_;
    std::thread runner_;
};

tftp::ClientResult download(const SocketAddress& server, const std::string& path, std::string& into,
                            std::vector<tftp::Option> options = {}) {
    tftp::ClientConfig config;
    config.server = server;
    config.path = path;
    config.options = std::move(options);
    tftp::BlockSink sink;
    sink.write = [&into](std::span<const std::uint8_t> b) { into.append(b.begin(), b.end()); };
    sink.finish = [] {};
    return tftp::run_client(config, nullptr, sink, {});
}

} // namespace

TEST_CASE("run_client downloads a file whole, with the options the server granted", "[tftp][client]") {
    TempDir dir;
    std::string content = random_bytes(1468 * 7 + 100, 3);
    write_file(dir.path() + "/file", content);
    LocalServer server(dir.path());
    std::string got;
    tftp::ClientResult r =
        download(server.address(), "file", got, {{"blksize", "1468"}, {"windowsize", "4"}});
    INFO(r.error);
    REQUIRE(r.ok);
    CHECK(got == content);
    CHECK(r.settings.block_size == 1468);
    CHECK(r.settings.window_size == 4);
    CHECK(r.counters.bytes == content.size());
    CHECK_FALSE(r.options_ignored);
}

TEST_CASE("run_client reports the server's refusal as its error", "[tftp][client]") {
    TempDir dir;
    LocalServer server(dir.path());
    std::string got;
    tftp::ClientResult r = download(server.address(), "missing", got);
    CHECK_FALSE(r.ok);
    CHECK(r.error == "File not found");
    CHECK(got.empty());
}
