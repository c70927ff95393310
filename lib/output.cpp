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

} // namespace netlab
