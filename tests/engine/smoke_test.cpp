// Placeholder engine test (replaced by the full engine suite).
#include "common/harness.h"
TEST_CASE("tensor basics") { CHECK(ye::Tensor::full({2, 3}, 1.5f).to_vector()[5] == 1.5f); }
