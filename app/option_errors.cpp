// netlab's wording for values CLI11's validators refuse. CLI11 2.1 keeps a validator's kind only in its
// name and description, so those are what is read here; tests/cmd/dispatch_test.cpp walks every option
// with a validator and fails on any CLI11 wording that gets through.
#include "option_errors.hpp"

#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <memory>
#include <set>
#include <vector>

namespace netlab::app {

namespace {

bool starts_with(const std::string& text, std::string_view prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
}

// "nan", "inf", "-infinity": numbers to strtod, which CLI11's checks then let through (NaN compares
// false with every bound, so a Range or NonNegativeNumber accepts it) and a duration made of them is
// undefined behaviour.
bool is_not_finite(const std::string& value) {
    const char* begin = value.c_str();
    char* end = nullptr;
    double number = std::strtod(begin, &end);
    return end != begin && *end == '\0' && !std::isfinite(number);
}

bool is_size(const CLI::Validator& v) {
    return starts_with(v.get_description(), "SIZE [");
}

// A bound as CLI11 streams it ("1e+12", "0.001") printed the way a user types it ("1000000000000").
std::string plain_number(const std::string& text) {
    return fmt::format("{}", std::strtod(text.c_str(), nullptr));
}

// "one of a, b, c" from the keys of "{a->1,b->2,c->3}" (a map) or "{a,b,c}" (a set).
std::string one_of(const std::string& description, std::size_t open) {
    std::size_t close = description.find('}', open);
    if (close == std::string::npos) return "";
    std::string names;
    std::size_t start = open + 1;
    while (start < close) {
        std::size_t end = std::min(description.find(',', start), close);
        std::string item = description.substr(start, end - start);
        item = item.substr(0, item.find("->"));
        names += (names.empty() ? "" : ", ") + item;
        start = end + 1;
    }
    return "one of " + names;
}

// Wraps each validator of `opt` so that a refusal names what was typed and what is accepted.
void explain(CLI::Option& opt) {
    std::vector<CLI::Validator*> validators;
    for (int i = 0;; ++i) {
        try {
            validators.push_back(opt.get_validator(i));
        } catch (const CLI::OptionNotFound&) {
            break;
        }
    }
    bool sized = false;
    for (const CLI::Validator* v : validators) sized = sized || is_size(*v);
    // Transforms run before checks and may rewrite the value ("5T" becomes "5497558138880"): the first
    // validator keeps what was typed, for the message of whichever refuses it.
    auto typed = std::make_shared<std::string>();
    for (std::size_t i = 0; i < validators.size(); ++i) {
        CLI::Validator& v = *validators[i];
        std::string accepted = accepted_values(v.get_name(), v.get_description(), sized && !is_size(v));
        bool first = i == 0, negative_refused = is_size(v);
        v.operation([original = CLI::Validator(v), accepted, typed, first,
                     negative_refused](std::string& value) -> std::string {
            if (first) *typed = value;
            if (accepted.empty()) return original(value);
            auto refused = [&] { return fmt::format("{} is not {}", *typed, accepted); };
            std::size_t sign = value.find_first_not_of(" \t");
            if (negative_refused && sign != std::string::npos && value[sign] == '-') return refused();
            if (is_not_finite(value)) return refused();
            try {
                return original(value).empty() ? std::string() : refused();
            } catch (const CLI::ValidationError&) { // AsSizeValue throws instead of returning its reason
                return refused();
            }
        });
    }
}

const CLI::Option* find_option(const CLI::App& app, const std::string& name) {
    if (const CLI::Option* opt = app.get_option_no_throw(name)) return opt;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
        if (const CLI::Option* opt = find_option(*sub, name)) return opt;
    return nullptr;
}

// "--count: abc is not a number" for CLI11's "Could not convert: --count = abc", which it throws for a
// value that no validator looked at and that does not convert to the option's type.
std::string conversion_message(const std::string& what, const CLI::App& app) {
    const std::string_view prefix = "Could not convert: ";
    std::size_t equals = what.find(" = ");
    if (!starts_with(what, prefix) || equals == std::string::npos) return what;
    std::string name = what.substr(prefix.size(), equals - prefix.size());
    const CLI::Option* opt = find_option(app, name);
    bool flag = opt && opt->get_expected_max() == 0;
    return fmt::format("{}: {} is not {}", name, what.substr(equals + 3),
                       flag ? "true or false" : "a number");
}

void explain_all(CLI::App& app, std::set<const CLI::Option*>& done) {
    for (CLI::Option* opt : app.get_options())
        if (done.insert(opt).second) explain(*opt);
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) explain_all(*sub, done);
}

} // namespace

std::string accepted_values(const std::string& name, const std::string& description, bool size) {
    const char* number = size ? "a size" : "a number";
    // CLI11 passes these names to Validator's description constructor: they arrive as descriptions.
    if (name == "NONNEGATIVE" || description == "NONNEGATIVE") return fmt::format("{} of 0 or more", number);
    if (name == "POSITIVE" || description == "POSITIVE") return fmt::format("{} above 0", number);
    if (starts_with(description, "SIZE ["))
        return "a size in bytes: a whole number, optionally followed by k, M, G or T (powers of 1024)";
    if (starts_with(description, "value in {")) return one_of(description, description.find('{'));
    if (starts_with(description, "{")) return one_of(description, 0);
    // Range: "INT in [1 - 4096]", "FLOAT in [0 - 1e+12]"
    std::size_t in = description.find(" in [");
    std::size_t dash = description.find(" - ", in);
    if (in == std::string::npos || dash == std::string::npos || description.back() != ']') return "";
    std::string type = description.substr(0, in);
    if (type != "FLOAT" && !size) number = "a whole number";
    return fmt::format("{} from {} to {}", number, plain_number(description.substr(in + 5, dash - in - 5)),
                       plain_number(description.substr(dash + 3, description.size() - dash - 4)));
}

std::string parse_error_message(const CLI::ParseError& error, const CLI::App& app) {
    std::string what = error.what();
    if (dynamic_cast<const CLI::ConversionError*>(&error)) return conversion_message(what, app);
    if (!dynamic_cast<const CLI::ArgumentMismatch*>(&error)) return what;
    // "--port: 1 required PORT:INT in [0 - 65535] missing"
    std::size_t colon = what.find(": "), required = what.find(" required ");
    if (colon == std::string::npos || required == std::string::npos || required < colon || what.size() < 8 ||
        what.compare(what.size() - 8, 8, " missing") != 0)
        return what;
    std::string count = what.substr(colon + 2, required - colon - 2);
    return what.substr(0, colon) + ": needs " + (count == "1" ? "a value" : count + " values");
}

void explain_refused_values(CLI::App& app) {
    std::set<const CLI::Option*> done;
    explain_all(app, done);
}

} // namespace netlab::app
