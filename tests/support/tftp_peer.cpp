// A raw TFTP peer for integration tests (RFC 1350).
#include "tftp_peer.hpp"

#include "datagram.hpp"
#include "sys.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <poll.h>
#include <random>

namespace netlab::test {

RawPeer::RawPeer(const std::string& ip, std::uint16_t port) : fd(sys::socket(AF_INET, SOCK_DGRAM)) {
    sys::bind(fd, *SocketAddress::parse_numeric(ip, port));
}

std::uint16_t RawPeer::port() const {
    return sys::local_address(fd).port();
}

void RawPeer::send(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
    send_to(fd, bytes, SocketAddress::loopback(Family::v4, port));
}

void RawPeer::send(std::uint16_t port, std::string_view bytes) {
    send(port, std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

tftp::Decoded RawPeer::receive(std::chrono::milliseconds timeout) {
    pollfd p{fd.get(), POLLIN, 0};
    if (sys::poll({&p, 1}, static_cast<int>(timeout.count())) == 0) {
        tftp::Decoded d;
        d.reason = "timeout";
        return d;
    }
    auto r = receive_from(fd, buffer);
    REQUIRE(r);
    last_from = r->from;
    return tftp::decode({buffer.data(), r->length});
}

std::vector<std::uint8_t> rrq(const std::string& name, std::vector<tftp::Option> options) {
    tftp::Request r;
    r.filename = name;
    r.options = std::move(options);
    return tftp::encode(r);
}

SteppedDownload::SteppedDownload(std::uint16_t server_port, const std::string& name) {
    peer_.send(server_port, rrq(name));
}

bool SteppedDownload::step() {
    if (done_ || !error_.empty()) return false;
    // A few tries: the server's retransmissions and our own re-ACKs may come first.
    for (int tries = 0; tries < 20; ++tries) {
        tftp::Decoded d = peer_.receive(std::chrono::milliseconds(3000));
        if (!d.ok()) {
            error_ = d.reason;
            return false;
        }
        if (auto* e = std::get_if<tftp::ErrorPacket>(&d.packet)) {
            error_ = "ERROR " + std::to_string(static_cast<int>(e->code)) + ": " + e->message;
            return false;
        }
        auto* data = std::get_if<tftp::Data>(&d.packet);
        if (!data) continue;
        if (tid_ == 0) tid_ = peer_.last_from.port();
        if (peer_.last_from.port() != tid_) continue;
        if (data->block == expected_) {
            data_.append(data->payload.begin(), data->payload.end());
            peer_.send(tid_, tftp::encode_ack(expected_));
            ++expected_;
            done_ = data->payload.size() < tftp::default_block_size;
            return !done_;
        }
        if (data->block == static_cast<std::uint16_t>(expected_ - 1))
            peer_.send(tid_, tftp::encode_ack(data->block)); // our ACK was lost or late
    }
    error_ = "no progress";
    return false;
}

const std::string& SteppedDownload::finish() {
    while (step()) {
    }
    return data_;
}

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

void write_file(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

namespace {

long status_field(int pid, const std::string& name) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == name) {
            long value = 0;
            in >> value;
            return value;
        }
        in.ignore(4096, '\n');
    }
    return -1;
}

} // namespace

long resident_kib(int pid) {
    return status_field(pid, "VmRSS:");
}

long thread_count(int pid) {
    return status_field(pid, "Threads:");
}

} // namespace netlab::test
