#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora: small valid files of every format, built here from scratch
(no assets, no torch; the standard library, plus PIL for the JPEG seeds when it is installed).
Each harness starts from files the parser accepts, so the mutations explore past the first check.

Usage: fuzz/make_corpus.py OUT_DIR   (writes OUT_DIR/<harness>/<seed>)
"""
import collections
import io
import json
import pathlib
import pickle
import struct
import sys
import zipfile
import zlib

OUT = pathlib.Path(sys.argv[1])


def put(harness, name, data):
    d = OUT / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def f32(values):
    return struct.pack(f"<{len(values)}f", *values)


# ---- safetensors ----------------------------------------------------------------------------
def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, bytes)] laid out in order, header padded to 8 bytes."""
    header, offset, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


put("safetensors", "f32", safetensors([("w", "F32", [2, 3], f32(range(6)))]))
put("safetensors", "mixed", safetensors(
    [("a.weight", "F64", [2], struct.pack("<2d", 1.5, -2)),
     ("b", "I64", [1, 2], struct.pack("<2q", 7, -7)),
     ("c", "F16", [3], b"\x00\x3c" * 3), ("d", "BF16", [2, 1], b"\x80\x3f" * 2),
     ("e", "I32", [], struct.pack("<i", 5)), ("f", "U8", [4], b"\x01\x02\x03\x04"),
     ("g", "BOOL", [2], b"\x00\x01"), ("h", "F32", [0, 4], b"")],
    metadata={"format": "pt"}))

# ---- pickles and .pth ------------------------------------------------------------------------
def op_str(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def op_int(v):
    return b"K" + bytes([v]) if 0 <= v < 256 else b"J" + struct.pack("<i", v)


def op_tuple(items):
    return b"(" + b"".join(items) + b"t"


def tensor_pickle(entries, memo=False):
    """{name: (storage_class, key, shape)} as torch.save pickles a state dict (protocol 2)."""
    p = b"\x80\x02ccollections\nOrderedDict\nq\x00)R" if memo else b"\x80\x02}"
    p += b"("
    for i, (name, (cls, key, shape)) in enumerate(entries.items()):
        numel = 1
        for s in shape:
            numel *= s
        stride, n = [], 1
        for s in reversed(shape):
            stride.insert(0, n)
            n *= s
        storage = op_tuple([op_str("storage"), b"ctorch\n" + cls.encode() + b"\n", op_str(key),
                            op_str("cpu"), op_int(numel)]) + b"Q"
        rebuild = (b"ctorch._utils\n_rebuild_tensor_v2\n" + b"(" + storage + op_int(0) +
                   op_tuple([op_int(s) for s in shape]) + op_tuple([op_int(s) for s in stride]) +
                   b"\x89ccollections\nOrderedDict\n)Rt" + b"R")
        p += op_str(name) + rebuild + (b"q" + bytes([i + 1]) if memo else b"")
    return p + b"u."


def torch_zip(pkl, storages, prefix="archive"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        for key, raw in storages.items():
            z.writestr(f"{prefix}/data/{key}", raw)
        z.writestr(f"{prefix}/version", "3\n")
    return buf.getvalue()


state = {"layer.weight": ("FloatStorage", "0", [2, 3]), "layer.bias": ("HalfStorage", "1", [2]),
         "steps": ("LongStorage", "2", [])}
pkl = tensor_pickle(state)
pkl_memo = tensor_pickle(state, memo=True)
storages = {"0": f32(range(6)), "1": b"\x00\x3c" * 2, "2": struct.pack("<q", 3)}
put("pth", "state_dict", torch_zip(pkl, storages))
put("pth", "state_dict_memo", torch_zip(pkl_memo, storages, prefix="model"))
put("pickle", "state_dict", pkl)
put("pickle", "state_dict_memo", pkl_memo)
plain = {"a": [1, -2, 3.5, None, True, (b"xy", "z" * 300)], "big": 1 << 70, "neg": -(1 << 40),
         "nested": {"k": [[], {}, ()]}, "od": collections.OrderedDict(x=1)}
for proto in (2, 3, 4, 5):
    put("pickle", f"plain_p{proto}", pickle.dumps(plain, protocol=proto))

# ---- llama2.c checkpoint ---------------------------------------------------------------------
def llama2c(dim, hidden, layers, heads, kv_heads, vocab, seq, shared=True):
    kv_dim = dim * kv_heads // heads
    head = dim // heads
    n = (vocab * dim + layers * (dim + dim * dim + 2 * dim * kv_dim + dim * dim + dim +
                                 3 * dim * hidden) + dim + seq * head)
    if not shared:
        n += vocab * dim
    hdr = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq)
    return hdr + f32([(i % 17) / 17 for i in range(n)])


put("llama2c", "shared", llama2c(8, 16, 1, 2, 2, 5, 4))
put("llama2c", "gqa_unshared", llama2c(8, 12, 2, 4, 2, 3, 2, shared=False))

# ---- JSON configs ----------------------------------------------------------------------------
llama = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 32,
         "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
         "max_position_embeddings": 64, "rope_theta": 10000.0, "tie_word_embeddings": False,
         "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}
configs = {
    "llama": llama,
    "llama3_scaling": dict(llama, rope_scaling={"rope_type": "llama3", "factor": 8.0,
                                                "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                                "original_max_position_embeddings": 8192}),
    "qwen3": dict(llama, model_type="qwen3", head_dim=8, eos_token_id=[2, 3]),
    "qwen2": dict(llama, model_type="qwen2", tie_word_embeddings=True),
    "mistral": dict(llama, model_type="mistral", sliding_window=None),
    "gpt2": {"model_type": "gpt2", "vocab_size": 50, "n_embd": 16, "n_layer": 2, "n_head": 2,
             "n_positions": 32, "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new"},
    "gpt_neox": {"model_type": "gpt_neox", "vocab_size": 50, "hidden_size": 16,
                 "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                 "rotary_pct": 0.25, "rotary_emb_base": 10000, "use_parallel_residual": True,
                 "layer_norm_eps": 1e-5, "max_position_embeddings": 64, "hidden_act": "gelu"},
    "vit_shape": {"family": "dinov2", "dim": 64, "depth": 2, "heads": 2, "patch": 14,
                  "pos_grid": 4, "num_registers": 4, "layerscale": True},
    "clip_shape": {"family": "clip", "dim": 64, "depth": 1, "activation": "quick_gelu",
                   "pos_interp": "size", "proj_dim": 32, "ffn": "mlp"},
    "hf_vit": {"model_type": "dinov2", "hidden_size": 384, "num_hidden_layers": 12,
               "num_attention_heads": 6, "patch_size": 14, "image_size": 518,
               "layerscale_value": 1.0, "mlp_ratio": 4, "num_register_tokens": 4},
    "model_args": {"arch": "vit_small", "patch_size": 14, "num_register_tokens": 0,
                   "interpolate_offset": 0.1, "interpolate_antialias": False},
    "neurons": {"register_neurons": {"5": [1, 7], "-1": [3]}},
}
for name, c in configs.items():
    put("config_json", name, json.dumps(c, indent=1))
for path in sorted((pathlib.Path(__file__).parent.parent / "configs").glob("*.json")):
    put("config_json", "repo_" + path.stem, path.read_bytes())

# YAML training configs: the same shapes as JSON, plus what only YAML has.
put("yaml", "train", """model: {dim: 64, layers: 2, heads: 1, attention: softmax}
data:
  kind: bigram-backcopy
  vocab: 64
  seeds: [0, 1, 2]
train: &train
  steps: 800
  lr: 3e-3
  clip: .inf
  name: "quoted: string"
  flag: yes
  nothing: ~
eval:
  <<: *train
  note: |
    a literal
    block
list:
  - a
  - {b: [1, 2.5, -0x1F, 0o17, null, true]}
""")
for path in sorted((pathlib.Path(__file__).parent.parent / "configs").rglob("*.json")):
    put("yaml", "repo_" + path.stem, path.read_bytes())  # JSON is YAML too

# ---- tokenizers ------------------------------------------------------------------------------
def bytes_to_unicode():
    """GPT-2's byte <-> printable character table (encoder.py)."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
byte_vocab = {B2U[b]: b for b in range(256)}
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a")]
bpe_vocab = dict(byte_vocab)
for a, b in merges:
    bpe_vocab[a + b] = len(bpe_vocab)
bpe_vocab["<|endoftext|>"] = len(bpe_vocab)
TEXT = "The theory in a tea cup, 123 times!\n\u00e9t\u00e9 \U0001F600 \xff"

put("gpt2_vocab", "small", json.dumps(bpe_vocab) + "\0" +
    "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges) + "\0" + TEXT)

gpt2_tok = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": len(bpe_vocab) - 1, "content": "<|endoftext|>", "single_word": False,
                      "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
    "normalizer": None,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                      "use_regex": True},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                       "use_regex": True},
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
              "vocab": bpe_vocab, "merges": [f"{a} {b}" for a, b in merges]},
}
spm_vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
for b in range(256):
    spm_vocab[f"<0x{b:02X}>"] = len(spm_vocab)
spm_merges = [("▁", "t"), ("h", "e"), ("▁t", "he"), ("▁", "a")]
for piece in ["▁", "t", "h", "e", "a"] + [a + b for a, b in spm_merges]:
    spm_vocab.setdefault(piece, len(spm_vocab))
llama_tok = {
    "version": "1.0",
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True}
                     for t, i in [("<unk>", 0), ("<s>", 1), ("</s>", 2)]],
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "},
                                              "content": "▁"}]},
    "pre_tokenizer": None,
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                  {"Sequence": {"id": "A", "type_id": 0}}],
                       "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                                {"Sequence": {"id": "B", "type_id": 1}}],
                       "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>",
              "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": True,
              "byte_fallback": True, "vocab": spm_vocab,
              "merges": [[a, b] for a, b in spm_merges]},
}
split_tok = dict(gpt2_tok, pre_tokenizer={"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"},
     "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
    normalizer={"type": "NFC"})
config = {"bos_token": "<s>", "eos_token": {"content": "</s>"}, "add_bos_token": True,
          "add_eos_token": False}
put("hf_tokenizer", "gpt2", json.dumps(gpt2_tok) + "\0\0" + TEXT)
put("hf_tokenizer", "llama", json.dumps(llama_tok, ensure_ascii=False) + "\0" +
    json.dumps(config) + "\0" + TEXT)
put("hf_tokenizer", "split_nfc", json.dumps(split_tok) + "\0\0" + TEXT + "e\u0301")


def with_text(text, file):
    t = text.encode()[:255]
    return bytes([len(t)]) + t + file


# llama2.c tok*.bin: <unk> <s> </s>, the 256 byte tokens, then merged pieces with scores.
pieces = [("<unk>", 0.0), ("\n<s>\n", 0.0), ("\n</s>\n", 0.0)]
pieces += [(f"<0x{b:02X}>", 0.0) for b in range(256)]
pieces += [(p, -float(i)) for i, p in enumerate([" ", "t", "h", "e", "a", " t", "he", " the", " a"])]
tok_bin = struct.pack("<i", 7) + b"".join(
    struct.pack("<fi", s, len(p.encode())) + p.encode() for p, s in pieces)
put("llama2c_tok", "tok", with_text(TEXT, tok_bin))

# SentencePiece .model (protobuf wire format, as tests/text/test_sentencepiece.cpp builds it).
def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7F | 0x80])
        v >>= 7
    return out + bytes([v])


def fvarint(n, v):
    return varint(n << 3) + varint(v)


def fbytes(n, b):
    b = b.encode() if isinstance(b, str) else b
    return varint(n << 3 | 2) + varint(len(b)) + b


def spm_piece(text, score, kind):
    return fbytes(1, fbytes(1, text) + varint(2 << 3 | 5) + struct.pack("<f", score) +
                  fvarint(3, kind))


def spm_model(byte_fallback, remove_ws):
    s = "\u2581"
    m = spm_piece("<unk>", 0, 2) + spm_piece("<s>", 0, 3) + spm_piece("</s>", 0, 3)
    m += spm_piece("<sep>", 0, 4)
    for t, score, kind in [(s + "a", -1, 1), ("ab", -2, 1), (s + "ab", -0.5, 5), (s + "abc", -3, 1),
                           ("bc", -2, 1), (s + s, -4, 1), (s, -10, 1), ("a", -11, 1),
                           ("b", -12, 1), ("c", -13, 1)]:
        m += spm_piece(t, score, kind)
    if byte_fallback:
        m += b"".join(spm_piece(f"<0x{b:02X}>", 0, 6) for b in range(256))
    m += fbytes(2, fvarint(3, 2) + fvarint(35, byte_fallback))
    m += fbytes(3, fbytes(1, "identity") + fbytes(2, b"") + fvarint(4, remove_ws))
    return m


for fb in (0, 1):
    for ws in (0, 1):
        put("sentencepiece", f"tiny_fb{fb}_ws{ws}", with_text("abc  ab<sep>c\u00e9\U0001F600 a",
                                                               spm_model(fb, ws)))

# ---- images ----------------------------------------------------------------------------------
def png(width, height, color_type, depth, rows, extra=b""):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def plte(n):
    body = b"".join(bytes([i * 40 % 256, i * 90 % 256, i * 7 % 256]) for i in range(n))
    return struct.pack(">I", len(body)) + b"PLTE" + body + struct.pack(
        ">I", zlib.crc32(b"PLTE" + body) & 0xFFFFFFFF)


def trns(body):
    return struct.pack(">I", len(body)) + b"tRNS" + body + struct.pack(
        ">I", zlib.crc32(b"tRNS" + body) & 0xFFFFFFFF)


W, H = 5, 3
put("image", "gray8.png", png(W, H, 0, 8, [bytes(range(y * W, y * W + W)) for y in range(H)]))
put("image", "gray1.png", png(W, H, 0, 1, [b"\xa8"] * H))
put("image", "gray16.png", png(W, H, 0, 16, [struct.pack(">5H", *[x * 300 for x in range(W)])] * H))
put("image", "rgb8.png", png(W, H, 2, 8, [bytes(range(3 * W))] * H, trns(b"\0\1\0\2\0\3")))
put("image", "rgba16.png", png(2, 2, 6, 16, [bytes(range(16))] * 2))
put("image", "gray_alpha.png", png(W, H, 4, 8, [bytes(range(2 * W))] * H))
put("image", "palette4.png", png(W, H, 3, 4, [b"\x01\x23\x4f"] * H, plte(6) + trns(b"\x80\x10")))
try:
    from PIL import Image  # the JPEG seeds need an encoder; Debian's python3-pil has one
    img = Image.new("RGB", (11, 7))
    img.putdata([(x * 20 % 256, y * 30 % 256, (x * y) % 256) for y in range(7) for x in range(11)])
    for name, im, kw in [("rgb.jpg", img, {}), ("progressive.jpg", img, {"progressive": True}),
                         ("gray.jpg", img.convert("L"), {}),
                         ("cmyk.jpg", img.convert("CMYK"), {}),
                         ("subsample.jpg", img, {"subsampling": 2, "quality": 30})]:
        buf = io.BytesIO()
        im.save(buf, "JPEG", **kw)
        put("image", name, buf.getvalue())
except ImportError:
    print("make_corpus: no PIL, no JPEG seeds (the image fuzzer still starts from the PNGs)",
          file=sys.stderr)
