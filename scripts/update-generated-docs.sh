#!/usr/bin/env bash
# Regenerates docs/generated/ (the llm dialect and pass reference, from ODS)
# after a change to a .td file; test/Docs checks that they are current.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
ninja -C "$BUILD_DIR" mlir-doc
cp "$BUILD_DIR"/docs/Dialects/LLMDialect.md "$BUILD_DIR"/docs/Passes/LLMPasses.md \
   "$BUILD_DIR"/docs/Passes/LLMCConversionPasses.md docs/generated/
