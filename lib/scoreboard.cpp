// The pre-forked pool's scoreboard in shared memory (mmap(2), eventfd(2)).
#include "scoreboard.hpp"

#include "error.hpp"

#include <cerrno>
#include <new>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

namespace netlab::pool {

Scoreboard::Scoreboard(std::size_t slots) : size_(slots) {
    // The header comes first, then the slots at their own alignment.
    std::size_t offset = (sizeof(Header) + alignof(Slot) - 1) / alignof(Slot) * alignof(Slot);
    bytes_ = offset + slots * sizeof(Slot);
    map_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map_ == MAP_FAILED) throw Error("mmap", "scoreboard", errno);
    auto* base = static_cast<unsigned char*>(map_);
    header_ = new (base) Header;
    slots_ = reinterpret_cast<Slot*>(base + offset);
    for (std::size_t i = 0; i < slots; ++i) new (&slots_[i]) Slot;
    int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        ::munmap(map_, bytes_);
        throw Error("eventfd", "scoreboard", err);
    }
    event_fd_.reset(fd);
}

Scoreboard::~Scoreboard() {
    ::munmap(map_, bytes_);
}

void Scoreboard::set_state(std::size_t i, SlotState state) {
    slots_[i].state.store(static_cast<std::uint32_t>(state));
    notify();
}

void Scoreboard::notify() {
    // seq_cst pairs with rearm(): either the parent's scan sees our store, or we see pending == 0.
    if (header_->pending.exchange(1) == 0) {
        std::uint64_t one = 1;
        // Fails only when the counter would overflow (never, as the parent drains it); then the parent
        // is awake anyway.
        [[maybe_unused]] ssize_t n = ::write(event_fd_.get(), &one, sizeof one);
    }
}

void Scoreboard::drain() {
    std::uint64_t value;
    while (::read(event_fd_.get(), &value, sizeof value) < 0 && errno == EINTR) {
    }
}

SlotState load_state(const Slot& slot) {
    return static_cast<SlotState>(slot.state.load());
}

Counts Scoreboard::counts() const {
    Counts c;
    for (std::size_t i = 0; i < size_; ++i) {
        const Slot& s = slots_[i];
        SlotState st = load_state(s);
        if (st == SlotState::free)
            ++c.free;
        else if (s.retiring.load())
            ++c.retiring;
        else if (st == SlotState::busy)
            ++c.busy;
        else
            ++c.idle;
    }
    return c;
}

std::size_t Scoreboard::first_free() const {
    for (std::size_t i = 0; i < size_; ++i)
        if (load_state(slots_[i]) == SlotState::free) return i;
    return size_;
}

std::size_t Scoreboard::find_pid(pid_t pid) const {
    for (std::size_t i = 0; i < size_; ++i)
        if (load_state(slots_[i]) != SlotState::free && slots_[i].pid.load() == pid) return i;
    return size_;
}

std::string Scoreboard::render() const {
    std::string view(size_, ' ');
    for (std::size_t i = 0; i < size_; ++i) {
        SlotState st = load_state(slots_[i]);
        if (st == SlotState::free) continue;
        view[i] = slots_[i].retiring.load() ? 'G' : st == SlotState::busy ? 'X' : '.';
    }
    return view;
}

std::string_view state_name(SlotState state) {
    switch (state) {
    case SlotState::free:
        return "free";
    case SlotState::idle:
        return "idle";
    case SlotState::busy:
        return "busy";
    }
    return "free";
}

} // namespace netlab::pool
