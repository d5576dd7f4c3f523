// sinkscope data sample|stream SOURCE: the token ids a training config produces, as text (one
// sequence per line), for probing (`inspect --ids`) and streaming (`stream --ids`) without a
// tokenizer - the synthetic Bigram-Backcopy models have none.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "io/atomic_file.h"
#include "train/bigram_backcopy.h"
#include "train/train_config.h"
#include "train/text_dataset.h"
#include "util/error.h"

namespace ss::cli {

train::TrainConfig training_config_of(const std::string& source) {
  namespace fs = std::filesystem;
  const fs::path p(source);
  if (fs::is_directory(p)) {
    if (!fs::exists(p / "train_config.json"))
      throw Error(source + ": no train_config.json (expected a folder written by `sinkscope train` or a config file)");
    return train::TrainConfig::from_file((p / "train_config.json").string());
  }
  return train::TrainConfig::from_file(source);
}

namespace {

struct DataCli {
  std::string source, out, split = "validation";
  int64_t n = 100, length = 64;
  uint64_t seed = 0;
};

train::Split parse_split(const std::string& s) {
  if (s == "train") return train::Split::Train;
  if (s == "validation") return train::Split::Validation;
  throw UsageError("--split: expected train or validation, got '" + s + "'");
}

void write_lines(const std::string& out, const std::vector<std::vector<int64_t>>& seqs) {
  std::ostringstream s;
  for (const auto& seq : seqs) {
    for (size_t i = 0; i < seq.size(); ++i) s << (i ? " " : "") << seq[i];
    s << "\n";
  }
  if (out.empty() || out == "-") {
    std::fwrite(s.str().data(), 1, s.str().size(), stdout);
  } else {
    io::write_file_atomic(out, s.str());
  }
}

void run_sample(const DataCli& o) {
  if (o.n <= 0 || o.length < 2) throw UsageError("-n must be > 0 and --length >= 2");
  const train::TrainConfig c = training_config_of(o.source);
  const auto data = train::make_dataset(c.data, parse_split(o.split), c.file);
  std::vector<std::vector<int64_t>> seqs;
  for (int64_t i = 0; i < o.n; ++i) seqs.push_back(data->sequence(i, o.length));
  write_lines(o.out, seqs);
}

void run_stream(const DataCli& o) {
  if (o.n < 2) throw UsageError("-n must be >= 2");
  const train::TrainConfig c = training_config_of(o.source);
  const auto data = train::make_dataset(c.data, train::Split::Validation, c.file);
  if (const auto* bb = dynamic_cast<const train::BigramBackcopy*>(data.get())) {
    write_lines(o.out, {bb->stream(o.n, o.seed)});
    return;
  }
  const auto* text = dynamic_cast<const train::TextDataset*>(data.get());
  if (!text) throw Error(o.source + ": this data kind has no stream");
  const auto& tokens = text->tokens();
  if (static_cast<int64_t>(tokens.size()) < o.n)
    throw Error(o.source + ": the validation split has only " + std::to_string(tokens.size()) + " tokens");
  std::vector<int64_t> ids;
  if (text->bos()) ids.push_back(*text->bos());  // one BOS at the start of the stream
  ids.insert(ids.end(), tokens.begin(), tokens.begin() + o.n - static_cast<int64_t>(ids.size()));
  write_lines(o.out, {ids});
}

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Write the token ids of a training config (probe sets, long streams)");
  data->require_subcommand(1);
  data->footer("Example:\n  sinkscope data sample configs/train/bb-softmax.json -n 100 --length 64 --out probe.txt\n"
               "  sinkscope data stream models/bb-softmax -n 20000 --out stream.txt");
  auto o = std::make_shared<DataCli>();
  auto* sample = data->add_subcommand("sample", "Sequences 0..n-1 of a split, one per line");
  sample->footer("Example:\n  sinkscope data sample models/bb-softmax -n 100 --length 64 --out probe.txt");
  auto* stream = data->add_subcommand("stream", "One long sequence (Bigram-Backcopy: a single BOS; text: validation)");
  stream->footer("Example:\n  sinkscope data stream models/bb-softmax -n 20000 --out stream.txt");
  for (auto* cmd : {sample, stream}) {
    cmd->add_option("SOURCE", o->source, "training config (.json/.yaml) or a trained model folder")->required();
    cmd->add_option("-n", o->n, cmd == sample ? "number of sequences" : "tokens in the stream")->capture_default_str();
    cmd->add_option("--out", o->out, "output file (default: stdout)");
  }
  sample->add_option("--length", o->length, "tokens per sequence")->capture_default_str();
  sample->add_option("--split", o->split, "train | validation")->capture_default_str();
  stream->add_option("--seed", o->seed, "stream seed (Bigram-Backcopy)")->check(at_least(0));
  sample->callback([o] { run_sample(*o); });
  stream->callback([o] { run_stream(*o); });
}

const CommandRegistrar kRegistrar(62, add_data_command);

}  // namespace

}  // namespace ss::cli
