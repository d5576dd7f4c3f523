#include "train/model_card.h"

#include <cstdio>
#include <sstream>

#include "io/atomic_file.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace ss::train {

namespace fs = std::filesystem;

void write_tokenizer_files(const nlohmann::json& data, const fs::path& out) {
  const std::string tok = data.value("tokenizer", std::string());
  if (tok.empty()) return;  // synthetic ids (bigram-backcopy): no text, no tokenizer
  if (tok == "byte") {
    io::write_file_atomic((out / "tokenizer.json").string(), text::byte_tokenizer_json().dump() + "\n");
    return;
  }
  const fs::path src(tok);
  auto copy = [&out](const fs::path& from, const char* name) {
    fs::copy_file(from, out / name, fs::copy_options::overwrite_existing);
  };
  if (fs::is_directory(src)) {
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "merges.txt",
                             "tokenizer.bin"})
      if (fs::exists(src / name)) copy(src / name, name);
    return;
  }
  const std::string name = src.filename().string(), ext = src.extension().string();
  if (name == "vocab.json") {
    copy(src, "vocab.json");
    copy(src.parent_path() / "merges.txt", "merges.txt");
  } else if (ext == ".json") {
    copy(src, "tokenizer.json");
    if (fs::exists(src.parent_path() / "tokenizer_config.json"))
      copy(src.parent_path() / "tokenizer_config.json", "tokenizer_config.json");
  } else if (ext == ".model") {
    copy(src, "tokenizer.model");
  } else {
    copy(src, "tokenizer.bin");  // llama2.c tok*.bin
  }
}

void write_model_card(const fs::path& out, const TrainConfig& c, const nlohmann::json& hf, const nlohmann::json& data,
                      const CardNumbers& n) {
  const OptimConfig& o = c.optim;
  std::ostringstream md;
  char buf[256];
  md << "# " << out.filename().string() << "\n\n"
     << "A small Llama-style language model trained by `sinkscope train lm` (issue #5) to study attention\n"
     << "sinks. It loads wherever a Hugging Face llama checkpoint does in sinkscope; the attention variant\n"
     << "is recorded in config.json (`sinkscope_attention`).\n\n"
     << "| | |\n| --- | --- |\n"
     << "| attention | " << hf.value("sinkscope_attention", std::string("softmax")) << " |\n"
     << "| layers × heads × dim | " << hf["num_hidden_layers"] << " × " << hf["num_attention_heads"] << " × "
     << hf["hidden_size"] << " (kv heads " << hf["num_key_value_heads"] << ", ffn " << hf["intermediate_size"] << ") |\n"
     << "| vocabulary | " << hf["vocab_size"] << " |\n"
     << "| data | " << data.dump() << " |\n";
  std::snprintf(buf, sizeof buf,
                "| optimiser | AdamW lr %g → %g (warm-up %lld, cosine), wd %g, betas (%g, %g), clip %g, %s |\n", o.lr,
                o.min_lr, static_cast<long long>(o.warmup), o.weight_decay, o.beta1, o.beta2, o.grad_clip,
                o.bf16 ? "bf16 autocast" : "f32");
  md << buf;
  std::snprintf(buf, sizeof buf, "| steps × batch × seq | %lld × %lld × %lld (accum %lld), %lld tokens, seed %llu |\n",
                static_cast<long long>(n.steps), static_cast<long long>(o.batch), static_cast<long long>(o.seq_len),
                static_cast<long long>(o.accum), static_cast<long long>(n.tokens),
                static_cast<unsigned long long>(o.seed));
  md << buf;
  std::snprintf(buf, sizeof buf, "| final train loss | %.4f |\n| validation loss | %.4f |\n| training time | %.0f s |\n",
                n.train_loss, n.val_loss, n.seconds);
  md << buf << "\nReproduce: `sinkscope train lm --config train_config.json --out DIR` (same threads and world\n"
     << "size give the same losses; metrics.jsonl has the curve).\n";
  io::write_file_atomic((out / "README.md").string(), md.str());
}

}  // namespace ss::train
