// Multicast forwarding between interfaces through packet sockets (packet(7)), TTL lowered by one.
#include "multicast_forwarder.hpp"

#include "error.hpp"
#include "sys.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

namespace netlab::mroute {

namespace {

void fix_ipv4_checksum(std::span<std::uint8_t> header) {
    header[10] = header[11] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < header.size(); i += 2) sum += (header[i] << 8) | header[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    std::uint16_t checksum = static_cast<std::uint16_t>(~sum);
    header[10] = static_cast<std::uint8_t>(checksum >> 8);
    header[11] = static_cast<std::uint8_t>(checksum);
}

std::uint32_t add_words(std::span<const std::uint8_t> bytes, std::uint32_t sum) {
    for (std::size_t i = 0; i < bytes.size(); i += 2)
        sum += (bytes[i] << 8) | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
    return sum;
}

// Sets the UDP checksum of a whole datagram (`udp`: its header and data) from scratch. A sender on a
// veth leaves it to "hardware" (CHECKSUM_PARTIAL): a packet socket reads only the pseudo-header's
// part, and sent on as read, every receiver would drop the datagram.
void fix_udp_checksum(std::span<const std::uint8_t> source, std::span<const std::uint8_t> destination,
                      std::span<std::uint8_t> udp) {
    std::size_t length = (udp[4] << 8) | udp[5];
    if (length < 8 || length > udp.size()) return; // not ours to repair
    udp = udp.first(length);
    udp[6] = udp[7] = 0;
    std::uint32_t sum = add_words(source, add_words(destination, 17 + static_cast<std::uint32_t>(length)));
    sum = add_words(udp, sum);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    std::uint16_t checksum = static_cast<std::uint16_t>(~sum);
    if (checksum == 0) checksum = 0xffff; // 0 means "no checksum" (RFC 768)
    udp[6] = static_cast<std::uint8_t>(checksum >> 8);
    udp[7] = static_cast<std::uint8_t>(checksum);
}

} // namespace

const char* to_string(Verdict verdict) {
    switch (verdict) {
    case Verdict::forward:
        return "forward";
    case Verdict::not_multicast:
        return "not multicast";
    case Verdict::link_scope:
        return "link scope";
    case Verdict::ttl_expired:
        return "ttl expired";
    case Verdict::malformed:
        return "malformed";
    }
    return "?";
}

Verdict route(std::span<std::uint8_t> packet) {
    if (packet.empty()) return Verdict::malformed;
    int version = packet[0] >> 4;
    if (version == 4) {
        std::size_t header = (packet[0] & 0x0f) * 4u;
        if (header < 20 || packet.size() < header) return Verdict::malformed;
        if ((packet[16] & 0xf0) != 0xe0) return Verdict::not_multicast;
        if (packet[16] == 224 && packet[17] == 0 && packet[18] == 0) return Verdict::link_scope;
        if (packet[8] <= 1) return Verdict::ttl_expired;
        --packet[8];
        fix_ipv4_checksum(packet.first(header));
        bool fragment = ((packet[6] & 0x3f) | packet[7]) != 0; // MF or an offset: not a whole datagram
        if (packet[9] == 17 && !fragment && packet.size() >= header + 8)
            fix_udp_checksum(packet.subspan(12, 4), packet.subspan(16, 4), packet.subspan(header));
        return Verdict::forward;
    }
    if (version == 6) {
        if (packet.size() < 40) return Verdict::malformed;
        if (packet[24] != 0xff) return Verdict::not_multicast;
        int scope = packet[25] & 0x0f;
        if (scope <= 2) return Verdict::link_scope;
        if (packet[7] <= 1) return Verdict::ttl_expired;
        --packet[7]; // IPv6 has no header checksum
        if (packet[6] == 17 && packet.size() >= 48)
            fix_udp_checksum(packet.subspan(8, 16), packet.subspan(24, 16), packet.subspan(40));
        return Verdict::forward;
    }
    return Verdict::malformed;
}

std::vector<std::uint8_t> group_mac(std::span<const std::uint8_t> packet) {
    if (!packet.empty() && packet[0] >> 4 == 4 && packet.size() >= 20)
        return {0x01, 0x00, 0x5e, static_cast<std::uint8_t>(packet[17] & 0x7f), packet[18], packet[19]};
    if (packet.size() >= 40) return {0x33, 0x33, packet[36], packet[37], packet[38], packet[39]};
    return {};
}

Forwarder::Forwarder(const std::vector<std::string>& interfaces) {
    for (const auto& name : interfaces) {
        unsigned index = ::if_nametoindex(name.c_str());
        if (index == 0) throw Error("find", "interface " + name, errno);
        // SOCK_DGRAM: the kernel strips the Ethernet header on receipt and writes it on sending.
        Fd sock(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ALL)));
        if (!sock.valid()) throw Error("socket", "AF_PACKET for " + name, errno);
        sockaddr_ll where{};
        where.sll_family = AF_PACKET;
        where.sll_protocol = htons(ETH_P_ALL);
        where.sll_ifindex = static_cast<int>(index);
        if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&where), sizeof where) < 0)
            throw Error("bind", "AF_PACKET to " + name, errno);
        ports_.push_back({name, static_cast<int>(index), std::move(sock)});
    }
}

Forwarder::Counts Forwarder::run(const Fd& stop) {
    std::vector<pollfd> fds;
    for (const auto& port : ports_) fds.push_back({port.sock.get(), POLLIN, 0});
    fds.push_back({stop.get(), POLLIN, 0});
    std::vector<std::uint8_t> buffer(65536);
    for (;;) {
        if (sys::poll(fds, -1) <= 0) continue;
        if (fds.back().revents) return counts_;
        for (std::size_t i = 0; i < ports_.size(); ++i) {
            if (!fds[i].revents) continue;
            // Drain what is queued, a bounded number per wake-up so no port starves the others.
            for (int n = 0; n < 64; ++n) {
                sockaddr_ll from{};
                socklen_t from_len = sizeof from;
                ssize_t got = ::recvfrom(ports_[i].sock.get(), buffer.data(), buffer.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &from_len);
                if (got < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    throw Error("receive", "on " + ports_[i].name, errno);
                }
                // Only frames that arrived for a multicast address: not what we sent (PACKET_OUTGOING).
                if (from.sll_pkttype != PACKET_MULTICAST) continue;
                std::uint16_t protocol = ntohs(from.sll_protocol);
                if (protocol != ETH_P_IP && protocol != ETH_P_IPV6) continue;
                std::span<std::uint8_t> packet(buffer.data(), static_cast<std::size_t>(got));
                Verdict verdict = route(packet);
                if (verdict == Verdict::ttl_expired) ++counts_.ttl_expired;
                if (verdict == Verdict::link_scope) ++counts_.link_scope;
                if (verdict != Verdict::forward) continue;
                auto mac = group_mac(packet);
                for (std::size_t j = 0; j < ports_.size(); ++j) {
                    if (j == i) continue;
                    sockaddr_ll to{};
                    to.sll_family = AF_PACKET;
                    to.sll_protocol = from.sll_protocol;
                    to.sll_ifindex = ports_[j].index;
                    to.sll_halen = 6;
                    std::copy(mac.begin(), mac.end(), to.sll_addr);
                    // A full queue loses the datagram, as a busy router would: multicast is unreliable.
                    if (::sendto(ports_[j].sock.get(), packet.data(), packet.size(), 0,
                                 reinterpret_cast<sockaddr*>(&to), sizeof to) >= 0)
                        ++counts_.forwarded;
                }
            }
        }
    }
}

} // namespace netlab::mroute
