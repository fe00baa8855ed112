//===- TokenSets.cpp - Token sets to evaluate on ----------------*- C++ -*-===//
//
// Text files through the model's own tokenizer, cut into chunks; sequences
// sampled from the reference with the runtime's seeded sampler.
//
//===----------------------------------------------------------------------===//

#include "llmc/Eval/TokenSets.h"

#include "llmc/Eval/HostModel.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace llmc::eval;

std::vector<std::vector<int32_t>>
llmc::eval::splitIntoChunks(llvm::ArrayRef<int32_t> tokens, int64_t ctx,
                            int64_t maxChunks) {
  std::vector<std::vector<int32_t>> chunks;
  for (size_t start = 0; start < tokens.size(); start += size_t(ctx)) {
    if (maxChunks > 0 && int64_t(chunks.size()) == maxChunks)
      break;
    llvm::ArrayRef<int32_t> chunk =
        tokens.slice(start, std::min(size_t(ctx), tokens.size() - start));
    if (chunk.size() < 2)
      break;
    chunks.emplace_back(chunk.begin(), chunk.end());
  }
  return chunks;
}

llvm::Expected<std::string> llmc::eval::readTextFile(llvm::StringRef path) {
  if (llvm::sys::fs::is_directory(path))
    return llvm::createStringError("%s: is a directory", path.str().c_str());
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "%s: cannot read: %s",
                                   path.str().c_str(),
                                   buffer.getError().message().c_str());
  llvm::StringRef text = (*buffer)->getBuffer();
  if (text.trim().empty())
    return llvm::createStringError("%s: the text file is empty",
                                   path.str().c_str());
  return text.str();
}

llvm::Expected<TokenSet>
llmc::eval::textTokenSet(const HostModel &model, llvm::StringRef path,
                         llvm::StringRef text, int64_t ctx, int64_t maxChunks) {
  llvm::Expected<std::vector<int32_t>> tokens =
      model.encode(text, /*addBos=*/true);
  if (!tokens)
    return llvm::createStringError("%s: cannot tokenize: %s",
                                   path.str().c_str(),
                                   llvm::toString(tokens.takeError()).c_str());
  TokenSet set;
  set.kind = "text";
  set.name = path.str();
  set.sequences = splitIntoChunks(*tokens, ctx, maxChunks);
  if (set.sequences.empty())
    return llvm::createStringError("%s: %zu tokens are too few to predict "
                                   "anything",
                                   path.str().c_str(), tokens->size());
  set.description =
      llvm::formatv("{0} tokens (BOS first) in {1} chunks of <= {2}",
                    tokens->size(), set.sequences.size(), ctx)
          .str();
  return set;
}

/// One sequence: BOS, then sampled tokens until `length` or a stop token.
static llvm::Expected<std::vector<int32_t>>
sampleSequence(HostModel &model, llmc_sampler_t *sampler, int32_t bos,
               int32_t eos, int64_t length) {
  std::vector<int32_t> sequence = {bos};
  while (int64_t(sequence.size()) < length) {
    llvm::Expected<llvm::MutableArrayRef<float>> logits =
        model.forward(sequence.back(), int64_t(sequence.size()) - 1);
    if (!logits)
      return logits.takeError();
    // The sampler scales the session's logits in place.
    int32_t next = 0;
    if (llvm::Error err =
            runtimeError(llmc_sampler_sample(sampler, logits->data(), &next)))
      return std::move(err);
    sequence.push_back(next);
    if (next == bos || next == eos)
      break;
  }
  return sequence;
}

llvm::Expected<TokenSet>
llmc::eval::sampleTokenSet(HostModel &model, const SamplingOptions &options) {
  const llmc_tokenizer_t *tokenizer = model.tokenizer();
  int32_t bos = llmc_tokenizer_bos_id(tokenizer);
  int32_t eos = llmc_tokenizer_eos_id(tokenizer);
  if (bos < 0)
    return llvm::createStringError("%s: the vocabulary has no BOS token to "
                                   "start sampled sequences from",
                                   model.name().str().c_str());
  TokenSet set;
  set.kind = "sampled";
  set.name = "sampled";
  set.description =
      llvm::formatv("{0} sequences of <= {1} tokens from BOS, temperature "
                    "{2}, top-p {3}, seeds {4}..{5}",
                    options.count, options.length, options.temperature,
                    options.topP, options.seed,
                    options.seed + uint64_t(options.count) - 1)
          .str();
  for (int64_t k = 0; k < options.count; ++k) {
    llmc_sampler_params_t params = llmc_sampler_params_default();
    params.temperature = options.temperature;
    params.top_p = options.topP;
    params.top_k = 0;
    params.seed = options.seed + uint64_t(k);
    llmc_sampler_t *sampler = nullptr;
    if (llvm::Error err = runtimeError(
            llmc_sampler_create(int32_t(model.vocabSize()), &params,
                                llmc_allocator_system(), &sampler)))
      return std::move(err);
    llvm::Expected<std::vector<int32_t>> sequence =
        sampleSequence(model, sampler, bos, eos, options.length);
    llmc_sampler_release(sampler);
    if (!sequence)
      return sequence.takeError();
    set.sequences.push_back(std::move(*sequence));
  }
  return set;
}
