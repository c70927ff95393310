// Socket addresses for IPv4 and IPv6 (getaddrinfo(3), inet_ntop(3)).
#include "address.hpp"

#include "error.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>

namespace netlab {

HostPort split_host_port(std::string_view text) {
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos)
            throw UsageError("invalid address '" + std::string(text) + "': missing ']'");
        HostPort hp{std::string(text.substr(1, close - 1)), ""};
        auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || rest.size() == 1)
                throw UsageError("invalid address '" + std::string(text) + "': expected ':PORT' after ']'");
            hp.port = std::string(rest.substr(1));
        }
        return hp;
    }
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return {std::string(text), ""};
    if (text.find(':', colon + 1) != std::string_view::npos) return {std::string(text), ""}; // bare IPv6
    return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

std::uint16_t parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
        throw UsageError("invalid port '" + std::string(text) + "': expected a number 0-65535");
    return static_cast<std::uint16_t>(value);
}

SocketAddress::SocketAddress() noexcept {
    std::memset(&storage_, 0, sizeof storage_);
    storage_.ss_family = AF_UNSPEC;
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
    SocketAddress addr;
    if (len > sizeof addr.storage_) len = sizeof addr.storage_;
    std::memcpy(&addr.storage_, sa, len);
    addr.len_ = len;
    return addr;
}

SocketAddress SocketAddress::wildcard(Family family, std::uint16_t port) {
    SocketAddress addr;
    if (family == Family::v6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr.storage_);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_any;
        addr.len_ = sizeof(sockaddr_in6);
    } else {
        auto* sin = reinterpret_cast<sockaddr_in*>(&addr.storage_);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_ANY);
        addr.len_ = sizeof(sockaddr_in);
    }
    addr.set_port(port);
    return addr;
}

SocketAddress SocketAddress::loopback(Family family, std::uint16_t port) {
    SocketAddress addr = wildcard(family, port);
    if (family == Family::v6)
        reinterpret_cast<sockaddr_in6*>(&addr.storage_)->sin6_addr = in6addr_loopback;
    else
        reinterpret_cast<sockaddr_in*>(&addr.storage_)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

namespace {

int to_af(Family family) {
    switch (family) {
    case Family::v4:
        return AF_INET;
    case Family::v6:
        return AF_INET6;
    default:
        return AF_UNSPEC;
    }
}

// getaddrinfo with the given flags; nullopt with *gai_error set when it fails.
std::optional<SocketAddress> lookup(const std::string& host, std::uint16_t port, Family family, int flags,
                                    int* gai_error) {
    // getaddrinfo would read "1.2.3.4\0junk" as 1.2.3.4: text with a NUL names no host.
    if (host.find('\0') != std::string::npos) {
        *gai_error = EAI_NONAME;
        return std::nullopt;
    }
    addrinfo hints{};
    hints.ai_family = to_af(family);
    hints.ai_socktype = SOCK_DGRAM; // one result per address instead of one per socket type
    hints.ai_flags = flags;
    addrinfo* result = nullptr;
    int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
    if (rc != 0) {
        *gai_error = rc;
        return std::nullopt;
    }
    SocketAddress addr = SocketAddress::from_sockaddr(result->ai_addr, result->ai_addrlen);
    ::freeaddrinfo(result);
    addr.set_port(port);
    return addr;
}

} // namespace

std::optional<SocketAddress> SocketAddress::parse_numeric(std::string_view text, std::uint16_t default_port) {
    HostPort hp = split_host_port(text);
    std::uint16_t port = hp.port.empty() ? default_port : parse_port(hp.port);
    if (hp.host == "*" || hp.host.empty()) return wildcard(Family::v4, port);
    int gai_error = 0;
    return lookup(hp.host, port, Family::any, AI_NUMERICHOST, &gai_error);
}

SocketAddress SocketAddress::resolve(std::string_view text, std::uint16_t default_port, Family family) {
    HostPort hp = split_host_port(text);
    std::uint16_t port = hp.port.empty() ? default_port : parse_port(hp.port);
    return resolve_host(hp.host, port, family);
}

SocketAddress SocketAddress::resolve_host(std::string_view host_view, std::uint16_t port, Family family) {
    std::string host(host_view);
    if (host.empty() || host == "*") return wildcard(family, port);
    int gai_error = 0;
    if (auto addr = lookup(host, port, family, AI_NUMERICHOST, &gai_error)) return *addr;
    if (gai_error == EAI_FAMILY || gai_error == EAI_ADDRFAMILY)
        throw UsageError("address '" + host + "' is not " + (family == Family::v6 ? "IPv6" : "IPv4"));
    if (auto addr = lookup(host, port, family, AI_ADDRCONFIG, &gai_error)) return *addr;
    throw Error("resolve", host, ::gai_strerror(gai_error));
}

std::uint16_t SocketAddress::port() const noexcept {
    if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    return 0;
}

void SocketAddress::set_port(std::uint16_t port) noexcept {
    if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
    if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
}

bool SocketAddress::is_multicast() const noexcept {
    if (family() == AF_INET6)
        return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    if (family() == AF_INET)
        return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr));
    return false;
}

bool SocketAddress::is_wildcard() const noexcept {
    if (family() == AF_INET6)
        return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    if (family() == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
    return false;
}

bool SocketAddress::is_loopback() const noexcept {
    if (family() == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
    if (family() == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr) >> 24) == 127;
    return false;
}

std::string SocketAddress::ip() const {
    char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2] = "";
    if (family() == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
        return text;
    }
    if (family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
        ::inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
        std::string out = text;
        if (sin6->sin6_scope_id != 0) {
            char name[IF_NAMESIZE] = "";
            out += '%';
            // getaddrinfo takes an interface name only for link-local addresses (a scope on any other
            // one must be a number), so print what parses back.
            bool link_local =
                IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) || IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr);
            out += link_local && ::if_indextoname(sin6->sin6_scope_id, name)
                       ? name
                       : std::to_string(sin6->sin6_scope_id);
        }
        return out;
    }
    return "(no address)";
}

std::string SocketAddress::to_string() const {
    if (family() == AF_INET6) return "[" + ip() + "]:" + std::to_string(port());
    if (family() == AF_INET) return ip() + ":" + std::to_string(port());
    return ip();
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
    return a.len_ == b.len_ && std::memcmp(&a.storage_, &b.storage_, a.len_) == 0;
}

} // namespace netlab
