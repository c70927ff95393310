// SHA-256 (FIPS 180-4), to check that a transferred file arrived intact: the same digest as sha256sum(1).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace netlab {

class Sha256 {
public:
    Sha256();
    void update(std::span<const std::uint8_t> bytes);
    // The digest of everything updated so far; the object is spent afterwards.
    std::array<std::uint8_t, 32> finish();

private:
    void block(const std::uint8_t* p);
    std::array<std::uint32_t, 8> h_;
    std::array<std::uint8_t, 64> pending_{};
    std::size_t pending_size_ = 0;
    std::uint64_t total_ = 0;
};

// Lowercase hex of the digest of the file at path, as sha256sum prints it. Throws Error on read failure.
std::string sha256_file_hex(const std::string& path);

} // namespace netlab
