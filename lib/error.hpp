// The one error type of netlab: what was being done, to what, and errno's reason.
#pragma once

#include <stdexcept>
#include <string>

namespace netlab {

// A failed system call or runtime operation. what() reads "bind 0.0.0.0:2333: Address already in use";
// the caller adds "netlab <cmd>: " in front.
class Error : public std::runtime_error {
public:
    // With errno: the reason is strerror(err).
    Error(std::string action, std::string object, int err);
    // Without errno: the reason is given in words.
    Error(std::string action, std::string object, std::string reason);

    const std::string& action() const noexcept { return action_; }
    const std::string& object() const noexcept { return object_; }
    // 0 when the error did not come from a system call.
    int error_number() const noexcept { return errno_; }

private:
    std::string action_;
    std::string object_;
    int errno_ = 0;
};

// A bad value the user gave (a name too long to send, an address that does not parse). Exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace netlab
