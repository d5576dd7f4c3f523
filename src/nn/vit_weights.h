// Key names of every supported ViT checkpoint layout, mapped onto one canonical set:
//   patch_embed.{weight,bias}  cls_token [D]  dist_token [D]  register_tokens [R,D]  pos_embed [P,D]
//   ln_pre.{weight,bias}  norm.{weight,bias}  head.proj [out,D]
//   blocks.{i}.{norm1,norm2}.{weight,bias}  blocks.{i}.attn.{qkv,proj}.{weight,bias}
//   blocks.{i}.{ls1,ls2}  blocks.{i}.mlp.{fc1,fc2}.{weight,bias} | blocks.{i}.mlp.{w12,w3}.{weight,bias}
// Tables: vit-artifacts.md §1.2-1.5 (HF <-> original), OpenAI CLIP / OpenCLIP `visual.*` names.
#pragma once

#include <string>
#include <vector>

#include "nn/state_dict.h"

namespace ss::nn {

// Sinkscope: the canonical names themselves, with a sinkscope.json config (`sinkscope init`).
enum class VitLayout { Dinov2Original, Dinov2Hf, ClipHf, OpenClip, VitHf, Sinkscope };

const char* layout_name(VitLayout l);

// Renames (and fuses q/k/v, transposes CLIP's proj) into canonical names. Tensors that the vision
// model does not use (text tower, classifier, pooler, mask token, logit scale) are left out and
// their names returned in `ignored`.
StateDict canonicalize_vit_weights(VitLayout layout, const StateDict& sd, std::vector<std::string>* ignored);

}  // namespace ss::nn
