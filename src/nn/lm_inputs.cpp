#include "nn/lm_inputs.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "io/safetensors.h"
#include "nn/state_dict.h"
#include "util/error.h"

namespace ss::nn {

std::vector<int64_t> read_ids_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  // A safetensors file starts with an 8-byte header length and then '{'; anything else is text.
  char head[9] = {};
  in.read(head, 9);
  const bool text = !(in.gcount() == 9 && head[8] == '{');
  if (!text) {
    const auto file = io::SafetensorsFile::open(path);
    const io::RawTensor* raw = file.find("input_ids");
    if (!raw) throw Error(path + ": neither whitespace-separated ids nor a safetensors file with input_ids");
    const at::Tensor t = to_tensor(*raw).to(at::kDouble).flatten();
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < t.numel(); ++i) {
      const double v = t[i].item<double>();
      if (v != std::floor(v) || v < 0 || v > 1e9) throw Error(path + ": input_ids[" + std::to_string(i) + "] = " +
                                                             std::to_string(v) + " is not a token id");
      ids.push_back(static_cast<int64_t>(v));
    }
    return ids;
  }
  in.clear();
  in.seekg(0);
  std::vector<int64_t> ids;
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const long long v = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || v < 0) throw Error(path + ": '" + word + "' is not a token id");
    ids.push_back(v);
  }
  return ids;
}

}  // namespace ss::nn
