// Tests of sessions and the generation loop with the fake compiled model.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_model.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"
#include "runtime_test_util.h"

namespace {

using llmc_test::Buffer;
using llmc_test::Consume;
using llmc_test::SamplerPtr;
using llmc_test::SessionPtr;
using llmc_test::StatusInfo;
using llmc_test::TestAllocator;
using llmc_test::TokenizerPtr;
using llmc_test::WeightsPtr;

/// What the callback saw.
struct Transcript {
  std::string text;
  std::vector<llmc_generate_event_t> events;
  int cancel_after = -1; ///< Return CANCELLED after this many events.
};

llmc_status_t Record(void *user_data, const llmc_generate_event_t *event) {
  auto *transcript = static_cast<Transcript *>(user_data);
  transcript->text.append(event->piece.data, event->piece.size);
  transcript->events.push_back(*event);
  if (transcript->cancel_after >= 0 &&
      static_cast<int>(transcript->events.size()) >= transcript->cancel_after)
    return llmc_status_make(LLMC_STATUS_CANCELLED, "stop requested");
  return LLMC_OK;
}

class SessionTest : public ::testing::Test {
protected:
  void SetUp() override {
    file_ = llmc_test::FakeModelFile(&file_size_);
    if (!file_)
      GTEST_SKIP() << "missing " << llmc_test::Tok512Path();
    llmc_weights_t *weights = nullptr;
    LLMC_ASSERT_OK(llmc_weights_open_memory(
        file_.get(), file_size_, "fake.llmw", allocator_.get(), &weights));
    weights_.reset(weights);
    model_ = llmc_test::FakeModel();
    llmc_session_t *session = nullptr;
    LLMC_ASSERT_OK(
        llmc_session_create(&model_, weights, allocator_.get(), &session));
    session_.reset(session);
    llmc_tokenizer_t *tokenizer = nullptr;
    LLMC_ASSERT_OK(llmc_tokenizer_create_from_weights(
        weights, FAKE_MODEL_VOCAB_SIZE, allocator_.get(), &tokenizer));
    tokenizer_.reset(tokenizer);
  }
  void TearDown() override {
    session_.reset();
    tokenizer_.reset();
    weights_.reset();
    EXPECT_EQ(allocator_.live(), 0);
  }
  SamplerPtr Sampler(float temperature, uint64_t seed = 1) {
    llmc_sampler_params_t params = llmc_sampler_params_default();
    params.temperature = temperature;
    params.seed = seed;
    llmc_sampler_t *sampler = nullptr;
    EXPECT_TRUE(llmc_test::IsOk(llmc_sampler_create(
        FAKE_MODEL_VOCAB_SIZE, &params, allocator_.get(), &sampler)));
    return SamplerPtr(sampler);
  }
  StatusInfo Generate(const std::string &prompt, int64_t steps,
                      llmc_sampler_t *sampler, Transcript *transcript,
                      llmc_generate_stats_t *stats) {
    return Consume(llmc_generate(session_.get(), tokenizer_.get(), sampler,
                                 prompt.data(), prompt.size(), steps, Record,
                                 transcript, stats));
  }

  TestAllocator allocator_;
  Buffer file_;
  size_t file_size_ = 0;
  llmc_compiled_model_t model_;
  WeightsPtr weights_;
  SessionPtr session_;
  TokenizerPtr tokenizer_;
};

TEST_F(SessionTest, ModelInfo) {
  const llmc_model_info_t *info = llmc_session_model_info(session_.get());
  EXPECT_EQ(info->abi_version, 2);
  EXPECT_EQ(info->prefill_chunk, FAKE_MODEL_PREFILL_CHUNK);
  EXPECT_EQ(info->model_id, FAKE_MODEL_ID);
  EXPECT_EQ(info->dim, FAKE_MODEL_DIM);
  EXPECT_EQ(info->vocab_size, FAKE_MODEL_VOCAB_SIZE);
  EXPECT_EQ(info->n_layers, FAKE_MODEL_N_LAYERS);
  EXPECT_EQ(info->max_seq_len, FAKE_MODEL_MAX_SEQ_LEN);
  EXPECT_EQ(info->weights_data_size, FAKE_MODEL_DATA_SIZE);
  EXPECT_EQ(info->kv_cache_bytes, FAKE_MODEL_KV_CACHE_BYTES);
  EXPECT_EQ(info->arena_bytes, FAKE_MODEL_ARENA_BYTES);
  EXPECT_EQ(info->gathered_bytes, 0); // The fake model reports none.
  EXPECT_EQ(llmc_session_weights(session_.get()), weights_.get());
}

TEST_F(SessionTest, GreedyGenerationTellsTheStory) {
  SamplerPtr sampler = Sampler(0.0f);
  Transcript transcript;
  llmc_generate_stats_t stats;
  ASSERT_EQ(
      Generate("Once upon a time", 256, sampler.get(), &transcript, &stats)
          .code,
      LLMC_STATUS_OK);
  EXPECT_EQ(transcript.text, LLMW_FIXTURE_STORY);
  EXPECT_EQ(stats.prompt_tokens, 5);
  EXPECT_EQ(stats.stop_token, 2); // EOS ends it.
  // Every position but the last ran once; the last sampled EOS.
  EXPECT_EQ(stats.forward_calls,
            static_cast<int64_t>(transcript.events.size()) + 1);
  EXPECT_EQ(stats.sampled_tokens, stats.forward_calls - 4);
  // The prompt pieces are forced; positions count from the first piece.
  ASSERT_GE(transcript.events.size(), 5u);
  EXPECT_TRUE(transcript.events[0].forced);
  EXPECT_EQ(transcript.events[0].prev_token, 1);
  EXPECT_EQ(transcript.events[0].token, 403);
  EXPECT_EQ(transcript.events[0].pos, 1);
  EXPECT_EQ(std::string(transcript.events[0].piece.data,
                        transcript.events[0].piece.size),
            "Once");
  EXPECT_TRUE(transcript.events[3].forced);
  EXPECT_FALSE(transcript.events[4].forced);
  for (size_t i = 1; i < transcript.events.size(); ++i)
    EXPECT_EQ(transcript.events[i].prev_token, transcript.events[i - 1].token);
}

TEST_F(SessionTest, StepsCountThePrompt) {
  SamplerPtr sampler = Sampler(0.0f);
  Transcript transcript;
  llmc_generate_stats_t stats;
  // 3 positions: BOS, " Once", " upon" run; pieces "Once", " upon", " a".
  ASSERT_EQ(
      Generate("Once upon a time", 3, sampler.get(), &transcript, &stats).code,
      LLMC_STATUS_OK);
  EXPECT_EQ(transcript.text, "Once upon a");
  EXPECT_EQ(stats.forward_calls, 3);
  EXPECT_EQ(stats.sampled_tokens, 0);
  EXPECT_EQ(stats.stop_token, -1);
  // 7 positions: the prompt and 3 sampled tokens.
  Transcript longer;
  ASSERT_EQ(
      Generate("Once upon a time", 7, sampler.get(), &longer, &stats).code,
      LLMC_STATUS_OK);
  EXPECT_EQ(longer.text, "Once upon a time, there was");
  EXPECT_EQ(stats.sampled_tokens, 3);
}

TEST_F(SessionTest, StepsAreClampedToMaxSeqLen) {
  SamplerPtr sampler = Sampler(0.0f);
  // Off the script, the bigram table loops; only max_seq_len stops it.
  for (int64_t steps : {int64_t{0}, int64_t{1000}}) {
    Transcript transcript;
    llmc_generate_stats_t stats;
    ASSERT_EQ(Generate("Once upon a time, there was a time", steps,
                       sampler.get(), &transcript, &stats)
                  .code,
              LLMC_STATUS_OK);
    EXPECT_EQ(stats.forward_calls, FAKE_MODEL_MAX_SEQ_LEN);
    EXPECT_EQ(stats.stop_token, -1);
  }
}

TEST_F(SessionTest, SeededSamplingIsReproducible) {
  std::string texts[3];
  uint64_t seeds[3] = {42, 42, 43};
  for (int i = 0; i < 3; ++i) {
    SamplerPtr sampler = Sampler(2.0f, seeds[i]);
    Transcript transcript;
    llmc_generate_stats_t stats;
    ASSERT_EQ(Generate("Once", 40, sampler.get(), &transcript, &stats).code,
              LLMC_STATUS_OK);
    texts[i] = transcript.text;
  }
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_NE(texts[0], texts[2]);
}

TEST_F(SessionTest, CallbackCanCancel) {
  SamplerPtr sampler = Sampler(0.0f);
  Transcript transcript;
  transcript.cancel_after = 2;
  llmc_generate_stats_t stats;
  StatusInfo info =
      Generate("Once upon a time", 256, sampler.get(), &transcript, &stats);
  EXPECT_EQ(info.code, LLMC_STATUS_CANCELLED);
  EXPECT_EQ(info.message, "stop requested");
  EXPECT_EQ(transcript.events.size(), 2u);
  // The prompt runs through prefill before its tokens are reported.
  EXPECT_EQ(stats.forward_calls, stats.prompt_tokens);
}

TEST_F(SessionTest, EmptyPromptStartsFromBos) {
  SamplerPtr sampler = Sampler(0.0f);
  Transcript transcript;
  llmc_generate_stats_t stats;
  ASSERT_EQ(Generate("", 256, sampler.get(), &transcript, &stats).code,
            LLMC_STATUS_OK);
  EXPECT_EQ(stats.prompt_tokens, 1);
  EXPECT_EQ(transcript.text, LLMW_FIXTURE_STORY);
}

TEST_F(SessionTest, ForwardChecksTokenAndPosition) {
  float *logits = nullptr;
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), 512, 0, &logits)).code,
            LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), -1, 0, &logits)).code,
            LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), 1, -1, &logits)).code,
            LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), 1,
                                         FAKE_MODEL_MAX_SEQ_LEN, &logits))
                .code,
            LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), 1, 1, &logits)).code,
            LLMC_STATUS_FAILED_PRECONDITION);
  LLMC_ASSERT_OK(llmc_session_forward(session_.get(), 1, 0, &logits));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(logits) % 64, 0u);
  EXPECT_EQ(llmc_argmax(logits, FAKE_MODEL_VOCAB_SIZE), 403); // " Once"
  LLMC_ASSERT_OK(llmc_session_forward(session_.get(), 403, 1, &logits));
  // Re-running an earlier position is allowed.
  LLMC_ASSERT_OK(llmc_session_forward(session_.get(), 1, 0, &logits));
  EXPECT_EQ(Consume(llmc_session_forward(session_.get(), 1, 2, &logits)).code,
            LLMC_STATUS_FAILED_PRECONDITION);
}

TEST_F(SessionTest, ComputeLogitsMatchesForward) {
  const std::vector<int32_t> tokens = {1, 403, 407, 261, 378};
  std::vector<float> logits(tokens.size() * FAKE_MODEL_VOCAB_SIZE);
  LLMC_ASSERT_OK(llmc_session_compute_logits(session_.get(), tokens.data(),
                                             tokens.size(), logits.data()));
  // Position i predicts tokens[i + 1].
  for (size_t i = 0; i + 1 < tokens.size(); ++i)
    EXPECT_EQ(
        llmc_argmax(&logits[i * FAKE_MODEL_VOCAB_SIZE], FAKE_MODEL_VOCAB_SIZE),
        tokens[i + 1]);
  EXPECT_EQ(
      llmc_argmax(&logits[4 * FAKE_MODEL_VOCAB_SIZE], FAKE_MODEL_VOCAB_SIZE),
      432); // ","
  std::vector<int32_t> too_many(FAKE_MODEL_MAX_SEQ_LEN + 1, 5);
  std::vector<float> big(too_many.size() * FAKE_MODEL_VOCAB_SIZE);
  EXPECT_EQ(Consume(llmc_session_compute_logits(session_.get(), too_many.data(),
                                                too_many.size(), big.data()))
                .code,
            LLMC_STATUS_OUT_OF_RANGE);
  const int32_t bad[] = {1, 9999};
  EXPECT_EQ(
      Consume(llmc_session_compute_logits(session_.get(), bad, 2, big.data()))
          .code,
      LLMC_STATUS_OUT_OF_RANGE);
}

TEST_F(SessionTest, MismatchedSamplerOrTokenizer) {
  llmc_sampler_params_t params = llmc_sampler_params_default();
  llmc_sampler_t *sampler = nullptr;
  LLMC_ASSERT_OK(
      llmc_sampler_create(100, &params, llmc_allocator_system(), &sampler));
  SamplerPtr owner(sampler);
  Transcript transcript;
  llmc_generate_stats_t stats;
  EXPECT_EQ(Generate("Once", 10, sampler, &transcript, &stats).code,
            LLMC_STATUS_INVALID_ARGUMENT);
}

//===----------------------------------------------------------------------===//
// Session creation failures
//===----------------------------------------------------------------------===//

void InfoBadAbi(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_ABI_VERSION] = 1; // A model compiled before v2.
}
void InfoNoPrefillChunk(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_PREFILL_CHUNK] = 0;
}
void InfoOtherModel(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_MODEL_ID] = 12345;
}
void InfoZeroVocab(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_VOCAB_SIZE] = 0;
}
void InfoNegativeArena(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_ARENA_BYTES] = -64;
}
void InfoReadsTooMuch(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_WEIGHTS_DATA_SIZE] = FAKE_MODEL_DATA_SIZE + 1;
}

void InfoGatheredTablesTooLarge(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_GATHERED_BYTES] = FAKE_MODEL_DATA_SIZE + 1;
}
void InfoGatheredRowTooLarge(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_GATHERED_BYTES] = 64;
  out[LLMC_MODEL_INFO_GATHERED_ROW_BYTES] = 65;
}
void InfoGatheredTables(int64_t *out) {
  llmc_model_info(out);
  out[LLMC_MODEL_INFO_GATHERED_BYTES] = 64;
  out[LLMC_MODEL_INFO_GATHERED_ROW_BYTES] = 8;
}

class SessionCreateTest : public ::testing::Test {
protected:
  void SetUp() override {
    file_ = llmc_test::FakeModelFile(&file_size_);
    if (!file_)
      GTEST_SKIP() << "missing " << llmc_test::Tok512Path();
  }
  StatusInfo Create(llmc_model_info_fn_t info, const uint8_t *bytes) {
    llmc_weights_t *weights = nullptr;
    llmc_status_t status = llmc_weights_open_memory(
        bytes, file_size_, "fake.llmw", llmc_allocator_system(), &weights);
    if (status)
      return Consume(status);
    WeightsPtr owner(weights);
    llmc_compiled_model_t model = {info, llmc_model_forward,
                                   llmc_model_prefill};
    llmc_session_t *session = nullptr;
    status =
        llmc_session_create(&model, weights, llmc_allocator_system(), &session);
    llmc_session_release(session);
    return Consume(status);
  }
  Buffer file_;
  size_t file_size_ = 0;
};

TEST_F(SessionCreateTest, AbiVersionMismatch) {
  StatusInfo info = Create(InfoBadAbi, file_.get());
  EXPECT_EQ(info.code, LLMC_STATUS_MODEL_MISMATCH);
  EXPECT_NE(info.message.find("ABI version 1, this runtime supports version 2"),
            std::string::npos)
      << info.message;
}

TEST_F(SessionCreateTest, PrefillNeedsAChunk) {
  // The fake model has a prefill entry, so it must take >= 1 token per call.
  StatusInfo info = Create(InfoNoPrefillChunk, file_.get());
  EXPECT_EQ(info.code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_NE(info.message.find("prefill_chunk 0"), std::string::npos)
      << info.message;
}

TEST_F(SessionCreateTest, ModelIdMismatch) {
  StatusInfo info = Create(InfoOtherModel, file_.get());
  EXPECT_EQ(info.code, LLMC_STATUS_MODEL_MISMATCH);
  EXPECT_NE(info.message.find("fake.llmw: model_id"), std::string::npos)
      << info.message;
}

TEST_F(SessionCreateTest, BadDescriptions) {
  EXPECT_EQ(Create(InfoZeroVocab, file_.get()).code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_EQ(Create(InfoNegativeArena, file_.get()).code,
            LLMC_STATUS_FORMAT_ERROR);
  EXPECT_EQ(Create(InfoReadsTooMuch, file_.get()).code,
            LLMC_STATUS_MODEL_MISMATCH);
}

TEST_F(SessionCreateTest, GatheredTableSizes) {
  // Tables read one row per token lie within the weights, rows within them.
  StatusInfo tables = Create(InfoGatheredTablesTooLarge, file_.get());
  EXPECT_EQ(tables.code, LLMC_STATUS_FORMAT_ERROR);
  EXPECT_NE(tables.message.find("gathered_bytes"), std::string::npos)
      << tables.message;
  EXPECT_EQ(Create(InfoGatheredRowTooLarge, file_.get()).code,
            LLMC_STATUS_FORMAT_ERROR);
  EXPECT_EQ(Create(InfoGatheredTables, file_.get()).code, LLMC_STATUS_OK);
  llmc_compiled_model_t model = {InfoGatheredTables, llmc_model_forward,
                                 llmc_model_prefill};
  llmc_model_info_t info;
  llmc_status_t status = llmc_compiled_model_query_info(&model, &info);
  ASSERT_EQ(status, nullptr) << llmc_status_message(status);
  EXPECT_EQ(info.gathered_bytes, 64);
  EXPECT_EQ(info.gathered_row_bytes, 8);
}

TEST_F(SessionCreateTest, MisalignedWeightsInMemory) {
  std::vector<uint8_t> storage(file_size_ + 64);
  uint8_t *base = storage.data();
  while (reinterpret_cast<uintptr_t>(base) % 64 != 8)
    ++base;
  std::memcpy(base, file_.get(), file_size_);
  EXPECT_EQ(Create(llmc_model_info, base).code,
            LLMC_STATUS_FAILED_PRECONDITION);
}

TEST_F(SessionCreateTest, NullModelFunctions) {
  llmc_weights_t *weights = nullptr;
  LLMC_ASSERT_OK(llmc_weights_open_memory(file_.get(), file_size_, "fake",
                                          llmc_allocator_system(), &weights));
  WeightsPtr owner(weights);
  llmc_compiled_model_t model = {nullptr, llmc_model_forward, nullptr};
  llmc_session_t *session = nullptr;
  EXPECT_EQ(Consume(llmc_session_create(&model, weights,
                                        llmc_allocator_system(), &session))
                .code,
            LLMC_STATUS_INVALID_ARGUMENT);
}

TEST_F(SessionCreateTest, SessionKeepsWeightsAlive) {
  llmc_weights_t *weights = nullptr;
  TestAllocator allocator;
  LLMC_ASSERT_OK(llmc_weights_open_memory(file_.get(), file_size_, "fake",
                                          allocator.get(), &weights));
  llmc_compiled_model_t model = llmc_test::FakeModel();
  llmc_session_t *session = nullptr;
  LLMC_ASSERT_OK(
      llmc_session_create(&model, weights, allocator.get(), &session));
  llmc_weights_release(weights); // The session still holds it.
  float *logits = nullptr;
  LLMC_EXPECT_OK(llmc_session_forward(session, 1, 0, &logits));
  llmc_session_release(session);
  EXPECT_EQ(allocator.live(), 0);
}

TEST_F(SessionCreateTest, AllocationFailuresEverywhere) {
  // Whole pipeline under an allocator that fails after n allocations.
  for (int fail_after = 0;; ++fail_after) {
    TestAllocator allocator;
    allocator.FailAfter(fail_after);
    llmc_weights_t *weights = nullptr;
    llmc_session_t *session = nullptr;
    llmc_tokenizer_t *tokenizer = nullptr;
    llmc_sampler_t *sampler = nullptr;
    llmc_compiled_model_t model = llmc_test::FakeModel();
    llmc_sampler_params_t params = llmc_sampler_params_default();
    llmc_status_t status = llmc_weights_open_memory(
        file_.get(), file_size_, "fake", allocator.get(), &weights);
    if (!status)
      status = llmc_session_create(&model, weights, allocator.get(), &session);
    if (!status)
      status = llmc_tokenizer_create_from_weights(weights, 0, allocator.get(),
                                                  &tokenizer);
    if (!status)
      status = llmc_sampler_create(FAKE_MODEL_VOCAB_SIZE, &params,
                                   allocator.get(), &sampler);
    if (!status)
      status = llmc_generate(session, tokenizer, sampler, "Once upon", 9, 20,
                             nullptr, nullptr, nullptr);
    llmc_sampler_release(sampler);
    llmc_tokenizer_release(tokenizer);
    llmc_session_release(session);
    llmc_weights_release(weights);
    EXPECT_EQ(allocator.live(), 0) << fail_after;
    if (status == LLMC_OK)
      break;
    EXPECT_EQ(Consume(status).code, LLMC_STATUS_RESOURCE_EXHAUSTED);
    ASSERT_LT(fail_after, 40);
  }
}

} // namespace

TEST_F(SessionTest, PrefillMatchesForwardAndChecksArguments) {
  // 7 tokens: the fake model's prefill entry takes 3 per call, so the
  // session makes calls of 3, 3 and 1.
  const std::vector<int32_t> tokens = {1, 403, 407, 261, 378, 432, 541 % 512};
  std::vector<float> expected(tokens.size() * FAKE_MODEL_VOCAB_SIZE);
  LLMC_ASSERT_OK(llmc_session_compute_logits(session_.get(), tokens.data(),
                                             tokens.size(), expected.data()));
  float *logits = nullptr;
  LLMC_ASSERT_OK(llmc_session_prefill(session_.get(), tokens.data(),
                                      tokens.size(), 0, &logits));
  const float *last = &expected[(tokens.size() - 1) * FAKE_MODEL_VOCAB_SIZE];
  for (int i = 0; i < FAKE_MODEL_VOCAB_SIZE; ++i)
    ASSERT_EQ(logits[i], last[i]) << "logit " << i;
  // The cache is intact: decoding continues at the next position.
  LLMC_ASSERT_OK(llmc_session_forward(
      session_.get(), 5, static_cast<int64_t>(tokens.size()), &logits));
  EXPECT_NE(logits[0], 1000.0f);

  EXPECT_EQ(Consume(llmc_session_prefill(session_.get(), tokens.data(), 0, 0,
                                         &logits))
                .code,
            LLMC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(Consume(llmc_session_prefill(session_.get(), tokens.data(), 2,
                                         FAKE_MODEL_MAX_SEQ_LEN - 1, &logits))
                .code,
            LLMC_STATUS_OUT_OF_RANGE);
  const int32_t bad[] = {1, 9999};
  EXPECT_EQ(
      Consume(llmc_session_prefill(session_.get(), bad, 2, 0, &logits)).code,
      LLMC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(Consume(llmc_session_prefill(session_.get(), tokens.data(), 1, 20,
                                         &logits))
                .code,
            LLMC_STATUS_FAILED_PRECONDITION);
}
