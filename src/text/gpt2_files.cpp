// GPT-2's original files, vocab.json + merges.txt, as the pipeline that transformers builds from
// them (convert_slow_tokenizer.py GPT2Converter): ByteLevel pre-tokenizer without prefix space and
// with GPT-2's regex, BPE without unk, ByteLevel decoder, "<|endoftext|>" as BOS and EOS.
#include "io/json_strict.h"
#include "io/mmap_file.h"
#include "text/hf_tokenizer.h"
#include "text/loaders.h"
#include "util/error.h"

namespace ss::text {

namespace {

constexpr const char* kEndOfText = "<|endoftext|>";

// models/bpe/model.rs convert_merges_to_hashmap: "#version" lines are skipped and every other
// line is "a b" with exactly one space.
std::vector<std::pair<std::string, std::string>> read_merges(const std::filesystem::path& path) {
  auto file = io::MmapFile::open(path.string());
  std::string_view text(reinterpret_cast<const char*>(file->data()), file->size());
  std::vector<std::pair<std::string, std::string>> merges;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.substr(0, 8) == "#version") continue;
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos || line.find(' ', sp + 1) != std::string_view::npos)
      throw Error(path.string() + ": line " + std::to_string(line_no) + " is not \"a b\"");
    merges.emplace_back(std::string(line.substr(0, sp)), std::string(line.substr(sp + 1)));
  }
  return merges;
}

}  // namespace

std::unique_ptr<Tokenizer> load_gpt2_files(const std::filesystem::path& vocab_json,
                                           const std::filesystem::path& merges_txt) {
  const std::string where = vocab_json.string();
  auto file = io::MmapFile::open(where);
  auto root = io::parse_json_strict(reinterpret_cast<const char*>(file->data()), file->size(),
                                    where, "vocab.json", 1);
  if (!root.is_object()) throw Error(where + ": is not a JSON object of token -> id");
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(root.size());
  for (auto it = root.begin(); it != root.end(); ++it) {
    const auto& v = it.value();
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= BpeModel::kMaxId)
      throw Error(where + ": token \"" + it.key() + "\" has no id in 0.." +
                  std::to_string(BpeModel::kMaxId - 1));
    vocab.emplace(it.key(), static_cast<int32_t>(v.get<int64_t>()));
  }
  root = nullptr;

  HfPipeline p;
  p.kind = "gpt2-bpe";
  p.where = where;
  p.model =
      std::make_unique<BpeModel>(std::move(vocab), read_merges(merges_txt), BpeOptions{}, where);
  HfPreTokenizer byte_level{HfPreTokenizer::kByteLevel};
  byte_level.regex = std::make_shared<Regex>(kGpt2Pattern, where + ": GPT-2 regex");
  p.pre_tokenizers.push_back(std::move(byte_level));
  p.decoders = std::vector<HfDecoder>{{HfDecoder::kByteLevel}};
  if (auto id = p.model->id(kEndOfText)) {
    p.added.push_back({kEndOfText, *id, true, false, false});
    p.bos = p.eos = *id;
  }
  return std::make_unique<HfTokenizer>(std::move(p));
}

}  // namespace ss::text
