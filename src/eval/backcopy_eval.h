// What a model learned on the Bigram-Backcopy task (train/bigram_backcopy.h) and where its heads
// put their attention: Guo et al. 2024 §2's measurement. A head is needed only at trigger positions
// (where the next token copies the one before the trigger); elsewhere a softmax head must still
// spend its attention somewhere and parks it on BOS - the attention sink. Fixes should lower the
// BOS share at non-trigger positions while keeping the copy accuracy.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/decoder.h"
#include "train/bigram_backcopy.h"

namespace ss::eval {

struct BackcopyReport {
  int64_t sequences = 0, length = 0;
  int64_t first_position = 0;  // where BOS sits in the model's input (1 after a sink token)
  // [layer][head]: mean attention share (unnormalised variants: w / sum w, Gu et al.'s proxy) on
  // position 0 (the BOS, or the sink token when the model has one) and on the BOS.
  std::vector<std::vector<double>> first_at_trigger, first_at_other, bos_at_trigger, bos_at_other;
  double copy_accuracy = 0;        // argmax == the copied token, at trigger positions
  double loss_trigger = 0, loss_other = 0;  // mean next-token NLL at trigger / other positions
  nlohmann::json to_json() const;
};

// Validation sequences 0..n-1 of `length` tokens.
BackcopyReport evaluate_backcopy(const nn::DecoderLM& model, const train::BigramBackcopy& data, int64_t n,
                                 int64_t length);

}  // namespace ss::eval
