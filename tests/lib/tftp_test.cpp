// Tests of lib/tftp: every packet type both ways, hostile datagrams, option negotiation, netascii.
#include "tftp.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace netlab::tftp;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
    return {s.begin(), s.end()};
}

Request rrq(std::vector<Option> options, std::string name = "f") {
    Request r;
    r.filename = std::move(name);
    r.options = std::move(options);
    return r;
}

std::string reason_of(std::string_view wire) {
    auto b = bytes(wire);
    return decode(b).reason;
}

} // namespace

TEST_CASE("a request with options encodes and decodes to itself", "[tftp]") {
    Request r = rrq({{"blksize", "1468"}, {"tsize", "0"}, {"windowsize", "16"}}, "dir/file.bin");
    r.opcode = Opcode::wrq;
    r.mode = Mode::netascii;
    auto wire = encode(r);
    CHECK(wire == bytes(std::string("\0\2dir/file.bin\0netascii\0blksize\0"
                                    "1468\0tsize\0"
                                    "0\0windowsize\0"
                                    "16\0",
                                    59)));
    auto d = decode(wire);
    REQUIRE(d.ok());
    const auto& back = std::get<Request>(d.packet);
    CHECK(back.opcode == Opcode::wrq);
    CHECK(back.filename == "dir/file.bin");
    CHECK(back.mode == Mode::netascii);
    CHECK(back.options == r.options);
}

TEST_CASE("the mode is case-insensitive and only octet and netascii are served", "[tftp]") {
    auto d = decode(bytes(std::string("\0\1f\0OcTeT\0", 10)));
    REQUIRE(d.ok());
    CHECK(std::get<Request>(d.packet).mode == Mode::octet);
    CHECK_THAT(reason_of(std::string("\0\1f\0mail\0", 9)), Catch::Contains("mode 'mail'"));
}

TEST_CASE("DATA, ACK, ERROR and OACK round-trip", "[tftp]") {
    std::vector<std::uint8_t> payload{1, 2, 3, 0, 255};
    auto data_wire = encode_data(65535, payload); // the decoded payload points into it
    auto d = decode(data_wire);
    REQUIRE(d.ok());
    CHECK(std::get<Data>(d.packet).block == 65535);
    CHECK(std::vector<std::uint8_t>(std::get<Data>(d.packet).payload.begin(),
                                    std::get<Data>(d.packet).payload.end()) == payload);

    auto empty_wire = encode_data(7, {});
    auto empty = decode(empty_wire);
    REQUIRE(empty.ok());
    CHECK(std::get<Data>(empty.packet).payload.empty());

    auto a = decode(encode_ack(258));
    REQUIRE(a.ok());
    CHECK(std::get<Ack>(a.packet).block == 258);
    CHECK(encode_ack(258) == std::vector<std::uint8_t>{0, 4, 1, 2});

    auto e = decode(encode(ErrorPacket{ErrorCode::file_not_found, "File not found"}));
    REQUIRE(e.ok());
    CHECK(std::get<ErrorPacket>(e.packet).code == ErrorCode::file_not_found);
    CHECK(std::get<ErrorPacket>(e.packet).message == "File not found");

    auto o = decode(encode(OptionAck{{{"blksize", "512"}, {"tsize", "99"}}}));
    REQUIRE(o.ok());
    CHECK(std::get<OptionAck>(o.packet).options == std::vector<Option>{{"blksize", "512"}, {"tsize", "99"}});
}

TEST_CASE("an error message with a NUL inside is cut there, a long one is bounded", "[tftp]") {
    auto wire = encode(ErrorPacket{ErrorCode::not_defined, std::string("ab\0cd", 5)});
    CHECK(wire.size() == 4 + 3);
    auto big = encode(ErrorPacket{ErrorCode::not_defined, std::string(5000, 'x')});
    CHECK(big.size() <= 4 + 513);
    CHECK(decode(big).ok());
}

TEST_CASE("hostile datagrams are refused with a reason, never read past", "[tftp]") {
    CHECK_THAT(reason_of(""), Catch::Contains("no opcode"));
    CHECK_THAT(reason_of(std::string("\0", 1)), Catch::Contains("no opcode"));
    CHECK_THAT(reason_of(std::string("\0\x09", 2)), Catch::Contains("unknown opcode 9"));
    CHECK_THAT(reason_of(std::string("\xff\xff", 2)), Catch::Contains("unknown opcode 65535"));
    CHECK_THAT(reason_of(std::string("\0\0", 2)), Catch::Contains("unknown opcode 0"));
    // Requests
    CHECK_THAT(reason_of(std::string("\0\1", 2)), Catch::Contains("no file name"));
    CHECK_THAT(reason_of(std::string("\0\1file", 6)), Catch::Contains("no NUL after the file name"));
    CHECK_THAT(reason_of(std::string("\0\1file\0", 7)), Catch::Contains("no mode"));
    CHECK_THAT(reason_of(std::string("\0\1file\0octet", 12)), Catch::Contains("no NUL"));
    CHECK_THAT(reason_of(std::string("\0\1\0octet\0", 9)), Catch::Contains("empty file name"));
    CHECK_THAT(reason_of(std::string("\0\1f\0octet\0blksize\0", 18)), Catch::Contains("has no value"));
    CHECK_THAT(reason_of(std::string("\0\1f\0octet\0blksize\0"
                                     "512",
                                     21)),
               Catch::Contains("no NUL"));
    CHECK_THAT(reason_of(std::string("\0\1f\0octet\0\0"
                                     "1\0",
                                     13)),
               Catch::Contains("empty option name"));
    CHECK_THAT(reason_of(std::string("\0\2f\0octet\0blksize\0"
                                     "8\0BLKSIZE\0"
                                     "9\0",
                                     30)),
               Catch::Contains("given twice"));
    std::string many("\0\1f\0octet\0", 10);
    for (int i = 0; i < 20; ++i) many += "o" + std::to_string(i) + std::string("\0v\0", 3);
    CHECK_THAT(reason_of(many), Catch::Contains("too many options"));
    std::string huge("\0\1", 2);
    huge += std::string(2000, 'a') + std::string("\0octet\0", 7);
    CHECK_THAT(reason_of(huge), Catch::Contains("longer than"));
    // DATA, ACK, ERROR, OACK
    CHECK_THAT(reason_of(std::string("\0\3\0", 3)), Catch::Contains("without a block number"));
    CHECK_THAT(reason_of(std::string(65464 + 5, '\0').replace(1, 1, "\3")), Catch::Contains("larger than"));
    CHECK(decode(bytes(std::string(65464 + 4, '\0').replace(1, 1, "\3"))).ok());
    CHECK_THAT(reason_of(std::string("\0\4\0", 3)), Catch::Contains("ACK of 3 bytes"));
    CHECK_THAT(reason_of(std::string("\0\4\0\1\0", 5)), Catch::Contains("ACK of 5 bytes"));
    CHECK_THAT(reason_of(std::string("\0\5\0\1", 4)), Catch::Contains("without code and message"));
    CHECK_THAT(reason_of(std::string("\0\5\0\1oops", 8)), Catch::Contains("no NUL"));
    CHECK_THAT(reason_of(std::string("\0\5\0\1oops\0x", 10)), Catch::Contains("bytes after"));
    CHECK(decode(bytes(std::string("\0\5\0\1\0", 5))).ok()); // empty message is allowed
    CHECK_THAT(reason_of(std::string("\0\6", 2)), Catch::Contains("OACK without options"));
    CHECK_THAT(reason_of(std::string("\0\6blksize\0", 10)), Catch::Contains("has no value"));
    CHECK(decode(bytes(std::string("\0\6blksize\0"
                                   "8\0",
                                   12)))
              .ok());
}

TEST_CASE("every prefix of a valid request decodes or is refused, never crashes", "[tftp]") {
    auto wire = encode(rrq({{"blksize", "1468"}, {"windowsize", "4"}}));
    int whole = 0; // cut right after the mode or after a whole option, a prefix is a valid request
    for (std::size_t n = 0; n < wire.size(); ++n) {
        auto d = decode(std::span<const std::uint8_t>(wire.data(), n));
        if (d.ok())
            ++whole;
        else
            CHECK(d.code == ErrorCode::illegal_operation);
    }
    CHECK(whole == 2);
    CHECK(decode(wire).ok());
}

TEST_CASE("numbers in options are plain decimal without overflow", "[tftp]") {
    CHECK(parse_number("0") == 0u);
    CHECK(parse_number("65464") == 65464u);
    CHECK(parse_number("18446744073709551615") == UINT64_MAX);
    CHECK_FALSE(parse_number("18446744073709551616"));
    CHECK_FALSE(parse_number(""));
    CHECK_FALSE(parse_number("-1"));
    CHECK_FALSE(parse_number("+1"));
    CHECK_FALSE(parse_number(" 1"));
    CHECK_FALSE(parse_number("1x"));
}

TEST_CASE("negotiation accepts options within limits and answers them in order", "[tftp][options]") {
    auto n = negotiate(rrq({{"BlkSize", "1468"}, {"tsize", "0"}, {"timeout", "3"}, {"windowsize", "16"}}),
                       12345, {});
    REQUIRE_FALSE(n.refused());
    CHECK(n.settings.block_size == 1468);
    CHECK(n.settings.window_size == 16);
    CHECK(n.settings.timeout == 3u);
    CHECK(n.settings.file_size == 12345u);
    CHECK(n.oack == std::vector<Option>{
                        {"BlkSize", "1468"}, {"tsize", "12345"}, {"timeout", "3"}, {"windowsize", "16"}});
    CHECK(n.notes.empty());
}

TEST_CASE("negotiation without options means RFC 1350 and no OACK", "[tftp][options]") {
    auto n = negotiate(rrq({}), 10, {});
    CHECK_FALSE(n.refused());
    CHECK(n.oack.empty());
    CHECK(n.settings.block_size == 512);
    CHECK(n.settings.window_size == 1);
}

TEST_CASE("negotiation clamps what is too large and ignores what it does not know", "[tftp][options]") {
    auto n = negotiate(rrq({{"blksize", "70000"}, {"windowsize", "70000"}, {"foo", "bar"}}), 1, {});
    REQUIRE_FALSE(n.refused());
    CHECK(n.settings.block_size == 65464);
    // 64 is the default limit; 16 MiB / 65464 = 256 would allow more.
    CHECK(n.settings.window_size == 64);
    CHECK(n.oack == std::vector<Option>{{"blksize", "65464"}, {"windowsize", "64"}});
    CHECK(n.notes.size() == 3);

    ServerPolicy small;
    small.max_block_size = 1024;
    small.max_window_bytes = 4096;
    auto s = negotiate(rrq({{"blksize", "1468"}, {"windowsize", "16"}}), 1, small);
    CHECK(s.settings.block_size == 1024);
    CHECK(s.settings.window_size == 4); // four 1024-byte blocks fill 4096 bytes
}

TEST_CASE("negotiation refuses bad blksize and windowsize, drops a bad timeout", "[tftp][options]") {
    CHECK(negotiate(rrq({{"blksize", "7"}}), 1, {}).refused());
    CHECK(negotiate(rrq({{"blksize", "abc"}}), 1, {}).refused());
    CHECK(negotiate(rrq({{"windowsize", "0"}}), 1, {}).refused());
    CHECK(negotiate(rrq({{"windowsize", "-1"}}), 1, {}).refused());
    auto t = negotiate(rrq({{"timeout", "0"}, {"blksize", "8"}}), 1, {});
    CHECK_FALSE(t.refused());
    CHECK(t.oack == std::vector<Option>{{"blksize", "8"}});
    CHECK_FALSE(t.settings.timeout);
    CHECK(negotiate(rrq({{"timeout", "256"}}), 1, {}).oack.empty());
}

TEST_CASE("tsize is answered with the file size, echoed on WRQ, dropped when unknown", "[tftp][options]") {
    CHECK(negotiate(rrq({{"tsize", "0"}}), 777, {}).oack == std::vector<Option>{{"tsize", "777"}});
    CHECK(negotiate(rrq({{"tsize", "0"}}), std::nullopt, {}).oack.empty());
    Request w = rrq({{"tsize", "4096"}});
    w.opcode = Opcode::wrq;
    auto n = negotiate(w, std::nullopt, {});
    CHECK(n.oack == std::vector<Option>{{"tsize", "4096"}});
    CHECK(n.settings.file_size == 4096u);
    CHECK(negotiate(rrq({{"tsize", "x"}}), 1, {}).oack.empty());
}

TEST_CASE("the client checks the server's OACK against what it asked", "[tftp][options]") {
    std::vector<Option> asked{{"blksize", "1468"}, {"windowsize", "8"}, {"tsize", "0"}};
    auto ok = check_oack(asked, {{{"BLKSIZE", "1024"}, {"windowsize", "8"}, {"tsize", "5000"}}});
    REQUIRE(ok.ok());
    CHECK(ok.settings.block_size == 1024);
    CHECK(ok.settings.window_size == 8);
    CHECK(ok.settings.file_size == 5000u);
    CHECK_FALSE(check_oack(asked, {{{"blksize", "2000"}}}).ok());
    CHECK_FALSE(check_oack(asked, {{{"blksize", "4"}}}).ok());
    CHECK_FALSE(check_oack(asked, {{{"windowsize", "9"}}}).ok());
    CHECK_FALSE(check_oack(asked, {{{"timeout", "5"}}}).ok()); // not asked
    CHECK_FALSE(check_oack(asked, {{{"tsize", "big"}}}).ok());
    auto partial = check_oack(asked, {{{"blksize", "1468"}}}); // windowsize ignored by the server
    REQUIRE(partial.ok());
    CHECK(partial.settings.window_size == 1);
}

TEST_CASE("netascii turns LF into CR LF and CR into CR NUL, and back", "[tftp][netascii]") {
    auto text = bytes("a\nb\rc\r\n");
    std::vector<std::uint8_t> wire;
    NetasciiEncoder enc;
    enc.feed(text, wire);
    CHECK(wire == bytes(std::string("a\r\nb\r\0c\r\0\r\n", 11)));

    // Decode one byte at a time: pairs split across blocks must still join.
    NetasciiDecoder dec;
    std::vector<std::uint8_t> back;
    for (auto b : wire) dec.feed(std::span<const std::uint8_t>(&b, 1), back);
    dec.finish(back);
    CHECK(back == text);

    // A lone CR followed by another byte, or ending the data, is kept.
    NetasciiDecoder lenient;
    std::vector<std::uint8_t> out;
    lenient.feed(bytes("x\ry\r"), out);
    lenient.finish(out);
    CHECK(out == bytes("x\ry\r"));
}
