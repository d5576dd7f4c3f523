// sinkscope info MODEL: what was detected, so a user can check before trusting any number.
#include <nlohmann/json.hpp>

#include <iostream>

#include "commands.h"
#include "io/dtype.h"

namespace ss::cli {

namespace {
void print_lm_info(const std::string& path, bool as_json) {
  LoadedLm lm = load_lm(path);
  const auto& c = lm.checkpoint.config;
  nlohmann::json j = nn::to_json(c);
  j["path"] = path;
  j["parameters"] = lm.model->num_parameters();
  j["tokenizer"] = lm.checkpoint.tokenizer.string();
  j["ignored_tensors"] = lm.checkpoint.ignored;
  if (as_json) {
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::cout << "model      " << path << "\n"
            << "family     decoder LM (" << c.arch << ")\n"
            << "dims       dim " << c.dim << ", " << c.layers << " layers, " << c.heads << " heads (" << c.kv_heads
            << " kv) x " << c.head_dim << ", ffn " << c.ffn_hidden << " " << j["ffn"].get<std::string>() << "\n"
            << "positions  " << j["positions"].get<std::string>() << ", context " << c.max_positions
            << (c.pos == nn::PosKind::Rope ? ", theta " + std::to_string(c.rope_theta) + ", " +
                                                 j["rope_style"].get<std::string>() + " pairs, rotary dims " +
                                                 std::to_string(c.rotary_dim)
                                           : std::string())
            << "\n"
            << "blocks     " << j["norm"].get<std::string>() << " eps " << c.norm_eps
            << (c.parallel_residual ? ", parallel residual" : "") << (c.qk_norm ? ", q/k norm" : "")
            << (c.tied_embeddings ? ", tied embeddings" : "") << "\n"
            << "vocab      " << c.vocab << ", bos " << j["bos"].dump() << ", eos " << j["eos"].dump() << "\n"
            << "parameters " << lm.model->num_parameters() << "\n"
            << "tokenizer  " << (lm.checkpoint.tokenizer.empty() ? "(none found; pass --tokenizer)" : lm.checkpoint.tokenizer.string())
            << "\n";
}

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Print what sinkscope detects in a checkpoint");
  cmd->footer(
      "Example:\n  sinkscope info ~/models/dinov2_vitb14_reg4_pretrain.pth\n"
      "  sinkscope info ~/models/dinov2-small --json");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  auto opts = std::make_shared<nn::VitLoadOptions>();
  cmd->add_option("MODEL", *path, "HF folder, .pth/.bin/.safetensors file, or sinkscope init folder")->required();
  cmd->add_flag("--json", *as_json, "print JSON instead of text");
  add_model_options(cmd, *opts);
  cmd->callback([path, as_json, opts] {
    if (nn::is_decoder_checkpoint(*path)) return print_lm_info(*path, *as_json);
    LoadedVit lv = load_vit(*path, *opts, "f32");
    const auto& ck = lv.checkpoint;
    nlohmann::json j = nn::to_json(ck.config);
    j["path"] = *path;
    j["parameters"] = lv.model->num_parameters();
    j["file_dtypes"] = nlohmann::json::object();
    for (const auto& kv : ck.weights) j["file_dtypes"][io::dtype_name(nn::to_dtype(kv.second.scalar_type()))] = true;
    j["ignored_tensors"] = ck.ignored;
    j["config_sources"] = ck.config_sources;
    if (*as_json) {
      std::cout << j.dump(2) << "\n";
      return;
    }
    const auto& c = ck.config;
    std::cout << "model      " << *path << "\n"
              << "family     " << nn::family_name(c.family) << " (layout " << c.layout << ")\n"
              << "dims       dim " << c.dim << ", " << c.depth << " layers, " << c.heads << " heads x "
              << c.head_dim() << ", mlp " << c.mlp_hidden << (c.ffn == nn::FfnKind::SwiGlu ? " swiglu" : "")
              << " " << nn::activation_name(c.act) << "\n"
              << "tokens     patch " << c.patch << ", position grid " << c.pos_grid << "x" << c.pos_grid << " ("
              << c.native_resolution() << " px), registers " << c.num_registers
              << (c.dist_token ? ", distillation token" : "") << "\n"
              << "blocks     layerscale " << (c.layerscale ? "yes" : "no") << ", ln eps " << c.ln_eps
              << (c.pre_norm ? ", ln_pre" : "") << (c.proj_dim ? ", projection " + std::to_string(c.proj_dim) : "")
              << "\n"
              << "pos interp " << nn::interp_name(c.interp) << " (offset " << c.interp_offset << ")\n"
              << "parameters " << lv.model->num_parameters() << "\n"
              << "dtype      ";
    bool first = true;
    for (const auto& kv : j["file_dtypes"].items()) {
      std::cout << (first ? "" : ", ") << kv.key();
      first = false;
    }
    std::cout << " in the file\n"
              << "preprocess " << j["preprocess"].dump() << "\n";
    if (!ck.ignored.empty()) std::cout << "ignored    " << ck.ignored.size() << " tensors not used by the vision model\n";
  });
}

const CommandRegistrar kRegistrar(10, add_info_command);
}  // namespace

}  // namespace ss::cli
