#include "text/score_merge.h"

#include <queue>

namespace ss::text {

void merge_by_score(
    std::vector<MergeSymbol>& symbols,
    const std::function<std::optional<ScoredPiece>(std::string_view, std::string_view)>& lookup) {
  const int32_t n = static_cast<int32_t>(symbols.size());
  std::vector<int32_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    ScoredPiece piece;
    int32_t left, right;
    size_t left_size, right_size;  // to recognise candidates that an earlier merge made stale
    bool operator<(const Candidate& o) const {  // priority_queue pops the largest
      return piece.score != o.piece.score ? piece.score < o.piece.score : left > o.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    const MergeSymbol &l = symbols[left], &r = symbols[next[left]];
    if (l.frozen || r.frozen) return;
    if (auto p = lookup(l.text, r.text))
      queue.push({*p, left, next[left], l.text.size(), r.text.size()});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    // A merge only ever grows its left symbol and removes its right one, so a candidate is
    // current exactly when both symbols are alive, adjacent and unchanged in size.
    if (!alive[c.left] || next[c.left] != c.right || symbols[c.left].text.size() != c.left_size ||
        symbols[c.right].text.size() != c.right_size)
      continue;
    symbols[c.left].text = c.piece.text;
    symbols[c.left].id = c.piece.id;
    alive[c.right] = 0;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    consider(prev[c.left]);
    consider(c.left);
  }
  size_t w = 0;
  for (int32_t i = 0; i < n; ++i)
    if (alive[i]) symbols[w++] = symbols[i];
  symbols.resize(w);
}

}  // namespace ss::text
