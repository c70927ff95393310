// The fuzz targets' bodies: each feeds untrusted bytes to one decoder and checks the properties that
// must hold for any input. Shared by the libFuzzer drivers (fuzz/) and the corpus replay test (tests/).
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string_view>

namespace netlab::fuzz {

// A property that must hold for every input did not: a bug, as much as a crash is.
class Violation : public std::logic_error {
public:
    using std::logic_error::logic_error;
};

using Input = std::span<const std::uint8_t>;

struct Target {
    std::string_view name; // also the corpus directory: tests/fuzz/corpus/<name>/
    void (*check)(Input input);
};

// Every target, in the order fuzz/run.sh runs them.
std::span<const Target> targets();
const Target* find_target(std::string_view name);

} // namespace netlab::fuzz
