// Tests of the llmc-run command line (llmc_run_cli) with the fake model.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "fake_model.h"
#include "llmc/cli.h"
#include "llmc/runtime.h"
#include "llmw_fixture.h"
#include "runtime_test_util.h"

namespace {

/// Result of one llmc_run_cli call.
struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

std::string ReadAll(FILE *file) {
  std::string text;
  std::rewind(file);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0)
    text.append(buffer, n);
  std::fclose(file);
  return text;
}

class CliTest : public ::testing::Test {
protected:
  void SetUp() override {
    size_t size = 0;
    llmc_test::Buffer file = llmc_test::FakeModelFile(&size);
    if (!file)
      GTEST_SKIP() << "missing " << llmc_test::Tok512Path();
    char dir_template[] = "/tmp/llmc-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    weights_ = dir_ + "/fake.llmw";
    ASSERT_EQ(llmw_fixture_write_file(weights_.c_str(), file.get(), size), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) {
      unlink(weights_.c_str());
      rmdir(dir_.c_str());
    }
  }
  CliResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), "llmc-run");
    std::vector<char *> argv;
    for (std::string &arg : args)
      argv.push_back(&arg[0]);
    argv.push_back(nullptr);
    FILE *out = std::tmpfile();
    FILE *err = std::tmpfile();
    llmc_compiled_model_t model = llmc_test::FakeModel();
    int code = llmc_run_cli(&model, static_cast<int>(args.size()), argv.data(),
                            out, err);
    return CliResult{code, ReadAll(out), ReadAll(err)};
  }
  std::string dir_;
  std::string weights_;
};

TEST_F(CliTest, GreedyPrintsPromptAndContinuation) {
  CliResult result = Run({"--weights", weights_, "--prompt", "Once upon a time",
                          "--temperature", "0"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(LLMW_FIXTURE_STORY) + "\n");
}

TEST_F(CliTest, MappedWeightsGiveTheSameText) {
  // The default reads the weights into huge pages where offered; --mmap
  // maps the file. Same bytes, same text.
  CliResult result = Run({"--weights", weights_, "--prompt", "Once upon a time",
                          "--temperature", "0", "--mmap"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string(LLMW_FIXTURE_STORY) + "\n");
}

TEST_F(CliTest, EqualsSyntaxAndSteps) {
  CliResult result = Run({"--weights=" + weights_, "--prompt=Once upon a time",
                          "--temperature=0", "--steps=3"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "Once upon a\n");
}

TEST_F(CliTest, SeedMakesSamplingReproducible) {
  std::vector<std::string> args = {
      "--weights", weights_, "--prompt", "Once",   "--temperature",
      "1.5",       "--topp", "0.95",     "--topk", "40",
      "--seed",    "77",     "--steps",  "30"};
  CliResult a = Run(args);
  CliResult b = Run(args);
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  args[11] = "78";
  CliResult c = Run(args);
  EXPECT_NE(a.out, c.out);
}

TEST_F(CliTest, InfoPrintsTheModelDescription) {
  CliResult result = Run({"--weights", weights_, "--info"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("abi_version       2\n"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("model_id          0x4c4c4d4346414b45\n"),
            std::string::npos);
  EXPECT_NE(result.out.find("vocab_size        512\n"), std::string::npos);
  EXPECT_NE(result.out.find("max_seq_len       64\n"), std::string::npos);
  EXPECT_NE(result.out.find("weights: " + weights_), std::string::npos);
  EXPECT_NE(result.out.find("bos_id            1\n"), std::string::npos);
}

TEST_F(CliTest, Help) {
  CliResult result = Run({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("usage: llmc-run"), std::string::npos);
}

TEST_F(CliTest, BadArgumentsExitWithUsage) {
  const std::vector<std::vector<std::string>> bad = {
      {"--prompt"},
      {"--bogus", "1", "--prompt", "x"},
      {"positional", "--prompt", "x"},
      {"--weights", weights_},
      {"--prompt", "x", "--steps", "abc"},
      {"--prompt", "x", "--steps", "-4"},
      {"--prompt", "x", "--temperature", "-1"},
      {"--prompt", "x", "--temperature", "nan"},
      {"--prompt", "x", "--topp", "1.5"},
      {"--prompt", "x", "--topk", "-2"},
      {"--prompt", "x", "--seed", "-3"},
      {"--prompt", "x", "--seed", "12x"},
  };
  for (const std::vector<std::string> &args : bad) {
    CliResult result = Run(args);
    EXPECT_EQ(result.exit_code, 2) << args[0];
    EXPECT_NE(result.err.find("usage: llmc-run"), std::string::npos);
    EXPECT_TRUE(result.out.empty());
  }
}

TEST_F(CliTest, MissingWeightsIsAnError) {
  std::string missing = dir_ + "/missing.llmw";
  CliResult result = Run({"--weights", missing, "--prompt", "x"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("llmc-run: error: " + missing +
                            ": cannot open weights file"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("[NOT_FOUND]"), std::string::npos);
}

TEST_F(CliTest, DefaultWeightsAreNextToTheExecutable) {
  CliResult result = Run({"--prompt", "x"});
  // The test binary's directory has no model.llmw.
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("/model.llmw: cannot open weights file"),
            std::string::npos)
      << result.err;
}

TEST_F(CliTest, CorruptWeightsAreAnError) {
  uint8_t *data = nullptr;
  size_t size = 0;
  ASSERT_EQ(llmw_fixture_read_file(weights_.c_str(), &data, &size), 0);
  ASSERT_EQ(llmw_fixture_write_file(weights_.c_str(), data, size - 1), 0);
  std::free(data);
  CliResult result = Run({"--weights", weights_, "--prompt", "x"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(weights_ + ": file is truncated"),
            std::string::npos)
      << result.err;
}

} // namespace
