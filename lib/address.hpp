// Socket addresses for IPv4 and IPv6: parsing "host:port", "[v6]:port", printing, name resolution.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace netlab {

enum class Family { any, v4, v6 };

// Splits "host:port", "[v6]:port", "[v6]", "v6" (two or more colons, no brackets) and "host" into the
// host and the port text (empty when absent). Throws UsageError on "[::1" and the like.
struct HostPort {
    std::string host;
    std::string port;
};
HostPort split_host_port(std::string_view text);

// "2333" -> 2333. Throws UsageError naming the text when it is not a number in 0..65535.
std::uint16_t parse_port(std::string_view text);

// An IPv4 or IPv6 socket address, printed as "1.2.3.4:5678" or "[::1]:80" (with "%scope" when set).
class SocketAddress {
public:
    SocketAddress() noexcept;
    // Copies what the kernel filled in (recvfrom, accept, getsockname).
    static SocketAddress from_sockaddr(const sockaddr* sa, socklen_t len);
    // The wildcard or loopback address of a family (any means IPv4).
    static SocketAddress wildcard(Family family, std::uint16_t port);
    static SocketAddress loopback(Family family, std::uint16_t port);

    // A numeric address with optional port ("1.2.3.4", "[::1]:80", "*:2333", "fe80::1%lo"); nullopt when
    // the text is not numeric. Throws UsageError on a bad port.
    static std::optional<SocketAddress> parse_numeric(std::string_view text, std::uint16_t default_port);
    // A numeric address or a host name looked up with getaddrinfo (first result of the family).
    // Throws UsageError on bad syntax and Error("resolve", host, reason) when the lookup fails.
    static SocketAddress resolve(std::string_view text, std::uint16_t default_port,
                                 Family family = Family::any);
    // resolve() of a host and a port given separately ("" and "*" mean the wildcard address).
    static SocketAddress resolve_host(std::string_view host, std::uint16_t port, Family family = Family::any);

    bool empty() const noexcept { return storage_.ss_family == AF_UNSPEC; }
    int family() const noexcept { return storage_.ss_family; }
    bool is_v6() const noexcept { return family() == AF_INET6; }
    std::uint16_t port() const noexcept;
    void set_port(std::uint16_t port) noexcept;
    bool is_multicast() const noexcept;
    bool is_wildcard() const noexcept;
    bool is_loopback() const noexcept; // 127.0.0.0/8 or ::1

    // Address without the port: "1.2.3.4", "::1", "fe80::1%eth0".
    std::string ip() const;
    // "1.2.3.4:5678", "[::1]:80".
    std::string to_string() const;

    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
    sockaddr* get_mut() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
    socklen_t size() const noexcept { return len_; }
    void set_size(socklen_t len) noexcept { len_ = len; }
    static constexpr socklen_t capacity() noexcept { return sizeof(sockaddr_storage); }

    friend bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;

private:
    sockaddr_storage storage_;
    socklen_t len_ = 0;
};

} // namespace netlab
