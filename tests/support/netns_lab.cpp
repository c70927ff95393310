// The test lab of network namespaces and the helpers that run netlab inside it.
#include "netns_lab.hpp"

#include "error.hpp"
#include "sys.hpp"
#include "udp.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

namespace netlab::test {

namespace {
int clean_stale_labs() {
    return NetnsLab::remove_stale(lab_prefix);
}
} // namespace

int TestLab::cleaned_ = 0;

// The comma operator runs the stale-lab cleanup before the member is built.
TestLab::TestLab(int hosts) : lab_((cleaned_ += clean_stale_labs(), lab_prefix), hosts) {}

ChildProcess TestLab::start(std::string_view host, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{netlab_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return ChildProcess::spawn(lab_.exec_argv(host, argv));
}

RunResult TestLab::run(std::string_view host, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout) const {
    ChildProcess child = start(host, args);
    return finish(child, timeout);
}

void send_datagram(const Fd& sock, const std::vector<std::uint8_t>& bytes) {
    SendBatch batch(1, std::max<std::size_t>(bytes.size(), 1));
    std::memcpy(batch.slot(0).data(), bytes.data(), bytes.size());
    batch.set_length(0, bytes.size());
    batch.send(sock, 1);
}

std::vector<std::uint8_t> receive_datagram(const Fd& sock) {
    pollfd p{sock.get(), POLLIN, 0};
    REQUIRE(sys::poll({&p, 1}, 5000) == 1);
    ReceiveBatch batch(1, 1024);
    REQUIRE(batch.receive(sock) == 1);
    auto data = batch.data(0);
    return {data.begin(), data.end()};
}

std::string output_of(ChildProcess& child) {
    std::string out = child.read_all_stdout(10s);
    CHECK(child.wait(5s) == 0);
    return out;
}

ChildProcess start_receiver(const TestLab& lab, std::string_view host, std::vector<std::string> args) {
    args.push_back("-v");
    ChildProcess child = lab.start(host, args);
    wait_for_listening_port(child);
    return child;
}

} // namespace netlab::test
