// The one error type of netlab.
#include "error.hpp"

#include <cstring>

namespace netlab {

namespace {
std::string join(const std::string& action, const std::string& object, const std::string& reason) {
    std::string text = action;
    if (!object.empty()) text += " " + object;
    return text + ": " + reason;
}
} // namespace

Error::Error(std::string action, std::string object, int err)
    : std::runtime_error(join(action, object, std::strerror(err))), action_(std::move(action)),
      object_(std::move(object)), errno_(err) {}

Error::Error(std::string action, std::string object, std::string reason)
    : std::runtime_error(join(action, object, reason)), action_(std::move(action)),
      object_(std::move(object)) {}

} // namespace netlab
