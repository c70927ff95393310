// A move-only owner of one file descriptor.
#include "fd.hpp"

#include <unistd.h>

namespace netlab {

void Fd::reset(int fd) noexcept {
    if (fd_ >= 0) ::close(fd_); // never retry close on EINTR on Linux: the descriptor is already released
    fd_ = fd;
}

} // namespace netlab
