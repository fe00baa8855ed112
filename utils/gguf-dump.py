#!/usr/bin/python3
"""Print the header, metadata and tensor table of a GGUF file.

Usage: gguf-dump.py FILE [--all]   (--all prints every element of long arrays)

A debugging aid for llmc's GGUF reader; it needs only the standard library.
"""
import struct
import sys

VALUE_TYPES = {
    0: ("u8", "<B"), 1: ("i8", "<b"), 2: ("u16", "<H"), 3: ("i16", "<h"),
    4: ("u32", "<I"), 5: ("i32", "<i"), 6: ("f32", "<f"), 7: ("bool", "<?"),
    8: ("string", None), 9: ("array", None), 10: ("u64", "<Q"),
    11: ("i64", "<q"), 12: ("f64", "<d"),
}

GGML_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1",
    8: "Q8_0", 9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K",
    14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS",
    19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S", 23: "IQ4_XS",
    24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
    30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def unpack(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("truncated at offset %d" % self.pos)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self):
        length = self.unpack("<Q")
        if self.pos + length > len(self.data):
            raise ValueError("string of length %d at offset %d past end"
                             % (length, self.pos))
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        return raw.decode("utf-8", errors="backslashreplace")

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype = self.unpack("<I")
            count = self.unpack("<Q")
            return [self.value(etype) for _ in range(count)]
        if vtype not in VALUE_TYPES:
            raise ValueError("unknown value type %d at offset %d"
                             % (vtype, self.pos))
        return self.unpack(VALUE_TYPES[vtype][1])


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    show_all = "--all" in argv
    with open(argv[1], "rb") as f:
        data = f.read()
    r = Reader(data)
    magic = data[:4]
    r.pos = 4
    version = r.unpack("<I")
    n_tensors = r.unpack("<Q")
    n_kv = r.unpack("<Q")
    print("magic %r version %d tensors %d kv %d file size %d"
          % (magic, version, n_tensors, n_kv, len(data)))
    alignment = 32
    for _ in range(n_kv):
        key = r.string()
        vtype = r.unpack("<I")
        value = r.value(vtype)
        if key == "general.alignment":
            alignment = value
        if isinstance(value, list):
            shown = value if show_all or len(value) <= 8 else (
                value[:8] + ["..."])
            print("  %-45s array[%d] %s" % (key, len(value), shown))
        else:
            print("  %-45s %-6s %r" % (key, VALUE_TYPES[vtype][0], value))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.unpack("<I")
        ne = [r.unpack("<Q") for _ in range(n_dims)]
        ttype = r.unpack("<I")
        offset = r.unpack("<Q")
        infos.append((name, ne, ttype, offset))
    data_start = (r.pos + alignment - 1) // alignment * alignment
    print("tensor infos end at %d, data section at %d (alignment %d)"
          % (r.pos, data_start, alignment))
    for name, ne, ttype, offset in infos:
        print("  %-28s ne=%-16s %-5s offset %d (abs %d)"
              % (name, ne, GGML_TYPES.get(ttype, str(ttype)), offset,
                 data_start + offset))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
