# lit configuration of the llmc test suite.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "llmc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.llmc_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%models", config.llmc_models_dir))
config.substitutions.append(("%src_root", config.llmc_src_root))
config.substitutions.append(("%llmc_obj_root", config.llmc_obj_root))
config.substitutions.append(("%python", config.python3))
config.substitutions.append(
    ("%make-test-model",
     config.python3 + " " + os.path.join(config.llmc_src_root, "utils",
                                          "make-test-model.py")))
config.substitutions.append(
    ("%run-aarch64",
     config.qemu_aarch64 + " -L /usr/aarch64-linux-gnu -cpu max"))
for vlen in (128, 256, 512):
    config.substitutions.append(
        ("%%run-riscv64-vlen%d" % vlen,
         config.qemu_riscv64 + " -L /usr/riscv64-linux-gnu "
         "-cpu rv64,v=true,vlen=%d,vext_spec=v1.0" % vlen))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.use_default_substitutions()

tool_dirs = [config.llmc_tools_dir, config.llvm_tools_dir]
tools = ["llmc", "llmc-opt", "llmc-eval-tests", "llmc-import-tests",
         "llmc-runtime-tests",
         ToolSubst("%mlir-opt", "mlir-opt", unresolved="ignore")]
tools += ["llmc-conversion-tests"]
if config.enable_fuzzers:
    tools += ["gguf-fuzzer", "llmc-weights-fuzzer"]
    tools += ["safetensors-fuzzer"]
    tools += ["onnx-fuzzer"]
    config.available_features.add("fuzzers")
llvm_config.add_tool_substitutions(tools, tool_dirs)
if config.qemu_aarch64:
    config.available_features.add("qemu-aarch64")
# Hosts that can run code compiled for x86 AVX512-VNNI (e.g. znver4).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split() for l in cpuinfo if l.startswith("flags")), [])
    if "avx512_vnni" in flags and "avx512vl" in flags:
        config.available_features.add("host-avx512-vnni")
except OSError:
    pass
if config.qemu_riscv64:
    config.available_features.add("qemu-riscv64")

# ONNX importer tests: python3-onnx builds test graphs; ONNX Runtime for node
# (third_party/onnxruntime, installed by scripts/install-deps.sh) is the
# numerical reference.
config.substitutions.append(
    ("%onnx-testgen",
     config.python3 + " " + os.path.join(config.llmc_src_root, "test",
                                          "Import", "Inputs",
                                          "make-onnx-graph.py")))
config.substitutions.append(
    ("%compare-logits",
     config.python3 + " " + os.path.join(config.llmc_src_root, "utils",
                                          "compare-logits.py")))
config.substitutions.append(
    ("%ort-greedy",
     "node " + os.path.join(config.llmc_src_root, "utils", "ort-greedy.mjs")))
if os.system(config.python3 + " -c 'import onnx' 2>/dev/null") == 0:
    config.available_features.add("python-onnx")
import shutil
if shutil.which("node") and os.path.isdir(
        os.path.join(config.llmc_src_root, "third_party", "onnxruntime",
                     "node_modules", "onnxruntime-node")):
    config.available_features.add("onnxruntime")
