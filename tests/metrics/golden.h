// Helpers of the metrics tests: loading the reference goldens (tests/parity/goldens/metrics/*.json)
// and JSON arrays as typed vectors.
#pragma once
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace ye::test {

inline nlohmann::json load_metrics_golden(const std::string& name) {
  const std::string path = std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/metrics/" + name;
  std::ifstream f(path);
  REQUIRE_MESSAGE(f.good(), "missing golden ", path, " (run tests/parity/gen_metrics.py with the parity venv)");
  return nlohmann::json::parse(f);
}

template <typename T>
std::vector<T> vec(const nlohmann::json& j) {
  std::vector<T> v;
  for (const auto& x : j) v.push_back(x.get<T>());
  return v;
}

}  // namespace ye::test
