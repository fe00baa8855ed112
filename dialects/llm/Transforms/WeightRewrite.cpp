//===- WeightRewrite.cpp - Selecting and rewriting weights ------*- C++ -*-===//
//
// Weight filters, new weight data, exclusive copies, row/column gathers.
//
//===----------------------------------------------------------------------===//

#include "llm/Transforms/WeightRewrite.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "llm/IR/WeightData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace llmc::llm;

LogicalResult WeightFilter::init(ModuleOp module, StringRef pass,
                                 StringRef only, StringRef skip) {
  for (auto [name, text, re] :
       {std::tuple<StringRef, StringRef, std::optional<llvm::Regex> *>{
            "only", only, &onlyRe},
        {"skip", skip, &skipRe}}) {
    re->reset();
    if (text.empty())
      continue;
    re->emplace(text);
    std::string error;
    if (!(*re)->isValid(error)) {
      module.emitError() << pass << ": invalid " << name
                         << " regular expression: " << error;
      return failure();
    }
  }
  if (onlyRe && llvm::none_of(module.getOps<WeightOp>(), [&](WeightOp w) {
        return onlyRe->match(w.getSymName());
      })) {
    module.emitError() << pass << ": only='" << only
                       << "' matches no weight of the module";
    return failure();
  }
  return success();
}

bool WeightFilter::selects(StringRef name) const {
  return (!onlyRe || onlyRe->match(name)) && (!skipRe || !skipRe->match(name));
}

llvm::DenseSet<StringAttr>
llmc::llm::getEmbeddingAndClassifierWeights(ModuleOp module) {
  llvm::DenseSet<StringAttr> names;
  module.walk([&](Operation *op) {
    if (auto embedding = dyn_cast<EmbeddingOp>(op)) {
      names.insert(embedding.getTableAttr().getAttr());
    } else if (auto linear = dyn_cast<LinearOp>(op)) {
      if (llvm::any_of(linear->getUsers(), [](Operation *user) {
            return isa<func::ReturnOp>(user);
          }))
        names.insert(linear.getWeightAttr().getAttr());
    }
  });
  return names;
}

SmallVector<Operation *> llmc::llm::getWeightUsers(ModuleOp module,
                                                   WeightOp weight) {
  SmallVector<Operation *> users;
  if (std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(weight, module))
    for (const SymbolTable::SymbolUse &use : *uses)
      if (!llvm::is_contained(users, use.getUser()))
        users.push_back(use.getUser());
  return users;
}

void llmc::llm::setWeightValues(WeightOp weight, ArrayRef<int64_t> shape,
                                ArrayRef<float> values) {
  MLIRContext *context = weight.getContext();
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  weight.setType(RankedTensorType::get(shape, Float32Type::get(context)));
  weight.removeFormatAttr();
  weight.removeSparsityAttr(); // f32 values: no longer stored sparse
  weight.setDataAttr(createByteResource(context, weight.getSymName(), bytes));
}

WeightOp llmc::llm::createWeightAfter(SymbolTable &symbols, WeightOp anchor,
                                      StringRef name, ArrayRef<int64_t> shape,
                                      ArrayRef<float> values) {
  auto weight = cast<WeightOp>(anchor->clone());
  weight.setSymName(name);
  symbols.insert(weight, std::next(Block::iterator(anchor)));
  setWeightValues(weight, shape, values);
  return weight;
}

WeightOp llmc::llm::getExclusiveWeight(ModuleOp module, SymbolTable &symbols,
                                       WeightOp weight, LinearOp user,
                                       StringRef suffix) {
  SmallVector<Operation *> users = getWeightUsers(module, weight);
  if (users.size() == 1 && users.front() == user.getOperation())
    return weight;
  auto copy = cast<WeightOp>(weight->clone());
  copy.setSymName((weight.getSymName() + suffix).str());
  symbols.insert(copy, std::next(Block::iterator(weight)));
  user.setWeightAttr(FlatSymbolRefAttr::get(copy.getSymNameAttr()));
  return copy;
}

WeightOp llmc::llm::getExclusiveBias(ModuleOp module, SymbolTable &symbols,
                                     WeightOp bias, LinearOp user,
                                     StringRef suffix) {
  SmallVector<Operation *> users = getWeightUsers(module, bias);
  if (users.size() == 1 && users.front() == user.getOperation())
    return bias;
  auto copy = cast<WeightOp>(bias->clone());
  copy.setSymName((bias.getSymName() + suffix).str());
  symbols.insert(copy, std::next(Block::iterator(bias)));
  user.setBiasAttr(FlatSymbolRefAttr::get(copy.getSymNameAttr()));
  return copy;
}

std::string llmc::llm::formatOptionValue(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

std::vector<float> llmc::llm::gatherRows(ArrayRef<float> values, int64_t cols,
                                         ArrayRef<int64_t> keep) {
  std::vector<float> out;
  out.reserve(keep.size() * cols);
  for (int64_t row : keep)
    out.insert(out.end(), values.begin() + row * cols,
               values.begin() + (row + 1) * cols);
  return out;
}

std::vector<float> llmc::llm::gatherColumns(ArrayRef<float> values,
                                            int64_t rows, int64_t cols,
                                            ArrayRef<int64_t> keep) {
  std::vector<float> out;
  out.reserve(rows * keep.size());
  for (int64_t row = 0; row < rows; ++row)
    for (int64_t col : keep)
      out.push_back(values[row * cols + col]);
  return out;
}

LogicalResult llmc::llm::rejectBiasedLinears(ModuleOp module, StringRef pass) {
  LogicalResult result = success();
  module.walk([&](LinearOp linear) {
    if (!linear.getBiasAttr())
      return WalkResult::advance();
    linear.emitOpError() << "has a bias, which " << pass
                         << " cannot slice yet (a bias of the model, or one "
                            "bias correction added: run "
                         << pass << " before it)";
    result = failure();
    return WalkResult::interrupt();
  });
  return result;
}

FailureOr<BiasCorrection> BiasCorrection::load(ModuleOp module, StringRef pass,
                                               StringRef path) {
  BiasCorrection bc;
  if (path.empty())
    return bc;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return module.emitError() << pass << ": cannot read bias-correction means '"
                              << path << "': " << buffer.getError().message();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return module.emitError()
           << pass << ": '" << path
           << "' is not valid JSON: " << llvm::toString(json.takeError());
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *table = root ? root->getObject("means") : nullptr;
  if (!table)
    return module.emitError()
           << pass << ": '" << path << "' has no \"means\" object";
  for (const auto &[key, value] : *table) {
    const llvm::json::Array *array = value.getAsArray();
    if (!array)
      return module.emitError() << pass << ": means of '" << StringRef(key)
                                << "' in '" << path << "' is not an array";
    std::vector<double> &out = bc.means[key];
    for (const llvm::json::Value &v : *array) {
      std::optional<double> number = v.getAsNumber();
      if (!number)
        return module.emitError() << pass << ": means of '" << StringRef(key)
                                  << "' in '" << path << "' has a non-number";
      out.push_back(*number);
    }
  }
  llvm::StringMap<int> seen;
  module.walk([&](LinearOp op) {
    std::string key = ("linear." + op.getWeight()).str();
    if (int count = seen[key]++)
      key += "#" + std::to_string(count);
    bc.linearsOf[op.getWeightAttr().getAttr()].push_back({op, key});
  });
  return bc;
}

void BiasCorrection::record(WeightOp weight, int64_t rows, int64_t cols,
                            ArrayRef<float> before, ArrayRef<float> after) {
  for (auto &[linear, key] : linearsOf.lookup(weight.getSymNameAttr())) {
    auto it = means.find(key);
    if (it == means.end() || it->second.size() != static_cast<size_t>(cols))
      continue;
    std::vector<float> delta(rows);
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c)
        sum += (double(before[r * cols + c]) - after[r * cols + c]) *
               it->second[c];
      delta[r] = static_cast<float>(sum);
    }
    corrections.push_back({linear, std::move(delta)});
  }
}

FailureOr<int64_t> BiasCorrection::apply(ModuleOp module,
                                         WeightDataReader &reader) {
  SymbolTable symbols(module);
  int64_t applied = 0;
  for (const auto &entry : corrections) {
    LinearOp linear = entry.first;
    std::vector<float> bias = entry.second;
    if (FlatSymbolRefAttr old = linear.getBiasAttr()) {
      auto oldWeight = symbols.lookup<WeightOp>(old.getValue());
      llvm::Expected<std::vector<float>> values = reader.getValues(oldWeight);
      if (!values)
        return linear.emitOpError() << llvm::toString(values.takeError());
      for (size_t i = 0; i < bias.size(); ++i)
        bias[i] += (*values)[i];
    }
    auto weight = symbols.lookup<WeightOp>(linear.getWeight());
    WeightOp created =
        createWeightAfter(symbols, weight, (linear.getWeight() + ".bias").str(),
                          {static_cast<int64_t>(bias.size())}, bias);
    linear.setBiasAttr(FlatSymbolRefAttr::get(created.getSymNameAttr()));
    ++applied;
  }
  corrections.clear();
  return applied;
}
