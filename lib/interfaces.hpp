// Network interfaces by name, index or address (getifaddrs(3), if_nametoindex(3), netdevice(7)).
#pragma once

#include "address.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab {

struct Interface {
    std::string name;
    unsigned index = 0;
    bool up = false;
    bool multicast = false;                 // IFF_MULTICAST
    std::vector<SocketAddress> addresses;   // IPv4 and IPv6, port 0
    std::optional<SocketAddress> broadcast; // the IPv4 directed broadcast address (IFF_BROADCAST)

    // The first IPv4 address, if it has one.
    std::optional<SocketAddress> ipv4() const;
};

// Every interface of this network namespace with its addresses. Throws Error when getifaddrs fails.
std::vector<Interface> list_interfaces();

// The interface named by `spec`: a name ("eth0"), an index ("2") or one of its addresses
// ("198.18.0.1", "fe80::1"). nullopt when none matches.
std::optional<Interface> find_interface(std::string_view spec);

} // namespace netlab
