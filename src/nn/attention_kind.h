// The attention operators sinkscope compares, as plain data (no torch: config parsers use it).
#pragma once

namespace ss::nn {

// How attention weights are formed from the logits x = q.k/sqrt(d) (llm-sinks.md §4):
//   Softmax; Softmax1 (an implicit zero logit per row, "attention is off by one"); SinkLogit
//   (gpt-oss's learned per-head sink logit); Sigmoid: sigmoid(x + b) with a fixed scalar b and no
//   row normalisation (Ramapuram et al.); Elu1: elu(x) + 1, unnormalised (Gu et al. Table 6).
enum class AttnKind { Softmax, Softmax1, SinkLogit, Sigmoid, Elu1 };

}  // namespace ss::nn
