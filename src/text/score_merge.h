// The merge loop shared by SentencePiece's BPE (bpe_model.cc Model::SampleEncode) and llama2.c
// (run.c encode): merge the adjacent pair whose joined text is the best-scoring piece, the
// leftmost among equal scores, and repeat until no adjacent pair forms a piece. (HF BPE ranks
// merges instead: bpe.h.) A priority queue keyed by (score, position) makes it O(n log n); run.c
// rescans the whole sequence after each merge, which picks the same pairs in O(n^2).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace ss::text {

struct MergeSymbol {
  std::string_view text;  // must stay valid during the merge
  int32_t id = -1;
  bool frozen = false;  // never merged (SentencePiece user-defined symbols)
};

struct ScoredPiece {
  int32_t id;
  float score;
  std::string_view text;  // the joined text, in storage that outlives the merge
};

// `lookup(left, right)` says which piece, if any, the two texts form. Merges replace the left
// symbol and drop the right one.
void merge_by_score(
    std::vector<MergeSymbol>& symbols,
    const std::function<std::optional<ScoredPiece>(std::string_view, std::string_view)>& lookup);

}  // namespace ss::text
