#include "nn/hooks.h"

#include <vector>

namespace ss::nn {

bool glob_match(const std::string& pattern, const std::string& name) {
  // Dynamic programming over (pattern position, name position): O(|pattern| * |name|), no recursion.
  // '*' matches within one dotted segment, '**' across segments.
  const size_t P = pattern.size(), N = name.size();
  std::vector<char> cur(N + 1, 0), next(N + 1, 0);
  cur[N] = 1;  // empty pattern suffix matches empty name suffix
  for (size_t p = P; p-- > 0;) {
    const bool dstar = pattern[p] == '*' && p + 1 < P && pattern[p + 1] == '*';
    // The second '*' of '**' is handled together with the first one: match(p + 1) = match(p + 2).
    if (pattern[p] == '*' && p > 0 && pattern[p - 1] == '*') continue;
    for (size_t n = N + 1; n-- > 0;) {
      if (pattern[p] == '*') {
        // Skip the star (or both stars), or let it eat one more character.
        const bool skip = cur[n];
        const bool eat = n < N && (dstar || name[n] != '.') && next[n + 1];
        next[n] = skip || eat;
      } else {
        next[n] = n < N && pattern[p] == name[n] && cur[n + 1];
      }
    }
    std::swap(cur, next);
  }
  return cur[0] != 0;
}

void Hooks::add(std::string pattern, Fn fn) { hooks_.emplace_back(std::move(pattern), std::move(fn)); }

bool Hooks::wants(const std::string& name) const {
  for (const auto& h : hooks_)
    if (glob_match(h.first, name)) return true;
  return false;
}

void Hooks::visit(const std::string& name, at::Tensor& t) const {
  for (const auto& h : hooks_)
    if (glob_match(h.first, name)) h.second(name, t);
}

Capture::Capture(Hooks& hooks, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    hooks.add(p, [this](const std::string& name, at::Tensor& t) {
      for (const auto& c : captured_)
        if (c.first == name) return;  // two patterns matching one name: keep one copy
      captured_.emplace_back(name, t.detach().to(at::kFloat).contiguous().clone());
    });
}

int64_t block_index(const std::string& name) {
  const size_t a = name.find('.') + 1, b = name.find('.', a);
  return std::stoll(name.substr(a, b - a));
}

}  // namespace ss::nn
