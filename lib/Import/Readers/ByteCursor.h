//===- ByteCursor.h - Bounds-checked reading of model files -----*- C++ -*-===//
//
// Internal helpers of the model-file readers: a cursor that reads
// little-endian scalars and length-prefixed strings from a byte buffer,
// failing with a positioned error instead of reading past the end, and the
// error constructor every reader uses so that messages start with the path.
//
//===----------------------------------------------------------------------===//

#ifndef LLMC_LIB_IMPORT_READERS_BYTECURSOR_H
#define LLMC_LIB_IMPORT_READERS_BYTECURSOR_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace llmc {
namespace detail {

/// An error whose message is "<path>: <message>".
inline llvm::Error makeError(llvm::StringRef path, const llvm::Twine &message) {
  return llvm::createStringError(
      std::make_error_code(std::errc::invalid_argument),
      llvm::Twine(path) + ": " + message);
}

/// Reads little-endian values from a buffer, never past its end.
class ByteCursor {
public:
  ByteCursor(llvm::StringRef path, llvm::StringRef data, uint64_t pos = 0)
      : path(path), data(data), pos(pos) {}

  /// Current absolute byte offset.
  uint64_t offset() const { return pos; }
  /// Bytes left after the current offset.
  uint64_t remaining() const { return data.size() - pos; }
  llvm::StringRef getPath() const { return path; }
  llvm::StringRef getData() const { return data; }

  /// An error positioned at \p at: "<path>: offset <at>: <message>".
  llvm::Error errorAt(uint64_t at, const llvm::Twine &message) const {
    return makeError(path, "offset " + llvm::Twine(at) + ": " + message);
  }

  /// Reads one little-endian integer or floating-point value; \p what names
  /// it in the error.
  template <typename T> llvm::Error read(T &out, const llvm::Twine &what) {
    static_assert(std::is_arithmetic<T>::value, "scalar expected");
    if (llvm::Error err = need(sizeof(T), what))
      return err;
    using Bits = std::conditional_t<
        sizeof(T) == 1, uint8_t,
        std::conditional_t<
            sizeof(T) == 2, uint16_t,
            std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>>;
    Bits bits = llvm::support::endian::read<Bits, llvm::endianness::little>(
        data.data() + pos);
    std::memcpy(&out, &bits, sizeof(T));
    pos += sizeof(T);
    return llvm::Error::success();
  }

  /// Takes the next \p size bytes without copying them.
  llvm::Error readBytes(uint64_t size, llvm::StringRef &out,
                        const llvm::Twine &what) {
    if (llvm::Error err = need(size, what))
      return err;
    out = data.substr(pos, size);
    pos += size;
    return llvm::Error::success();
  }

  /// Advances by \p size bytes.
  llvm::Error skip(uint64_t size, const llvm::Twine &what) {
    if (llvm::Error err = need(size, what))
      return err;
    pos += size;
    return llvm::Error::success();
  }

  /// Fails unless \p size more bytes are available.
  llvm::Error need(uint64_t size, const llvm::Twine &what) const {
    if (size <= remaining())
      return llvm::Error::success();
    return errorAt(pos, "unexpected end of file reading " + what + " (" +
                            llvm::Twine(size) + " bytes needed, " +
                            llvm::Twine(remaining()) + " left)");
  }

private:
  llvm::StringRef path;
  llvm::StringRef data;
  uint64_t pos;
};

} // namespace detail
} // namespace llmc

#endif // LLMC_LIB_IMPORT_READERS_BYTECURSOR_H
