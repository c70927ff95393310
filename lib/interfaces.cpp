// Network interfaces by name, index or address (getifaddrs(3), if_nametoindex(3)).
#include "interfaces.hpp"

#include "error.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace netlab {

namespace {

socklen_t sockaddr_size(const sockaddr* sa) {
    return sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

bool is_ip(const sockaddr* sa) {
    return sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
}

// Equal addresses, ignoring the port and, when the query has none, the IPv6 scope.
bool same_ip(const SocketAddress& a, const SocketAddress& query) {
    if (a.family() != query.family()) return false;
    std::string ip = a.ip(), wanted = query.ip();
    if (wanted.find('%') == std::string::npos) ip = ip.substr(0, ip.find('%'));
    return ip == wanted;
}

} // namespace

std::optional<SocketAddress> Interface::ipv4() const {
    for (const auto& a : addresses)
        if (a.family() == AF_INET) return a;
    return std::nullopt;
}

std::vector<Interface> list_interfaces() {
    ifaddrs* head = nullptr;
    if (::getifaddrs(&head) < 0) throw Error("list", "the network interfaces", errno);
    std::vector<Interface> result;
    for (ifaddrs* ifa = head; ifa; ifa = ifa->ifa_next) {
        auto it = std::find_if(result.begin(), result.end(),
                               [&](const Interface& i) { return i.name == ifa->ifa_name; });
        if (it == result.end()) {
            Interface fresh;
            fresh.name = ifa->ifa_name;
            fresh.index = ::if_nametoindex(ifa->ifa_name);
            fresh.up = ifa->ifa_flags & IFF_UP;
            fresh.multicast = ifa->ifa_flags & IFF_MULTICAST;
            result.push_back(std::move(fresh));
            it = result.end() - 1;
        }
        if (!is_ip(ifa->ifa_addr)) continue;
        it->addresses.push_back(SocketAddress::from_sockaddr(ifa->ifa_addr, sockaddr_size(ifa->ifa_addr)));
        if (ifa->ifa_addr->sa_family == AF_INET && (ifa->ifa_flags & IFF_BROADCAST) &&
            is_ip(ifa->ifa_broadaddr) && !it->broadcast)
            it->broadcast = SocketAddress::from_sockaddr(ifa->ifa_broadaddr, sizeof(sockaddr_in));
    }
    ::freeifaddrs(head);
    return result;
}

std::optional<Interface> find_interface(std::string_view spec) {
    if (spec.empty()) return std::nullopt;
    auto interfaces = list_interfaces();
    unsigned index = 0;
    auto [end, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), index);
    bool numeric = ec == std::errc() && end == spec.data() + spec.size();
    auto address = numeric ? std::nullopt : SocketAddress::parse_numeric(spec, 0);
    for (const auto& i : interfaces) {
        if (numeric ? i.index == index : i.name == spec) return i;
        if (address)
            for (const auto& a : i.addresses)
                if (same_ip(a, *address)) return i;
    }
    return std::nullopt;
}

} // namespace netlab
