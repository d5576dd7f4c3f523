// Loading golden tensors and comparing ours against them with the fixtures' tolerances.
#pragma once

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <string>

#include "io/safetensors.h"
#include "nn/state_dict.h"

namespace ss::test {

inline at::Tensor load_tensor(const std::string& file, const std::string& name) {
  const auto f = io::SafetensorsFile::open(file);
  const io::RawTensor* raw = f.find(name);
  if (!raw) ADD_FAILURE() << file << " has no tensor " << name;
  return raw ? nn::to_tensor(*raw).clone() : at::Tensor();
}

// max |got - expected| <= tol, with shapes equal; reports the worst element.
inline ::testing::AssertionResult close(const at::Tensor& got, const at::Tensor& expected, double tol) {
  if (!got.defined() || !expected.defined()) return ::testing::AssertionFailure() << "tensor missing";
  if (got.sizes() != expected.sizes())
    return ::testing::AssertionFailure() << "shape " << got.sizes() << " != expected " << expected.sizes();
  const double diff = (got.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
  if (!(diff <= tol)) return ::testing::AssertionFailure() << "max |diff| " << diff << " > " << tol;
  return ::testing::AssertionSuccess() << "max |diff| " << diff;
}

}  // namespace ss::test
