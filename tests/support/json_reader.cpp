// A strict reader of JSON text (RFC 8259), recursive descent over the grammar of its section 2.
#include "json_reader.hpp"

#include <cstdint>

namespace netlab::test::json {

namespace {

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    std::optional<Value> whole() {
        auto v = value(0);
        skip_blanks();
        if (!v || pos_ != text_.size()) return std::nullopt;
        return v;
    }

private:
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    unsigned char byte() const { return static_cast<unsigned char>(text_[pos_]); }

    void skip_blanks() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }

    bool take(char c) {
        if (at_end() || text_[pos_] != c) return false;
        ++pos_;
        return true;
    }

    bool take_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    std::optional<Value> value(int depth) {
        if (depth > 64) return std::nullopt;
        skip_blanks();
        Value v;
        if (peek() == '{') return object(depth);
        if (peek() == '[') return array(depth);
        if (peek() == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            v.kind = Value::Kind::string;
            v.text = std::move(*s);
            return v;
        }
        for (std::string_view word : {"true", "false"}) {
            if (take_word(word)) {
                v.kind = Value::Kind::boolean;
                v.text = word;
                return v;
            }
        }
        if (take_word("null")) return v;
        return number();
    }

    std::optional<Value> object(int depth) {
        ++pos_; // '{'
        Value v;
        v.kind = Value::Kind::object;
        skip_blanks();
        if (take('}')) return v;
        do {
            skip_blanks();
            if (peek() != '"') return std::nullopt;
            auto key = string();
            skip_blanks();
            if (!key || !take(':') || v.find(*key)) return std::nullopt;
            auto member = value(depth + 1);
            if (!member) return std::nullopt;
            v.members.push_back({std::move(*key), std::move(*member)});
            skip_blanks();
        } while (take(','));
        if (!take('}')) return std::nullopt;
        return v;
    }

    std::optional<Value> array(int depth) {
        ++pos_; // '['
        Value v;
        v.kind = Value::Kind::array;
        skip_blanks();
        if (take(']')) return v;
        do {
            auto item = value(depth + 1);
            if (!item) return std::nullopt;
            v.items.push_back(std::move(*item));
            skip_blanks();
        } while (take(','));
        if (!take(']')) return std::nullopt;
        return v;
    }

    bool digits() {
        std::size_t start = pos_;
        while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
        return pos_ > start;
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    std::optional<Value> number() {
        std::size_t start = pos_;
        take('-');
        if (!take('0') && !(peek() >= '1' && peek() <= '9' && digits())) return std::nullopt;
        if (take('.') && !digits()) return std::nullopt;
        if (take('e') || take('E')) {
            if (!take('+')) take('-');
            if (!digits()) return std::nullopt;
        }
        Value v;
        v.kind = Value::Kind::number;
        v.text = text_.substr(start, pos_ - start);
        return v;
    }

    std::optional<unsigned> hex4() {
        if (pos_ + 4 > text_.size()) return std::nullopt;
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text_[pos_++];
            unsigned d = c >= '0' && c <= '9'   ? unsigned(c - '0')
                         : c >= 'a' && c <= 'f' ? unsigned(c - 'a' + 10)
                         : c >= 'A' && c <= 'F' ? unsigned(c - 'A' + 10)
                                                : 16u;
            if (d == 16) return std::nullopt;
            v = v << 4 | d;
        }
        return v;
    }

    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | cp >> 6);
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | cp >> 12);
            out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | cp >> 18);
            out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
            out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    // One raw UTF-8 character of a string, copied to out; false unless it is well formed: the code
    // point decoded and then checked against the shortest form, the surrogates and U+10FFFF.
    bool raw_character(std::string& out) {
        unsigned char lead = byte();
        int extra = lead < 0x80 ? 0 : lead >> 5 == 6 ? 1 : lead >> 4 == 14 ? 2 : lead >> 3 == 30 ? 3 : -1;
        if (extra < 0 || pos_ + extra >= text_.size()) return false;
        std::uint32_t cp = extra == 0 ? lead : lead & (0x3F >> extra);
        for (int k = 1; k <= extra; ++k) {
            auto c = static_cast<unsigned char>(text_[pos_ + k]);
            if (c >> 6 != 2) return false;
            cp = cp << 6 | (c & 0x3F);
        }
        static constexpr std::uint32_t shortest[] = {0, 0x80, 0x800, 0x10000};
        if (cp < shortest[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
        out.append(text_.substr(pos_, extra + 1));
        pos_ += extra + 1;
        return true;
    }

    std::optional<std::string> string() {
        ++pos_; // '"'
        std::string out;
        while (true) {
            if (at_end() || byte() < 0x20) return std::nullopt; // unterminated, or a raw control
            if (take('"')) return out;
            if (!take('\\')) {
                if (!raw_character(out)) return std::nullopt;
                continue;
            }
            char e = at_end() ? '\0' : text_[pos_++];
            switch (e) {
            case '"':
            case '\\':
            case '/':
                out += e;
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                auto cp = hex4();
                if (!cp || (*cp >= 0xDC00 && *cp <= 0xDFFF)) return std::nullopt; // a lone low surrogate
                if (*cp >= 0xD800 && *cp <= 0xDBFF) {
                    if (!take('\\') || !take('u')) return std::nullopt;
                    auto low = hex4();
                    if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
                    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
                }
                put_utf8(out, *cp);
                break;
            }
            default:
                return std::nullopt;
            }
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

} // namespace

const Value* Value::find(std::string_view key) const {
    for (const Member& m : members)
        if (m.key == key) return &m.value;
    return nullptr;
}

std::optional<Value> parse(std::string_view text) {
    return Reader(text).whole();
}

std::optional<std::string> field_bytes(const Value& object, std::string_view key) {
    if (const Value* hex = object.find(std::string(key) + "_hex")) {
        if (hex->kind != Value::Kind::string || hex->text.size() % 2) return std::nullopt;
        std::string bytes;
        for (std::size_t i = 0; i < hex->text.size(); i += 2) {
            auto digit = [](char c) {
                return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            };
            int high = digit(hex->text[i]), low = digit(hex->text[i + 1]);
            if (high < 0 || low < 0) return std::nullopt;
            bytes += static_cast<char>(high << 4 | low);
        }
        return bytes;
    }
    const Value* v = object.find(key);
    if (!v || v->kind != Value::Kind::string) return std::nullopt;
    return v->text;
}

} // namespace netlab::test::json
