// Named intermediates and the one mechanism that reads or edits them during a forward pass.
//
// Every engine calls `hooks.visit(name, tensor)` at each named point (see docs/tensors.md for the
// list). A hook matches names by glob: '*' matches within one dotted segment, so "blocks.*.out"
// matches every block's output but not "blocks.3.attn.out"; '**' matches across segments.
// A hook may read the tensor, modify it in place, or replace it; the forward pass continues with whatever the hook leaves in `t`. Engines ask `wants(name)` before computing
// something that is only needed for a hook (attention probabilities), so unobserved runs stay fast.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ss::nn {

// True when `name` matches the glob `pattern` ('*' = any run without '.', '**' = any run).
bool glob_match(const std::string& pattern, const std::string& name);

// The block of a per-block intermediate: "blocks.12.attn.probs" -> 12 (names the engines give).
int64_t block_index(const std::string& name);

class Hooks {
 public:
  using Fn = std::function<void(const std::string& name, at::Tensor& t)>;

  // Registers `fn` for every intermediate whose name matches `pattern`. Hooks run in the order added.
  void add(std::string pattern, Fn fn);
  bool wants(const std::string& name) const;
  void visit(const std::string& name, at::Tensor& t) const;
  bool empty() const { return hooks_.empty(); }

 private:
  std::vector<std::pair<std::string, Fn>> hooks_;
};

// Keeps a detached float32 copy of every intermediate matching one of `patterns`, in visit order.
class Capture {
 public:
  Capture(Hooks& hooks, const std::vector<std::string>& patterns);
  const std::vector<std::pair<std::string, at::Tensor>>& tensors() const { return captured_; }
  void clear() { captured_.clear(); }

 private:
  std::vector<std::pair<std::string, at::Tensor>> captured_;
};

}  // namespace ss::nn
