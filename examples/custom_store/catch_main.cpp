// Catch2's main in a file of its own: it compiles once, and it is Catch2's code, not ours, so it
// is built without our warnings (GCC 12 reports false maybe-uninitialized warnings inside the
// std::regex that Catch2's implementation instantiates once sanitizers change inlining).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
