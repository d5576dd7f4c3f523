// sinkscope tokenize: ids and pieces for a text, or text for ids - the first stop when outputs look wrong.
#include <nlohmann/json.hpp>

#include <iostream>
#include <sstream>

#include "commands.h"
#include "io/mmap_file.h"
#include "util/error.h"

namespace ss::cli {

namespace {

struct TokenizeOptions {
  std::string model, tokenizer, text, file, decode;
  bool no_special = false, as_json = false;
};

void run_tokenize(const TokenizeOptions& o) {
  std::unique_ptr<text::Tokenizer> tok;
  if (!o.tokenizer.empty()) {
    tok = text::load_tokenizer(o.tokenizer);
  } else if (!o.model.empty()) {
    tok = load_lm_tokenizer(load_lm_checkpoint(o.model), "");
  } else {
    throw UsageError("give MODEL or --tokenizer FILE");
  }
  const int given = !o.text.empty() + !o.file.empty() + !o.decode.empty();
  if (given != 1) throw UsageError("give exactly one of --text, --file, --decode");
  if (!o.decode.empty()) {
    std::vector<int32_t> ids;
    std::istringstream in(o.decode);
    for (std::string w; std::getline(in, w, ' ');) {
      if (w.empty()) continue;
      char* end = nullptr;
      const long v = std::strtol(w.c_str(), &end, 10);
      if (*end || v < 0 || v >= tok->vocab_size())
        throw UsageError("--decode: '" + w + "' is not an id in 0.." + std::to_string(tok->vocab_size() - 1));
      ids.push_back(static_cast<int32_t>(v));
    }
    std::cout << tok->decode(ids) << "\n";
    return;
  }
  std::string text = o.text;
  if (!o.file.empty()) text = io::read_file_bytes(o.file);  // names a missing file or a directory
  const auto ids = tok->encode(text, !o.no_special);
  if (o.as_json) {
    nlohmann::json pieces = nlohmann::json::array();
    for (int32_t id : ids) pieces.push_back(tok->piece(id));
    std::cout << nlohmann::json{{"tokenizer", tok->kind()}, {"ids", ids}, {"pieces", pieces}}.dump(-1, ' ', false,
                                                                                                  nlohmann::json::error_handler_t::replace)
              << "\n";
    return;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  // Pieces as JSON strings: control characters and quotes stay visible and on one line.
  for (size_t i = 0; i < ids.size(); ++i)
    std::cout << (i ? " " : "")
              << nlohmann::json(tok->piece(ids[i])).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::cout << "\n" << ids.size() << " tokens (" << tok->kind() << ")\n";
}

void add_tokenize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Show token ids and pieces for a text, or decode ids");
  cmd->footer(
      "Example:\n  sinkscope tokenize ~/models/SmolLM2-135M --text 'Hello world'\n"
      "  sinkscope tokenize --tokenizer tok512.bin --file story.txt --json\n"
      "  sinkscope tokenize --tokenizer tok512.bin --decode '1 403 407'");
  auto o = std::make_shared<TokenizeOptions>();
  cmd->add_option("MODEL", o->model, "HF folder or llama2.c .bin (its tokenizer is used)");
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer file or folder");
  cmd->add_option("--text", o->text, "text to encode");
  cmd->add_option("--file", o->file, "file to encode");
  cmd->add_option("--decode", o->decode, "space-separated ids to decode");
  cmd->add_flag("--no-special", o->no_special, "do not add BOS/EOS");
  cmd->add_flag("--json", o->as_json, "print JSON");
  cmd->callback([o] { run_tokenize(*o); });
}

const CommandRegistrar kRegistrar(27, add_tokenize_command);

}  // namespace

}  // namespace ss::cli
