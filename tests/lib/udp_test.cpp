// Tests of lib/udp, lib/sys and lib/sockopt on loopback sockets.
#include "error.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <catch2/catch.hpp>
#include <cstring>

using namespace netlab;

namespace {
Fd bound_udp() {
    Fd fd = sys::socket(AF_INET, SOCK_DGRAM);
    sys::bind(fd, SocketAddress::loopback(Family::v4, 0));
    return fd;
}
} // namespace

TEST_CASE("a batch sent with sendmmsg arrives whole with recvmmsg", "[udp]") {
    Fd receiver = bound_udp();
    SocketAddress to = sys::local_address(receiver);
    REQUIRE(to.port() != 0);
    Fd sender = sys::socket(AF_INET, SOCK_DGRAM);
    sys::connect(sender, to);

    SendBatch out(8, 64);
    for (std::size_t i = 0; i < 8; ++i) {
        auto slot = out.slot(i);
        std::memset(slot.data(), static_cast<int>('a' + i), i + 1);
        out.set_length(i, i + 1);
    }
    CHECK(out.send(sender, 8).sent == 8);

    ReceiveBatch in(16, 32);
    std::size_t got = 0;
    for (int tries = 0; got < 8 && tries < 100; ++tries) {
        pollfd p{receiver.get(), POLLIN, 0};
        sys::poll({&p, 1}, 100);
        std::size_t n = in.receive(receiver);
        for (std::size_t i = 0; i < n; ++i, ++got) {
            CHECK(in.length(i) == got + 1);
            CHECK(in.data(i)[0] == 'a' + got);
            CHECK(in.source(i) == sys::local_address(sender));
        }
    }
    CHECK(got == 8);
    CHECK(in.receive(receiver) == 0); // nothing more: no blocking
}

TEST_CASE("an oversized datagram reports its real length", "[udp]") {
    Fd receiver = bound_udp();
    Fd sender = sys::socket(AF_INET, SOCK_DGRAM);
    sys::connect(sender, sys::local_address(receiver));
    SendBatch out(1, 2000);
    out.set_length(0, 2000);
    out.send(sender, 1);
    ReceiveBatch in(4, 512);
    pollfd p{receiver.get(), POLLIN, 0};
    sys::poll({&p, 1}, 1000);
    REQUIRE(in.receive(receiver) == 1);
    CHECK(in.length(0) == 2000);
    CHECK(in.data(0).size() == 512);
}

TEST_CASE("errors name the call and the address", "[sys]") {
    Fd first = bound_udp();
    SocketAddress taken = sys::local_address(first);
    Fd second = sys::socket(AF_INET, SOCK_DGRAM);
    try {
        sys::bind(second, taken);
        FAIL("bind to a taken port succeeded");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "bind " + taken.to_string() + ": Address already in use");
        CHECK(e.error_number() == EADDRINUSE);
    }
}

TEST_CASE("socket options take effect", "[sockopt]") {
    Fd fd = sys::socket(AF_INET, SOCK_DGRAM);
    sockopt::receive_buffer(fd, 1 << 20);
    CHECK(sockopt::receive_buffer_size(fd) >= 1 << 16);
    sockopt::broadcast(fd);
    sockopt::reuse_address(fd);
    Fd moved = std::move(fd);
    CHECK_FALSE(fd.valid());
    CHECK(moved.valid());
}
