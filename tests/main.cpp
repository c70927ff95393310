// The Catch2 test runner of netlab.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
