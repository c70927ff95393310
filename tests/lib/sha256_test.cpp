// Tests of lib/sha256 against the FIPS 180-4 example vectors and sha256sum.
#include "error.hpp"
#include "sha256.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <unistd.h>

namespace {

std::string hex_of(const std::string& text, std::size_t piece = 1 << 20) {
    netlab::Sha256 sha;
    for (std::size_t at = 0; at < text.size(); at += piece) {
        std::string_view part = std::string_view(text).substr(at, piece);
        sha.update({reinterpret_cast<const std::uint8_t*>(part.data()), part.size()});
    }
    std::string hex;
    for (auto b : sha.finish()) hex += fmt::format("{:02x}", b);
    return hex;
}

} // namespace

TEST_CASE("SHA-256 of the FIPS 180-4 examples", "[sha256]") {
    CHECK(hex_of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_of("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    CHECK(hex_of(two_blocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // Fed in odd pieces, the digest is the same: the 64-byte buffering is invisible.
    CHECK(hex_of(two_blocks, 7) == hex_of(two_blocks));
    std::string million(1000000, 'a');
    CHECK(hex_of(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    CHECK(hex_of(million, 1000) == hex_of(million));
}

TEST_CASE("sha256_file_hex matches the digest of the file's bytes", "[sha256]") {
    char name[] = "/tmp/netlab-sha256-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, "abc", 3) == 3);
    ::close(fd);
    CHECK(netlab::sha256_file_hex(name) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ::unlink(name);
    CHECK_THROWS_AS(netlab::sha256_file_hex(name), netlab::Error);
}
