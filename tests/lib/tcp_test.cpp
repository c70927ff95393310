// Tests of lib/tcp, lib/event_loop and lib/children on loopback sockets.
#include "children.hpp"
#include "error.hpp"
#include "event_loop.hpp"
#include "sockopt.hpp"
#include "sys.hpp"
#include "tcp.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace netlab;

namespace {
SocketAddress listening_on(const Fd& listener) {
    SocketAddress addr = sys::local_address(listener);
    return SocketAddress::loopback(addr.is_v6() ? Family::v6 : Family::v4, addr.port());
}
} // namespace

TEST_CASE("tcp::listen binds port 0 with SO_REUSEADDR and accepts", "[tcp]") {
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16);
    SocketAddress to = listening_on(listener);
    REQUIRE(to.port() != 0);
    int on = 0;
    socklen_t len = sizeof on;
    REQUIRE(::getsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, &len) == 0);
    CHECK(on == 1);

    Fd client = sys::socket(AF_INET, SOCK_STREAM);
    tcp::connect(client, to, std::chrono::milliseconds(2000));
    SocketAddress peer;
    auto conn = sys::accept(listener, &peer, false);
    REQUIRE(conn);
    CHECK(peer.ip() == "127.0.0.1");
    CHECK(tcp::send(*conn, "hi\n", 3).bytes == 3);
    conn->reset();
    char buf[8];
    tcp::IoResult r = tcp::receive(client, buf, sizeof buf);
    CHECK(r.ok());
    CHECK(std::string(buf, r.bytes) == "hi\n");
    r = tcp::receive(client, buf, sizeof buf);
    CHECK((r.ok() && r.bytes == 0)); // end of stream
}

TEST_CASE("send_last, send_reply and send deliver the whole reply, then the end of the stream", "[tcp]") {
    // send_last corks the reply so that it leaves with the FIN, one segment less per connection than
    // send and close: a figure bench/tcp.sh shows (segs/conn); here all must deliver the same bytes.
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16);
    for (std::string_view how : {"send", "send_last", "send_reply", "send_reply nonblocking"}) {
        INFO(how);
        Fd client = sys::socket(AF_INET, SOCK_STREAM);
        tcp::connect(client, listening_on(listener), std::chrono::milliseconds(2000));
        auto conn = sys::accept(listener, nullptr, false);
        REQUIRE(conn);
        tcp::IoResult sent = how == "send" ? tcp::send(*conn, "1764583200\n", 11)
                             : how == "send_last"
                                 ? tcp::send_last(*conn, "1764583200\n", 11)
                                 : tcp::send_reply(*conn, "1764583200\n", how != "send_reply");
        CHECK(sent.ok());
        CHECK(sent.bytes == 11);
        conn->reset();
        char buf[16];
        std::string got;
        for (;;) {
            tcp::IoResult r = tcp::receive(client, buf, sizeof buf);
            REQUIRE(r.ok());
            if (r.bytes == 0) break;
            got.append(buf, r.bytes);
        }
        CHECK(got == "1764583200\n");
    }
}

TEST_CASE("send_last's reply survives a close with the client's input unread", "[tcp]") {
    // Closing with unread input resets the connection, and the reset discards whatever is still
    // queued: a reply held back by MSG_MORE must be on its way before the close.
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16);
    for (int i = 0; i < 20; ++i) {
        Fd client = sys::socket(AF_INET, SOCK_STREAM);
        tcp::connect(client, listening_on(listener), std::chrono::milliseconds(2000));
        REQUIRE(tcp::send(client, "hello server\n", 13).bytes == 13); // like `echo | nc`
        auto conn = sys::accept(listener, nullptr, false);
        REQUIRE(conn);
        char buf[16];
        pollfd p{conn->get(), POLLIN, 0};
        REQUIRE(sys::poll({&p, 1}, 2000) == 1); // the input has arrived and stays unread
        CHECK(tcp::send_last(*conn, "1764583200\n", 11).bytes == 11);
        conn->reset();
        std::string got;
        for (;;) {
            tcp::IoResult r = tcp::receive(client, buf, sizeof buf);
            if (!r.ok() || r.bytes == 0) break; // the reset may follow the reply
            got.append(buf, r.bytes);
        }
        CHECK(got == "1764583200\n");
    }
}

TEST_CASE("a non-blocking listener says nothing is waiting instead of blocking", "[tcp]") {
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16, true);
    CHECK_FALSE(sys::accept(listener, nullptr, true).has_value());
}

TEST_CASE("sending to a peer that reset gives EPIPE or ECONNRESET, not SIGPIPE", "[tcp]") {
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 16);
    Fd client = sys::socket(AF_INET, SOCK_STREAM);
    tcp::connect(client, listening_on(listener), std::chrono::milliseconds(2000));
    auto conn = sys::accept(listener, nullptr, false);
    REQUIRE(conn);
    sockopt::linger(client, true, 0);
    client.reset(); // RST
    int error = 0;
    for (int i = 0; i < 100 && error == 0; ++i) error = tcp::send(*conn, "x", 1).error;
    CHECK((error == EPIPE || error == ECONNRESET));
}

TEST_CASE("connecting to a closed port is refused", "[tcp]") {
    SocketAddress to;
    {
        Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 1);
        to = listening_on(listener);
    }
    Fd client = sys::socket(AF_INET, SOCK_STREAM);
    try {
        tcp::connect(client, to, std::chrono::milliseconds(2000));
        FAIL("connect succeeded");
    } catch (const Error& e) {
        CHECK(e.error_number() == ECONNREFUSED);
        CHECK(e.action() == "connect");
    }
    Fd nb = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    int rc = tcp::start_connect(nb, to);
    CHECK((rc == ECONNREFUSED || rc == EINPROGRESS));
}

TEST_CASE("a connect's outcome is read from SO_ERROR, and a failed read is an error", "[tcp]") {
    SocketAddress to;
    {
        Fd listener = tcp::listen(SocketAddress::loopback(Family::v4, 0), 1);
        to = listening_on(listener);
    }
    CHECK(sockopt::socket_error(sys::socket(AF_INET, SOCK_STREAM)) == 0);
    Fd nb = sys::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    if (tcp::start_connect(nb, to) == EINPROGRESS) {
        pollfd p{nb.get(), POLLOUT, 0};
        REQUIRE(sys::poll({&p, 1}, 2000) == 1);
        CHECK(sockopt::socket_error(nb) == ECONNREFUSED);
    }
    // No socket, no SO_ERROR: the read fails, and must not pass for "no error".
    int p[2];
    REQUIRE(::pipe(p) == 0);
    Fd read_end(p[0]), write_end(p[1]);
    try {
        sockopt::socket_error(read_end);
        FAIL("SO_ERROR of a pipe read as a socket's");
    } catch (const Error& e) {
        CHECK(e.error_number() == ENOTSOCK);
        CHECK_THAT(e.what(), Catch::Contains("SO_ERROR"));
    }
}

TEST_CASE("errors of descriptor calls name the descriptor", "[tcp]") {
    Fd bound = sys::socket(AF_INET, SOCK_STREAM);
    sys::bind(bound, SocketAddress::loopback(Family::v4, 0));
    std::string address = sys::local_address(bound).to_string();
    CHECK(sys::describe(bound.get()) == address);
    try {
        sys::accept(bound, nullptr, false); // bound but not listening: EINVAL
        FAIL("accept on a socket that does not listen");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "accept " + address + ": " + std::strerror(EINVAL));
    }
    int p[2];
    REQUIRE(::pipe(p) == 0);
    Fd read_end(p[0]), write_end(p[1]);
    std::string pipe_name = "descriptor " + std::to_string(read_end.get());
    CHECK(sys::describe(read_end.get()) == pipe_name);
    try {
        sys::local_address(read_end);
        FAIL("getsockname of a pipe");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "getsockname " + pipe_name + ": " + std::strerror(ENOTSOCK));
    }
    pollfd two[2] = {{read_end.get(), POLLIN, 0}, {write_end.get(), POLLOUT, 0}};
    CHECK(sys::describe(two) == "descriptors " + std::to_string(p[0]) + ", " + std::to_string(p[1]));
}

TEST_CASE("tcp::listen works on IPv6", "[tcp]") {
    Fd listener = tcp::listen(SocketAddress::loopback(Family::v6, 0), 4);
    SocketAddress to = listening_on(listener);
    Fd client = sys::socket(AF_INET6, SOCK_STREAM);
    tcp::connect(client, to, std::chrono::milliseconds(2000));
    SocketAddress peer;
    CHECK(sys::accept(listener, &peer, false).has_value());
    CHECK(peer.ip() == "::1");
}

TEST_CASE("Epoll reports ready descriptors with their tags", "[event_loop]") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    Fd r(p[0]), w(p[1]);
    Epoll loop(4);
    loop.add(r.get(), EPOLLIN, 42);
    CHECK(loop.wait(0).empty());
    REQUIRE(::write(w.get(), "x", 1) == 1);
    auto ready = loop.wait(1000);
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].data.u64 == 42);
    CHECK((ready[0].events & EPOLLIN));
    loop.modify(r.get(), 0, 42); // silenced: still registered, not reported
    CHECK(loop.wait(0).empty());
    loop.modify(r.get(), EPOLLIN, 7);
    ready = loop.wait(0);
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].data.u64 == 7);
    loop.remove(r.get());
    CHECK(loop.wait(0).empty());
    CHECK_THROWS_AS(loop.remove(r.get()), Error); // not registered any more
}

TEST_CASE("reap_exited_children collects every exited child and counts failures", "[children]") {
    for (int code : {0, 3, 0}) {
        pid_t pid = fork_process();
        if (pid == 0) exit_child(code);
    }
    Reaped total;
    for (int i = 0; i < 200 && total.exited < 3; ++i) {
        Reaped r = reap_exited_children();
        total.exited += r.exited;
        total.failed += r.failed;
        if (total.exited < 3) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(total.exited == 3);
    CHECK(total.failed == 1);
    CHECK(reap_exited_children().exited == 0); // none left: ECHILD is not an error
}

TEST_CASE("reap_exited_child names each child's end, and kill_child leaves none to reap", "[children]") {
    pid_t failing = fork_process();
    if (failing == 0) exit_child(3);
    std::optional<ExitedChild> child;
    for (int i = 0; i < 200 && !child; ++i) {
        child = reap_exited_child();
        if (!child) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(child);
    CHECK(child->pid == failing);
    CHECK_FALSE(child->succeeded());
    CHECK(child->describe() == "exited with status 3");

    pid_t sleeping = fork_process();
    if (sleeping == 0) {
        ::pause(); // until killed
        exit_child(0);
    }
    kill_child(sleeping); // waits for it
    CHECK_FALSE(reap_exited_child());
    CHECK(ExitedChild{sleeping, SIGKILL}.describe() == "killed by signal 9 (SIGKILL)");
}
