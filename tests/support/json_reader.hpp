// A strict reader of JSON text (RFC 8259) for tests, written apart from lib/json so that it checks
// the writer instead of sharing its mistakes: is each line JSON, and what values does it carry.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netlab::test::json {

struct Member;

struct Value {
    enum class Kind { null, boolean, number, string, array, object };
    Kind kind = Kind::null;
    std::string text;            // string: its bytes (UTF-8); number, boolean: as written
    std::vector<Value> items;    // array
    std::vector<Member> members; // object, in order

    // The member named key, or nullptr (also when this is not an object).
    const Value* find(std::string_view key) const;
};

// Its own type, not std::pair: a pair cannot hold a Value before Value is complete.
struct Member {
    std::string key;
    Value value;
};

// The one value text holds (blanks around it allowed), or nullopt when text is not strict JSON: a raw
// control character or invalid UTF-8 in a string, an unknown escape, a lone surrogate, a duplicate key,
// a number JSON does not allow, text after the value, nesting deeper than 64.
std::optional<Value> parse(std::string_view text);

// The exact bytes of string member key by lib/json's rule: "<key>_hex" when present, else "<key>";
// nullopt when neither is a string (or the hex is malformed).
std::optional<std::string> field_bytes(const Value& object, std::string_view key);

} // namespace netlab::test::json
