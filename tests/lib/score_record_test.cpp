// Tests of lib/score_record: byte-exact fixtures of the tutorial's datagrams, and every malformed case.
#include "score_record.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>

namespace score = netlab::score;
using Bytes = std::vector<std::uint8_t>;

namespace {

// The tutorial's struct msg_st, declared here from its documented layout to check ours against it.
struct __attribute__((packed)) TutorialMsg {
    std::uint32_t math;
    std::uint32_t chinese;
    char name[496]; // NAMEMAX = 512 - 8 - 8
};
static_assert(sizeof(TutorialMsg) == score::max_datagram, "the tutorial's receive buffer is 504 bytes");
static_assert(offsetof(TutorialMsg, name) == score::header_size);

Bytes bytes(std::initializer_list<int> list) {
    Bytes out;
    for (int b : list) out.push_back(static_cast<std::uint8_t>(b));
    return out;
}

} // namespace

TEST_CASE("the tutorial client's datagram decodes byte for byte", "[score]") {
    // Its client sends Mike with htonl(rand() % 100) twice; glibc's unseeded rand() gives 83 then 86,
    // and the datagram is sizeof(struct msg_st) + strlen("Mike") + 1 = 13 bytes.
    Bytes wire = bytes({0, 0, 0, 83, 0, 0, 0, 86, 'M', 'i', 'k', 'e', 0});
    auto decoded = score::decode(wire);
    REQUIRE(decoded.ok());
    CHECK(decoded.record.name == "Mike");
    CHECK(decoded.record.math == 83);
    CHECK(decoded.record.chinese == 86);
    CHECK(score::encode({"Mike", 83, 86}) == wire);
}

TEST_CASE("what netlab sends is what the tutorial's receiver reads", "[score]") {
    Bytes wire = score::encode({"Zhang San", 100, 7});
    TutorialMsg msg{};
    REQUIRE(wire.size() <= sizeof msg);
    std::memcpy(&msg, wire.data(), wire.size());
    CHECK(ntohl(msg.math) == 100);
    CHECK(ntohl(msg.chinese) == 7);
    CHECK(std::string(msg.name) == "Zhang San");

    // The longest name still fits the tutorial's 504-byte buffer with its NUL.
    std::string longest(score::max_name, 'x');
    Bytes big = score::encode({longest, 1, 2});
    CHECK(big.size() == 504);
    CHECK(big.back() == 0);
    CHECK_FALSE(score::check_name(longest));
    CHECK(*score::check_name(longest + "x") == "name is 496 bytes, at most 495 fit in a record");
}

TEST_CASE("numbers go out in network byte order", "[score]") {
    Bytes wire = score::encode({"", 0x01020304, 0xA0B0C0D0});
    CHECK(wire == bytes({1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD0, 0}));
    auto decoded = score::decode(wire);
    REQUIRE(decoded.ok());
    CHECK(decoded.record.name.empty());
    CHECK(decoded.record.chinese == 0xA0B0C0D0u); // above INT32_MAX: printed unsigned, not negative
}

TEST_CASE("malformed datagrams are rejected with a reason", "[score]") {
    using E = score::DecodeError;
    CHECK(score::decode(Bytes{}).error == E::too_short);
    CHECK(score::describe(E::too_short, 0) == "empty datagram");
    CHECK(score::decode(bytes({0, 0, 0, 1, 0, 0, 0, 2})).error == E::too_short); // header only, no NUL
    CHECK(score::describe(E::too_short, 8) == "too short: 8 bytes, a record has at least 9");
    CHECK(score::decode(bytes({0, 0, 0, 1, 0, 0, 0, 2, 'a', 'b'})).error == E::no_terminator);
    CHECK(score::decode(bytes({0, 0, 0, 1, 0, 0, 0, 2, 'a', 0, 'b'})).error == E::trailing_bytes);
    Bytes too_long(505, 0);
    CHECK(score::decode(too_long).error == E::too_long);
    CHECK(score::describe(E::too_long, 65507) == "too long: 65507 bytes, a record has at most 504");
    // A datagram larger than the receive buffer: only its first bytes are held, its length is real.
    CHECK(score::decode(Bytes(100, 'a'), 70000).error == E::too_long);
    // A full-size datagram whose name fills the buffer without a NUL, as an overflowing sender makes.
    Bytes unterminated(504, 'a');
    CHECK(score::decode(unterminated).error == E::no_terminator);
}

TEST_CASE("zero padding after the name is accepted", "[score]") {
    Bytes padded = bytes({0, 0, 0, 1, 0, 0, 0, 2, 'a', 0, 0, 0});
    auto decoded = score::decode(padded);
    REQUIRE(decoded.ok());
    CHECK(decoded.record.name == "a");
}

TEST_CASE("the annotated dump marks fields and both byte orders", "[score]") {
    Bytes wire = score::encode({"Mike", 83, 86});
    std::string dump = score::annotated_dump(wire, wire.size());
    CHECK_THAT(dump, Catch::Contains("00 00 00 53"));
    CHECK_THAT(dump, Catch::Contains("math     ntohl -> 83"));
    CHECK_THAT(dump, Catch::Contains("without ntohl -> 1392508928")); // 0x53000000 on x86
    CHECK_THAT(dump, Catch::Contains("chinese  ntohl -> 86"));
    CHECK_THAT(dump, Catch::Contains("name     \"Mike\" + NUL (5 bytes)"));
    std::string bad = score::annotated_dump(bytes({1, 2, 3}), 3);
    CHECK_THAT(bad, Catch::Contains("malformed (too short: 3 bytes"));
    CHECK_THAT(bad, Catch::Contains("01 02 03"));
    // Control characters in a name never reach the dump raw.
    Bytes evil = score::encode({"\x1b[2J", 1, 1});
    CHECK_THAT(score::annotated_dump(evil, evil.size()), Catch::Contains("\\x1b[2J"));
}
