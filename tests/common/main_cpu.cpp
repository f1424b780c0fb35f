// doctest main for the CPU suites.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  setenv("YE_POISON_ALLOC", "1", 0);  // unwritten outputs read as NaN
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
