//===- ParallelFor.cpp - Outlined loops run through the ABI's parallel-for ===//
//
// EmitContext::parallelFor: the body of a loop whose iterations are
// independent becomes a private task function `(ctx, begin, end)` that runs
// iterations [begin, end) in the original order; the entry function stores
// what the body captures into a small i64 context array on its stack and
// hands the task to the ABI's parallel_for callback (or calls it over the
// whole range when the callback is NULL).
//
// Captured values cross the call boundary as i64 slots: buffers (the entry
// function's memref arguments, stack allocations and views at constant
// offsets) as their aligned pointer, rebuilt in the task as a memref
// descriptor; scalars (index, integers, f32) by value. Other side-effect-
// free ops with no regions (constants, shape casts, index arithmetic) are
// cloned into the task instead. Views cross as pointers so that the same op
// in different layers outlines to the same body: such a task is outlined
// once and shared (hoistConstantViews, EmitContext::tasks).
//
//===----------------------------------------------------------------------===//

#include "Emitters.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace llmc;
using namespace llmc::lowering;

namespace {

/// A memref that can be passed as a bare pointer: static shape, identity
/// layout.
bool isPassableBuffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.hasStaticShape() && memref.getLayout().isIdentity();
}

bool isPassableScalar(Type type) {
  return type.isIndex() || type.isSignlessInteger() || type.isF32() ||
         type.isF64();
}

/// i64 bits of a scalar (index, integer up to 64 bits, f32, f64).
Value scalarToI64(OpBuilder &b, Location loc, Value v) {
  Type i64 = b.getI64Type();
  Type type = v.getType();
  if (type.isIndex())
    return arith::IndexCastOp::create(b, loc, i64, v);
  if (type.isF32())
    v = arith::BitcastOp::create(b, loc, b.getI32Type(), v);
  else if (type.isF64())
    return arith::BitcastOp::create(b, loc, i64, v);
  if (v.getType().getIntOrFloatBitWidth() < 64)
    return arith::ExtUIOp::create(b, loc, i64, v);
  return v;
}

/// The inverse of scalarToI64.
Value scalarFromI64(OpBuilder &b, Location loc, Value bits, Type type) {
  if (type.isIndex())
    return arith::IndexCastOp::create(b, loc, type, bits);
  if (type.isF64())
    return arith::BitcastOp::create(b, loc, type, bits);
  if (type.isF32())
    return arith::BitcastOp::create(
        b, loc, type, arith::TruncIOp::create(b, loc, b.getI32Type(), bits));
  if (type.getIntOrFloatBitWidth() < 64)
    return arith::TruncIOp::create(b, loc, type, bits);
  return bits;
}

/// The memref descriptor of a static identity-layout memref at `ptr`,
/// cast to the memref type (the cast folds away when memrefs lower to LLVM).
UnrealizedConversionCastOp rebuildBuffer(OpBuilder &b, Location loc, Value ptr,
                                         MemRefType type) {
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(context);
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {ptrType, ptrType, i64};
  if (rank > 0) {
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
  }
  auto descType = LLVM::LLVMStructType::getLiteral(context, fields);
  auto constant = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  Value desc = LLVM::PoisonOp::create(b, loc, descType);
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
  desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
  desc = LLVM::InsertValueOp::create(b, loc, desc, constant(0),
                                     ArrayRef<int64_t>{2});
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    desc = LLVM::InsertValueOp::create(
        b, loc, desc, constant(type.getDimSize(d)), ArrayRef<int64_t>{3, d});
    desc = LLVM::InsertValueOp::create(b, loc, desc, constant(stride),
                                       ArrayRef<int64_t>{4, d});
    stride *= type.getDimSize(d);
  }
  return UnrealizedConversionCastOp::create(b, loc, TypeRange{type},
                                            ValueRange{desc});
}

/// Moves each memref.view that `task`'s body makes of an outside buffer at
/// a constant offset (the weight and arena views the emitters create) to
/// the call site (`callSite` builds there), so that the view crosses as a
/// pointer: the bodies of the same op in different layers then differ only
/// in their context slots. Views of `packed` (the weights: one layer's
/// weights lie at the same distances from each other in every layer) cross
/// as one byte view from the first of them; the task takes its views of
/// that at constant distances.
void hoistConstantViews(func::FuncOp task, OpBuilder &callSite, Value packed) {
  // Views made outside and used inside first become views inside.
  DenseMap<Value, Value> cloned;
  OpBuilder entry = OpBuilder::atBlockBegin(&task.getBody().front());
  task.walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      auto view = operand.get().getDefiningOp<memref::ViewOp>();
      if (!view || task->isAncestor(view) ||
          !matchPattern(view.getByteShift(), m_Constant()))
        continue;
      Value &inside = cloned[view.getResult()];
      if (!inside) {
        IRMapping mapping;
        mapping.map(
            view.getByteShift(),
            entry.clone(*view.getByteShift().getDefiningOp())->getResult(0));
        inside = entry.clone(*view, mapping)->getResult(0);
      }
      operand.set(inside);
    }
  });
  SmallVector<memref::ViewOp> views, ofPacked;
  task.walk([&](memref::ViewOp view) {
    Region *source = view.getSource().getParentRegion();
    bool outside = !source || !task->isAncestor(source->getParentOp());
    if (outside && isPassableBuffer(view.getType()) &&
        view.getSizes().empty() &&
        matchPattern(view.getByteShift(), m_Constant()))
      (packed && view.getSource() == packed ? ofPacked : views).push_back(view);
  });
  auto offsetOf = [](memref::ViewOp view) {
    APInt value;
    (void)matchPattern(view.getByteShift(), m_ConstantInt(&value));
    return value.getSExtValue();
  };
  // The hoisted view's result, then the old view and its offset erased
  // (a dead offset would make the bodies of layers differ).
  auto replace = [&](memref::ViewOp view, Value replacement) {
    Operation *shift = view.getByteShift().getDefiningOp();
    view.replaceAllUsesWith(replacement);
    view.erase();
    if (shift->use_empty() && task->isAncestor(shift))
      shift->erase();
  };
  for (memref::ViewOp view : views)
    replace(
        view,
        memref::ViewOp::create(
            callSite, view.getLoc(), view.getType(), view.getSource(),
            callSite.clone(*view.getByteShift().getDefiningOp())->getResult(0),
            ValueRange{}));
  if (ofPacked.empty())
    return;
  int64_t first = INT64_MAX, end = 0;
  for (memref::ViewOp view : ofPacked) {
    first = std::min(first, offsetOf(view));
    end = std::max(end, offsetOf(view) +
                            static_cast<int64_t>(memrefBytes(view.getType())));
  }
  Location loc = ofPacked.front().getLoc();
  Value base = memref::ViewOp::create(
      callSite, loc, MemRefType::get({end - first}, callSite.getI8Type()),
      packed, arith::ConstantIndexOp::create(callSite, loc, first),
      ValueRange{});
  for (memref::ViewOp view : ofPacked) {
    OpBuilder inside(view);
    replace(view, memref::ViewOp::create(
                      inside, view.getLoc(), view.getType(), base,
                      arith::ConstantIndexOp::create(inside, view.getLoc(),
                                                     offsetOf(view) - first),
                      ValueRange{}));
  }
}

/// Moves the values a task body uses from outside into the task: clones
/// pure ops, turns the rest into context slots.
class Capture {
public:
  Capture(func::FuncOp task, Value ctxArg, OpBuilder &b, Location loc)
      : task(task), ctxArg(ctxArg), b(b), loc(loc) {}

  /// Rewrites every use of an outside value in the task; false if one
  /// cannot cross (then the task must not be used).
  bool run(Block &entry) {
    b.setInsertionPointToStart(&entry);
    SmallVector<std::pair<OpOperand *, Value>> uses;
    task.walk([&](Operation *op) {
      for (OpOperand &operand : op->getOpOperands())
        if (!isInside(operand.get()))
          uses.push_back({&operand, operand.get()});
    });
    for (auto &[operand, value] : uses) {
      Value inside = import(value);
      if (!inside)
        return false;
      operand->set(inside);
    }
    return true;
  }

  /// Outside values stored into the context, in slot order.
  SmallVector<Value> slots;
  /// Imports of buffers: (outside value, the cast that rebuilds it).
  SmallVector<std::pair<Value, UnrealizedConversionCastOp>> buffers;

private:
  bool isInside(Value v) const {
    Region *region = v.getParentRegion();
    return region && task->isAncestor(region->getParentOp());
  }

  Value slot(Value outside) {
    slots.push_back(outside);
    Value index = arith::ConstantIndexOp::create(
        b, loc, static_cast<int64_t>(slots.size() - 1));
    return memref::LoadOp::create(b, loc, ctxArg, ValueRange{index});
  }

  Value import(Value v) {
    if (Value known = imported.lookup(v))
      return known;
    Value result;
    Operation *def = v.getDefiningOp();
    // Views cross as their pointer (below) rather than as a clone: their
    // offsets differ from layer to layer, the task bodies then do not.
    bool view =
        isa_and_present<memref::ViewOp>(def) && isPassableBuffer(v.getType());
    if (def && !view && def->getNumRegions() == 0 &&
        def->getNumResults() == 1 && isMemoryEffectFree(def)) {
      IRMapping mapping;
      for (Value operand : def->getOperands()) {
        Value inside = import(operand);
        if (!inside)
          return {};
        mapping.map(operand, inside);
      }
      result = b.clone(*def, mapping)->getResult(0);
    } else if (isPassableBuffer(v.getType())) {
      Value ptr = LLVM::IntToPtrOp::create(
          b, loc, LLVM::LLVMPointerType::get(b.getContext()), slot(v));
      UnrealizedConversionCastOp rebuilt =
          rebuildBuffer(b, loc, ptr, cast<MemRefType>(v.getType()));
      buffers.push_back({v, rebuilt});
      result = rebuilt.getResult(0);
    } else if (isPassableScalar(v.getType())) {
      result = scalarFromI64(b, loc, slot(v), v.getType());
    } else {
      return {};
    }
    imported[v] = result;
    return result;
  }

  func::FuncOp task;
  Value ctxArg;
  OpBuilder &b;
  Location loc;
  DenseMap<Value, Value> imported;
};

} // namespace

void EmitContext::parallelFor(int64_t count, int64_t workPerIteration,
                              function_ref<void(Value)> body) {
  // Threads pay off only for loops with enough work; nested loops (inside
  // another loop or task) stay serial.
  bool topLevel = function && b.getInsertionBlock()->getParentOp() ==
                                  function.getOperation();
  if (!parallelForFn || !topLevel || count < 2 ||
      count * workPerIteration < parallelMinWork) {
    forLoop(0, count, body);
    return;
  }
  MLIRContext *context = b.getContext();
  Type i64 = b.getI64Type();
  auto ptrType = LLVM::LLVMPointerType::get(context);
  OpBuilder::InsertPoint callPoint = b.saveInsertionPoint();

  // The task: func.func private @<function>_task<N>(ctx, begin, end).
  b.setInsertionPoint(function);
  // The context argument's type depends on how many values the body
  // captures: provisional until Capture has run, then set below.
  auto provisionalCtxType = MemRefType::get({1}, i64);
  std::string name =
      (function.getSymName() + "_task" + llvm::Twine(taskCount++)).str();
  auto task = func::FuncOp::create(
      b, loc, name, b.getFunctionType({provisionalCtxType, i64, i64}, {}));
  task.setPrivate();
  Block *entry = task.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value begin = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                           entry->getArgument(1));
  Value end = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         entry->getArgument(2));
  forLoop(begin, end, 1, body);
  func::ReturnOp::create(b, loc);

  {
    OpBuilder callSite(context);
    callSite.restoreInsertionPoint(callPoint);
    hoistConstantViews(task, callSite, weights);
  }
  Capture capture(task, entry->getArgument(0), b, loc);
  if (!capture.run(*entry)) {
    // Something the body uses cannot cross a call: keep the plain loop.
    task.erase();
    b.restoreInsertionPoint(callPoint);
    forLoop(0, count, body);
    return;
  }
  auto ctxType = MemRefType::get(
      {std::max<int64_t>(1, static_cast<int64_t>(capture.slots.size()))}, i64);
  entry->getArgument(0).setType(ctxType);
  task.setFunctionType(b.getFunctionType({ctxType, i64, i64}, {}));
  // A task with the same body as an earlier one (the same op of another
  // layer: its weights and buffers are context slots) is that task, so the
  // layers share one copy of the code.
  bool shared = false;
  for (func::FuncOp earlier : tasks)
    if (earlier.getFunctionType() == task.getFunctionType() &&
        OperationEquivalence::isRegionEquivalentTo(
            &earlier.getBody(), &task.getBody(),
            OperationEquivalence::IgnoreLocations)) {
      task.erase();
      --taskCount;
      task = earlier;
      shared = true;
      break;
    }
  if (!shared) {
    tasks.push_back(task);
    for (auto &[outside, cast] : capture.buffers)
      if (outside == arena) {
        // cast(insertvalue(stride, insertvalue(size, ...)[3, 0])[4, 0]).
        auto stride = cast.getOperand(0).getDefiningOp<LLVM::InsertValueOp>();
        auto size = stride.getContainer().getDefiningOp<LLVM::InsertValueOp>();
        arenaImports.push_back({cast, size.getValue().getDefiningOp()});
      }
  }

  // The call site: the context array lives in the entry block's frame.
  b.setInsertionPointToStart(&function.getBody().front());
  Value ctxBuffer = memref::AllocaOp::create(b, loc, ctxType);
  b.restoreInsertionPoint(callPoint);
  for (auto [i, outside] : llvm::enumerate(capture.slots)) {
    Value bits;
    if (isa<MemRefType>(outside.getType()))
      bits = arith::IndexCastOp::create(
          b, loc, i64,
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, outside));
    else
      bits = scalarToI64(b, loc, outside);
    memref::StoreOp::create(b, loc, bits, ctxBuffer,
                            ValueRange{index(static_cast<int64_t>(i))});
  }
  Value countValue =
      arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(count));
  Value isSerial =
      LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, parallelForFn,
                           LLVM::ZeroOp::create(b, loc, ptrType));
  auto branch = scf::IfOp::create(b, loc, isSerial, /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    func::CallOp::create(b, loc, task, ValueRange{ctxBuffer, zero, countValue});
    b.setInsertionPointToStart(branch.elseBlock());
    Value taskRef = func::ConstantOp::create(b, loc, task.getFunctionType(),
                                             SymbolRefAttr::get(task));
    Value taskPtr = UnrealizedConversionCastOp::create(
                        b, loc, TypeRange{ptrType}, ValueRange{taskRef})
                        .getResult(0);
    Value ctxBits = arith::IndexCastOp::create(
        b, loc, i64,
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, ctxBuffer));
    Value ctxPtr = LLVM::IntToPtrOp::create(b, loc, ptrType, ctxBits);
    auto calleeType = LLVM::LLVMFunctionType::get(
        LLVM::LLVMVoidType::get(context), {ptrType, i64, ptrType, ptrType});
    LLVM::CallOp::create(
        b, loc, calleeType,
        ValueRange{parallelForFn, pool, countValue, taskPtr, ctxPtr});
  }
}
