//===- HuggingFaceReader.cpp - Reader for Hugging Face checkpoints --------===//
//
// A Hugging Face checkpoint directory holds
//   config.json                    model_type and hyper-parameters
//   model.safetensors              the tensors, or shards listed by
//   model.safetensors.index.json   {"weight_map": {tensor: shard file}}
//   tokenizer.json                 the tokenizer (HFTokenizerReader.cpp)
// This reader maps the transformers module names of LlamaForCausalLM,
// Qwen2ForCausalLM and GPT2LMHeadModel to llmc's canonical tensor names:
//
//   llama / qwen2 ("model." prefix optional)   gpt2 ("transformer." optional)
//   embed_tokens.weight      token_embd        wte.weight    token_embd
//                                              wpe.weight    position_embd
//   layers.N.input_layernorm attn_norm         h.N.ln_1      attn_norm (+bias)
//   layers.N.self_attn.q/k/v_proj  attn_q/k/v  h.N.attn.c_attn  split q/k/v
//   layers.N.self_attn.o_proj      attn_output h.N.attn.c_proj  attn_output
//   layers.N.post_attention_layernorm ffn_norm h.N.ln_2      ffn_norm (+bias)
//   layers.N.mlp.gate/up/down_proj ffn_gate/up/down
//                                              h.N.mlp.c_fc/c_proj ffn_up/down
//   norm.weight              output_norm       ln_f          output_norm
//   lm_head.weight           output (untied)   (always tied)
//
// Biases (".bias") follow their weight where present (Qwen2 q/k/v always).
// GPT-2's Conv1D stores weights {in, out}: they are transposed to {out, in}
// and c_attn's {dim, 3 dim} is split into three {dim, dim} matrices; these
// converted tensors, and every BF16 tensor (converted to F32), own their
// bytes. Llama and Qwen2 rotate the two halves of each head.
//
//===----------------------------------------------------------------------===//

#include "llmc/Import/ModelSource.h"

#include "ByteCursor.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace llvm;
using llmc::detail::makeError;

namespace llmc {
namespace {

std::string joinPath(StringRef dir, StringRef name) {
  SmallString<256> path(dir);
  sys::path::append(path, name);
  return std::string(path);
}

Expected<std::unique_ptr<MemoryBuffer>> openFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot open file: " + buffer.getError().message());
  return std::move(*buffer);
}

Expected<json::Value> parseJSONFile(StringRef path, const MemoryBuffer &file) {
  Expected<json::Value> value = json::parse(file.getBuffer());
  if (!value)
    return makeError(path, "bad JSON: " + toString(value.takeError()));
  if (!value->getAsObject())
    return makeError(path, "the top-level JSON value is not an object");
  return value;
}

/// A tensor of the checkpoint with its elements in memory: in place in the
/// mapped shard (F32, F16) or converted (BF16 -> F32).
struct Loaded {
  std::vector<int64_t> shape;
  TensorFormat format;
  StringRef bytes;
  std::shared_ptr<std::vector<char>> owned;
  /// Where it lives, when in place.
  std::string file;
  uint64_t offset = 0;
};

/// One field of config.json: its key, where it goes and, for an optional
/// field, the value used when it is absent or null.
struct IntField {
  StringRef key;
  int64_t *field;
  std::optional<int64_t> fallback;
};
struct FloatField {
  StringRef key;
  float *field;
  float fallback;
};

class HFReader {
public:
  explicit HFReader(StringRef dir) : dir(dir) {}
  Expected<ModelSource> read();

private:
  StringRef dir;
  std::string configPath;
  const json::Object *config = nullptr;
  std::vector<std::unique_ptr<MemoryBuffer>> buffers;
  /// Every tensor of the checkpoint by its name without the module prefix.
  struct Entry {
    SafeTensorInfo info;
    size_t shard;
    std::string shardPath;
  };
  StringMap<Entry> tensors;
  StringSet<> used;
  ModelSource source;

  Error configError(const Twine &message) {
    return makeError(configPath, message);
  }
  Expected<int64_t> getInt(StringRef key);
  Expected<int64_t> getInt(StringRef key, int64_t fallback);
  Expected<float> getFloat(StringRef key, float fallback);
  Expected<bool> getBool(StringRef key, bool fallback);
  int32_t getTokenId(StringRef key);
  Error readFields(ArrayRef<IntField> ints, ArrayRef<FloatField> floats);

  Error readConfig(StringRef modelType);
  Error readShards(StringRef prefix);
  Error addShard(StringRef file, StringRef prefix);
  Expected<Loaded> load(StringRef name);
  Error add(const std::string &canonical, StringRef name, bool optional);
  Error addTransposed(const std::string &canonical, StringRef name);
  Error addConv1DBias(const std::string &canonical, StringRef name);
  Error addFusedQKV(const std::string &prefix, StringRef layer);
  Error mapLlama(bool qkvBias);
  Error mapGPT2();
};

Expected<int64_t> HFReader::getInt(StringRef key) {
  std::optional<int64_t> value = config->getInteger(key);
  if (!value)
    return configError("missing integer \"" + key + "\"");
  return *value;
}

Expected<int64_t> HFReader::getInt(StringRef key, int64_t fallback) {
  const json::Value *value = config->get(key);
  if (!value || value->kind() == json::Value::Null)
    return fallback;
  if (std::optional<int64_t> i = value->getAsInteger())
    return *i;
  return configError("\"" + key + "\" is not an integer");
}

Expected<float> HFReader::getFloat(StringRef key, float fallback) {
  const json::Value *value = config->get(key);
  if (!value || value->kind() == json::Value::Null)
    return fallback;
  if (std::optional<double> d = value->getAsNumber())
    return static_cast<float>(*d);
  return configError("\"" + key + "\" is not a number");
}

Expected<bool> HFReader::getBool(StringRef key, bool fallback) {
  const json::Value *value = config->get(key);
  if (!value || value->kind() == json::Value::Null)
    return fallback;
  if (std::optional<bool> b = value->getAsBoolean())
    return *b;
  return configError("\"" + key + "\" is not a boolean");
}

/// A token id of config.json (the first when it is a list), or -1.
int32_t HFReader::getTokenId(StringRef key) {
  const json::Value *value = config->get(key);
  if (value && value->getAsArray() && !value->getAsArray()->empty())
    value = &value->getAsArray()->front();
  std::optional<int64_t> id = value ? value->getAsInteger() : std::nullopt;
  return id && *id >= 0 && *id <= INT32_MAX ? static_cast<int32_t>(*id) : -1;
}

Error HFReader::readFields(ArrayRef<IntField> ints,
                           ArrayRef<FloatField> floats) {
  for (const IntField &f : ints) {
    Expected<int64_t> value =
        f.fallback ? getInt(f.key, *f.fallback) : getInt(f.key);
    if (!value)
      return value.takeError();
    *f.field = *value;
  }
  for (const FloatField &f : floats) {
    Expected<float> value = getFloat(f.key, f.fallback);
    if (!value)
      return value.takeError();
    *f.field = *value;
  }
  return Error::success();
}

Error HFReader::readConfig(StringRef modelType) {
  ModelConfig &c = source.config;
  c.architecture = modelType.str();
  if (modelType == "gpt2") {
    if (Error err = readFields({{"n_embd", &c.dim, std::nullopt},
                                {"n_layer", &c.numLayers, std::nullopt},
                                {"n_head", &c.numHeads, std::nullopt},
                                {"vocab_size", &c.vocabSize, std::nullopt},
                                {"n_positions", &c.maxSeqLen, std::nullopt},
                                {"n_inner", &c.hiddenDim, 0}},
                               {{"layer_norm_epsilon", &c.rmsNormEps, 1e-5f}}))
      return err;
    if (c.hiddenDim == 0)
      c.hiddenDim = 4 * c.dim; // n_inner null: GPT-2's default
    c.numKVHeads = c.numHeads;
    c.norm = NormKind::Layer;
    c.gatedMLP = false;
    c.rope = RopeKind::None;
    c.learnedPositions = true;
    c.tiedClassifier = true;
    std::string act =
        config->getString("activation_function").value_or("gelu_new").str();
    if (act == "gelu_new" || act == "gelu_pytorch_tanh")
      c.activation = ActivationKind::GELUTanh;
    else if (act == "gelu")
      c.activation = ActivationKind::GELUErf;
    else if (act == "relu")
      c.activation = ActivationKind::ReLU;
    else
      return configError("activation_function \"" + act +
                         "\" is not supported (gelu_new, gelu, relu)");
    for (StringRef key :
         {"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"}) {
      Expected<bool> flag = getBool(key, false);
      if (!flag)
        return flag.takeError();
      if (*flag)
        return configError("\"" + key + "\": true is not supported");
    }
    Expected<bool> scale = getBool("scale_attn_weights", true);
    if (!scale)
      return scale.takeError();
    if (!*scale)
      c.attentionScale = 1.0f;
    return Error::success();
  }

  // llama, qwen2
  if (Error err =
          readFields({{"hidden_size", &c.dim, std::nullopt},
                      {"intermediate_size", &c.hiddenDim, std::nullopt},
                      {"num_hidden_layers", &c.numLayers, std::nullopt},
                      {"num_attention_heads", &c.numHeads, std::nullopt},
                      {"num_key_value_heads", &c.numKVHeads, 0},
                      {"vocab_size", &c.vocabSize, std::nullopt},
                      {"max_position_embeddings", &c.maxSeqLen, std::nullopt}},
                     {{"rms_norm_eps", &c.rmsNormEps, 1e-6f},
                      {"rope_theta", &c.ropeTheta, 10000.0f}}))
    return err;
  if (c.numKVHeads == 0)
    c.numKVHeads = c.numHeads; // no grouped-query attention
  Expected<bool> tied = getBool("tie_word_embeddings", false);
  if (!tied)
    return tied.takeError();
  c.tiedClassifier = *tied;
  c.rope = RopeKind::Halves;
  std::string act = config->getString("hidden_act").value_or("silu").str();
  if (act != "silu")
    return configError("hidden_act \"" + act +
                       "\" is not supported (llmc builds SiLU-gated "
                       "feed-forward layers)");
  if (c.numHeads > 0) {
    Expected<int64_t> headDim = getInt("head_dim", c.dim / c.numHeads);
    if (!headDim)
      return headDim.takeError();
    if (*headDim * c.numHeads != c.dim)
      return configError("head_dim " + Twine(*headDim) +
                         " x num_attention_heads " + Twine(c.numHeads) +
                         " differs from hidden_size " + Twine(c.dim));
  }
  if (const json::Value *scaling = config->get("rope_scaling");
      scaling && scaling->kind() != json::Value::Null)
    return configError("\"rope_scaling\" is not supported (llmc implements "
                       "plain RoPE)");
  Expected<bool> sliding = getBool("use_sliding_window", false);
  if (!sliding)
    return sliding.takeError();
  if (*sliding)
    return configError("\"use_sliding_window\": true is not supported");
  return Error::success();
}

Error HFReader::addShard(StringRef file, StringRef prefix) {
  std::string path = joinPath(dir, file);
  Expected<std::unique_ptr<MemoryBuffer>> buffer = openFile(path);
  if (!buffer)
    return buffer.takeError();
  Expected<std::vector<SafeTensorInfo>> infos =
      readSafeTensors(path, (*buffer)->getMemBufferRef());
  if (!infos)
    return infos.takeError();
  size_t shard = buffers.size();
  buffers.push_back(std::move(*buffer));
  for (SafeTensorInfo &info : *infos) {
    StringRef name = info.name;
    name.consume_front(prefix);
    std::string key = name.str();
    auto [it, inserted] =
        tensors.try_emplace(key, Entry{std::move(info), shard, path});
    if (!inserted)
      return makeError(path, "tensor '" + key + "' is also in " +
                                 it->second.shardPath);
  }
  return Error::success();
}

Error HFReader::readShards(StringRef prefix) {
  std::string indexPath = joinPath(dir, "model.safetensors.index.json");
  if (sys::fs::exists(indexPath)) {
    Expected<std::unique_ptr<MemoryBuffer>> file = openFile(indexPath);
    if (!file)
      return file.takeError();
    Expected<json::Value> index = parseJSONFile(indexPath, **file);
    if (!index)
      return index.takeError();
    const json::Object *map = index->getAsObject()->getObject("weight_map");
    if (!map)
      return makeError(indexPath, "no object \"weight_map\"");
    std::vector<std::string> shardFiles;
    for (const auto &[tensor, file] : *map) {
      std::optional<StringRef> name = file.getAsString();
      if (!name)
        return makeError(indexPath, "the shard of tensor '" + tensor.str() +
                                        "' is not a string");
      if (name->contains('/') || name->contains('\\') || *name == ".." ||
          name->empty())
        return makeError(indexPath, "shard '" + *name +
                                        "' is not a file name in the "
                                        "checkpoint directory");
      shardFiles.push_back(name->str());
    }
    llvm::sort(shardFiles);
    shardFiles.erase(std::unique(shardFiles.begin(), shardFiles.end()),
                     shardFiles.end());
    for (const std::string &shard : shardFiles)
      if (Error err = addShard(shard, prefix))
        return err;
    // Each listed tensor must be where the index says.
    for (const auto &[tensor, file] : *map) {
      StringRef name = tensor;
      name.consume_front(prefix);
      auto it = tensors.find(name);
      if (it == tensors.end() ||
          sys::path::filename(it->second.shardPath) != *file.getAsString())
        return makeError(indexPath, "tensor '" + tensor.str() +
                                        "' is not in its shard '" +
                                        *file.getAsString() + "'");
    }
    return Error::success();
  }
  std::string single = joinPath(dir, "model.safetensors");
  if (!sys::fs::exists(single))
    return makeError(dir, "no model.safetensors or "
                          "model.safetensors.index.json in the checkpoint "
                          "directory");
  return addShard("model.safetensors", prefix);
}

Expected<Loaded> HFReader::load(StringRef name) {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return makeError(dir, "missing tensor '" + name + "'");
  used.insert(name);
  const Entry &entry = it->second;
  Loaded out;
  out.shape = entry.info.shape;
  out.bytes = buffers[entry.shard]->getBuffer().substr(entry.info.offset,
                                                       entry.info.size);
  out.file = entry.shardPath;
  out.offset = entry.info.offset;
  StringRef dtype = entry.info.dtype;
  if (dtype == "F32") {
    out.format = TensorFormat::F32;
  } else if (dtype == "F16") {
    out.format = TensorFormat::F16;
  } else if (dtype == "BF16") {
    // bfloat16 is the high half of an IEEE float: exact in F32.
    size_t n = out.bytes.size() / 2;
    auto owned = std::make_shared<std::vector<char>>(n * 4);
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits =
          uint32_t(support::endian::read16le(out.bytes.data() + 2 * i)) << 16;
      support::endian::write32le(owned->data() + 4 * i, bits);
    }
    out.format = TensorFormat::F32;
    out.owned = owned;
    out.bytes = StringRef(owned->data(), owned->size());
  } else {
    return makeError(entry.shardPath, "tensor '" + entry.info.name +
                                          "' has dtype " + dtype +
                                          " (llmc reads F32, F16 and BF16)");
  }
  return out;
}

/// The TensorRef of \p loaded under \p canonical with \p shape.
TensorRef makeRef(const std::string &canonical, const Loaded &loaded) {
  TensorRef t;
  t.name = canonical;
  t.shape = loaded.shape;
  t.format = loaded.format;
  t.size = loaded.bytes.size();
  if (loaded.owned) {
    t.data = loaded.owned;
  } else {
    t.file = loaded.file;
    t.offset = loaded.offset;
  }
  return t;
}

/// Bytes of elements of \p loaded gathered into a new owned buffer: element
/// (r, c) of the {rows, cols} result is element src(r, c) of the input.
template <typename Index>
std::shared_ptr<std::vector<char>> gather(const Loaded &loaded, int64_t rows,
                                          int64_t cols, Index src) {
  size_t elem = loaded.format == TensorFormat::F32 ? 4 : 2;
  auto out = std::make_shared<std::vector<char>>(rows * cols * elem);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      std::memcpy(out->data() + (r * cols + c) * elem,
                  loaded.bytes.data() + src(r, c) * elem, elem);
  return out;
}

Error HFReader::add(const std::string &canonical, StringRef name,
                    bool optional) {
  if (optional && !tensors.count(name))
    return Error::success();
  Expected<Loaded> loaded = load(name);
  if (!loaded)
    return loaded.takeError();
  source.tensors.push_back(makeRef(canonical, *loaded));
  return Error::success();
}

/// GPT-2 Conv1D weight {in, out} -> {out, in}.
Error HFReader::addTransposed(const std::string &canonical, StringRef name) {
  Expected<Loaded> loaded = load(name);
  if (!loaded)
    return loaded.takeError();
  if (loaded->shape.size() != 2)
    return makeError(tensors.find(name)->second.shardPath,
                     "Conv1D weight '" + name + "' has rank " +
                         Twine(loaded->shape.size()) + ", expected 2");
  int64_t in = loaded->shape[0], out = loaded->shape[1];
  loaded->owned = gather(*loaded, out, in,
                         [&](int64_t r, int64_t c) { return c * out + r; });
  loaded->bytes = StringRef(loaded->owned->data(), loaded->owned->size());
  loaded->shape = {out, in};
  source.tensors.push_back(makeRef(canonical, *loaded));
  return Error::success();
}

Error HFReader::addConv1DBias(const std::string &canonical, StringRef name) {
  return add(canonical, name, /*optional=*/true);
}

/// GPT-2's c_attn: weight {dim, 3 dim} and bias {3 dim}, Q then K then V
/// along the output axis.
Error HFReader::addFusedQKV(const std::string &prefix, StringRef layer) {
  std::string weightName = (layer + "attn.c_attn.weight").str();
  Expected<Loaded> w = load(weightName);
  if (!w)
    return w.takeError();
  int64_t dim = source.config.dim;
  if (w->shape != std::vector<int64_t>{dim, 3 * dim})
    return makeError(tensors.find(weightName)->second.shardPath,
                     "tensor '" + weightName + "' has shape [" +
                         Twine(w->shape.size() ? w->shape[0] : 0) + ", " +
                         Twine(w->shape.size() > 1 ? w->shape[1] : 0) +
                         "], expected [" + Twine(dim) + ", " + Twine(3 * dim) +
                         "] (n_embd " + Twine(dim) + ")");
  static const char *parts[] = {"attn_q", "attn_k", "attn_v"};
  for (int64_t p = 0; p < 3; ++p) {
    Loaded part = *w;
    part.owned = gather(*w, dim, dim, [&](int64_t r, int64_t c) {
      return c * 3 * dim + p * dim + r;
    });
    part.bytes = StringRef(part.owned->data(), part.owned->size());
    part.shape = {dim, dim};
    source.tensors.push_back(makeRef(prefix + parts[p] + ".weight", part));
  }
  std::string biasName = (layer + "attn.c_attn.bias").str();
  if (!tensors.count(biasName))
    return Error::success();
  Expected<Loaded> b = load(biasName);
  if (!b)
    return b.takeError();
  if (b->shape != std::vector<int64_t>{3 * dim})
    return makeError(tensors.find(biasName)->second.shardPath,
                     "tensor '" + biasName + "' does not have shape [" +
                         Twine(3 * dim) + "]");
  for (int64_t p = 0; p < 3; ++p) {
    Loaded part = *b;
    part.owned =
        gather(*b, 1, dim, [&](int64_t, int64_t c) { return p * dim + c; });
    part.bytes = StringRef(part.owned->data(), part.owned->size());
    part.shape = {dim};
    source.tensors.push_back(makeRef(prefix + parts[p] + ".bias", part));
  }
  return Error::success();
}

Error HFReader::mapLlama(bool qkvBias) {
  const ModelConfig &c = source.config;
  if (Error err = add("token_embd.weight", "embed_tokens.weight", false))
    return err;
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string hf = "layers." + std::to_string(l) + ".";
    std::string p = "blk." + std::to_string(l) + ".";
    struct {
      const char *canonical, *name;
      bool hasBias;
    } map[] = {{"attn_norm", "input_layernorm", false},
               {"attn_q", "self_attn.q_proj", true},
               {"attn_k", "self_attn.k_proj", true},
               {"attn_v", "self_attn.v_proj", true},
               {"attn_output", "self_attn.o_proj", true},
               {"ffn_norm", "post_attention_layernorm", false},
               {"ffn_gate", "mlp.gate_proj", true},
               {"ffn_down", "mlp.down_proj", true},
               {"ffn_up", "mlp.up_proj", true}};
    for (const auto &m : map) {
      if (Error err =
              add(p + m.canonical + ".weight", hf + m.name + ".weight", false))
        return err;
      if (!m.hasBias)
        continue;
      bool required = qkvBias && StringRef(m.canonical).starts_with("attn_") &&
                      StringRef(m.canonical) != "attn_output";
      if (Error err =
              add(p + m.canonical + ".bias", hf + m.name + ".bias", !required))
        return err;
    }
  }
  if (Error err = add("output_norm.weight", "norm.weight", false))
    return err;
  if (!c.tiedClassifier) {
    if (!tensors.count("lm_head.weight"))
      return makeError(dir, "missing tensor 'lm_head.weight' "
                            "(tie_word_embeddings is false)");
    if (Error err = add("output.weight", "lm_head.weight", false))
      return err;
  } else {
    used.insert("lm_head.weight"); // a tied copy some exporters keep
  }
  return Error::success();
}

Error HFReader::mapGPT2() {
  const ModelConfig &c = source.config;
  if (Error err = add("token_embd.weight", "wte.weight", false))
    return err;
  if (Error err = add("position_embd.weight", "wpe.weight", false))
    return err;
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string hf = "h." + std::to_string(l) + ".";
    std::string p = "blk." + std::to_string(l) + ".";
    for (auto [canonical, name] :
         {std::pair<const char *, const char *>{"attn_norm", "ln_1"},
          {"ffn_norm", "ln_2"}}) {
      if (Error err =
              add(p + canonical + ".weight", hf + name + ".weight", false))
        return err;
      if (Error err = add(p + canonical + ".bias", hf + name + ".bias", true))
        return err;
    }
    if (Error err = addFusedQKV(p, hf))
      return err;
    for (auto [canonical, name] :
         {std::pair<const char *, const char *>{"attn_output", "attn.c_proj"},
          {"ffn_up", "mlp.c_fc"},
          {"ffn_down", "mlp.c_proj"}}) {
      if (Error err =
              addTransposed(p + canonical + ".weight", hf + name + ".weight"))
        return err;
      if (Error err =
              addConv1DBias(p + canonical + ".bias", hf + name + ".bias"))
        return err;
    }
    // The causal-mask buffers older exports save.
    used.insert(hf + "attn.bias");
    used.insert(hf + "attn.masked_bias");
  }
  if (Error err = add("output_norm.weight", "ln_f.weight", false))
    return err;
  if (Error err = add("output_norm.bias", "ln_f.bias", true))
    return err;
  used.insert("lm_head.weight"); // GPT2LMHeadModel ties it to wte
  return Error::success();
}

Expected<ModelSource> HFReader::read() {
  source.path = dir.str();
  source.sourceFormat = SourceFormat::SafeTensors;
  configPath = joinPath(dir, "config.json");
  if (!sys::fs::exists(configPath))
    return makeError(dir, "no config.json (a Hugging Face checkpoint "
                          "directory holds config.json, tokenizer.json and "
                          "model.safetensors)");
  Expected<std::unique_ptr<MemoryBuffer>> configFile = openFile(configPath);
  if (!configFile)
    return configFile.takeError();
  Expected<json::Value> configValue = parseJSONFile(configPath, **configFile);
  if (!configValue)
    return configValue.takeError();
  config = configValue->getAsObject();
  std::optional<StringRef> modelType = config->getString("model_type");
  if (!modelType)
    return configError("no string \"model_type\"");
  bool gpt2 = *modelType == "gpt2";
  if (*modelType != "llama" && *modelType != "qwen2" && !gpt2)
    return configError("model_type \"" + *modelType +
                       "\" is not supported (llama, qwen2, gpt2)");
  if (Error err = readConfig(*modelType))
    return std::move(err);
  if (Error err = validateModelConfig(configPath, source.config))
    return std::move(err);

  std::string tokenizerPath = joinPath(dir, "tokenizer.json");
  if (!sys::fs::exists(tokenizerPath))
    return makeError(dir, "no tokenizer.json in the checkpoint directory");
  Expected<std::unique_ptr<MemoryBuffer>> tokFile = openFile(tokenizerPath);
  if (!tokFile)
    return tokFile.takeError();
  Expected<TokenizerData> tokenizer = readHFTokenizer(
      tokenizerPath, (*tokFile)->getBuffer(), source.config.vocabSize,
      getTokenId("bos_token_id"), getTokenId("eos_token_id"));
  if (!tokenizer)
    return tokenizer.takeError();
  source.tokenizer = std::move(*tokenizer);
  source.hasTokenizer = true;

  if (Error err = readShards(gpt2 ? "transformer." : "model."))
    return std::move(err);
  if (Error err = gpt2 ? mapGPT2() : mapLlama(*modelType == "qwen2"))
    return std::move(err);
  // Report the first unexpected tensor by name (StringMap is unordered).
  const Entry *unexpected = nullptr;
  for (const auto &entry : tensors)
    if (!used.contains(entry.getKey()) &&
        !entry.getKey().ends_with("rotary_emb.inv_freq") &&
        (!unexpected || entry.getValue().info.name < unexpected->info.name))
      unexpected = &entry.getValue();
  if (unexpected)
    return makeError(unexpected->shardPath,
                     "unexpected tensor '" + unexpected->info.name +
                         "' (not part of a " + *modelType + " model with " +
                         Twine(source.config.numLayers) + " layers)");
  if (Error err = validateModelSource(source))
    return std::move(err);
  return std::move(source);
}

} // namespace

Expected<ModelSource> readHuggingFace(StringRef dir) {
  return HFReader(dir).read();
}

} // namespace llmc
