// Buffered output to a descriptor.
#include "output.hpp"

#include "sys.hpp"

#include <unistd.h>

namespace netlab {

OutputBuffer::OutputBuffer(int fd, const char* what, std::size_t capacity)
    : fd_(fd), what_(what), capacity_(capacity), terminal_(::isatty(fd) == 1) {
    text_.reserve(capacity + 1024);
}

void OutputBuffer::flush() {
    if (text_.empty()) return;
    std::string pending;
    pending.swap(text_);
    text_.reserve(capacity_ + 1024);
    sys::write_all(fd_, pending.data(), pending.size(), what_);
}

bool SnapshotWriter::write(const std::string& line) {
    // A pipe is writable while it has a free page; lines up to PIPE_BUF then go in whole without
    // blocking. O_NONBLOCK is not set instead, because the descriptor is shared with the shell.
    pollfd p{fd_, POLLOUT, 0};
    if (sys::poll({&p, 1}, 0) == 0 || !(p.revents & (POLLOUT | POLLERR))) {
        ++dropped_;
        return false;
    }
    sys::write_all(fd_, line.data(), line.size(), what_);
    return true;
}

} // namespace netlab
