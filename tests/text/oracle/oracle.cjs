// The reference side of tests/text/test_oracle.cpp: transformers.js tokenizers (@lenml/tokenizers)
// encode and decode a corpus with one tokenizer; the C++ test compares its own results to these.
//
// node oracle.cjs NPM_DIR FAMILY CORPUS_JSON OUT_JSON [VOCAB_JSON MERGES_TXT]
//   NPM_DIR  where package.json/package-lock.json were installed (has node_modules/)
//   FAMILY   gpt2 | llama2 | llama3 | qwen3 | gptoss: models/tokenizer.json (+ tokenizer_config.json)
//            of @lenml/tokenizer-FAMILY; or gpt2-files: GPT-2's vocab.json + merges.txt, built into
//            the tokenizer.json that transformers' GPT2Converter makes of them
//   CORPUS   JSON array of hex-encoded byte strings. Bytes become text with a WHATWG TextDecoder
//            (invalid UTF-8 -> U+FFFD per maximal subpart), the rule the C++ encode() applies.
//   OUT      JSON array, per string: ids with and without special tokens, and decode() of the
//            former with skip_special_tokens false and true, as hex of the UTF-8 bytes.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [npmDir, family, corpusPath, outPath, vocabPath, mergesPath] = process.argv.slice(2);
const requireFromNpm = createRequire(path.join(path.resolve(npmDir), "package.json"));
const { TokenizerLoader } = requireFromNpm("@lenml/tokenizers");

function load() {
  if (family === "gpt2-files") {
    const vocab = JSON.parse(fs.readFileSync(vocabPath, "utf8"));
    const merges = fs.readFileSync(mergesPath, "utf8").split("\n")
      .filter((l) => l.length > 0 && !l.startsWith("#version"));
    const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
    return TokenizerLoader.fromPreTrained({
      tokenizerJSON: {
        normalizer: null,
        pre_tokenizer: byteLevel,
        post_processor: { ...byteLevel, trim_offsets: false },
        decoder: byteLevel,
        added_tokens: [{ id: vocab["<|endoftext|>"], content: "<|endoftext|>", single_word: false,
                         lstrip: false, rstrip: false, normalized: true, special: true }],
        model: { type: "BPE", vocab, merges, dropout: null, unk_token: null,
                 continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false,
                 byte_fallback: false },
      },
      tokenizerConfig: { tokenizer_class: "GPT2Tokenizer", bos_token: "<|endoftext|>",
                         eos_token: "<|endoftext|>", unk_token: "<|endoftext|>" },
    });
  }
  const dir = path.dirname(requireFromNpm.resolve(`@lenml/tokenizer-${family}/models/tokenizer.json`));
  return TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(dir, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8")),
  });
}

const tokenizer = load();
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const hex = (s) => Buffer.from(s, "utf8").toString("hex");
// transformers.js refuses to decode an empty list; the empty text is the answer.
const decode = (ids, skip) => ids.length === 0 ? "" :
  tokenizer.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false });

const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
const results = corpus.map((h) => {
  const text = decoder.decode(Buffer.from(h, "hex"));
  const ids = tokenizer.encode(text, { add_special_tokens: true });
  return {
    ids,
    ids_plain: tokenizer.encode(text, { add_special_tokens: false }),
    decoded: hex(decode(ids, false)),
    decoded_skip: hex(decode(ids, true)),
  };
});
fs.writeFileSync(outPath, JSON.stringify(results));
