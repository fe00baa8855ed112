#!/usr/bin/env python3
"""Rewrites a float16 ONNX model to compute in float32.

    onnx-to-f32.py IN.onnx OUT.onnx

Initializers, Constant values, graph inputs/outputs/value_info and Cast
targets of type float16 become float32 (values converted exactly). The
result is the float32 reference for a float16 export: llmc computes in f32
from the f16 weights, so ONNX Runtime running this graph is the oracle at
f32 tolerance (the original graph rounds every activation to f16).
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper, TensorProto


def to_f32(t):
    if t.data_type != TensorProto.FLOAT16:
        return t
    a = numpy_helper.to_array(t).astype(np.float32)
    return numpy_helper.from_array(a, t.name)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    m = onnx.load(sys.argv[1])
    g = m.graph
    for i, t in enumerate(g.initializer):
        g.initializer[i].CopyFrom(to_f32(t))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT16:
            v.type.tensor_type.elem_type = TensorProto.FLOAT
    for n in g.node:
        for a in n.attribute:
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT16:
                a.i = TensorProto.FLOAT
            if a.type == onnx.AttributeProto.TENSOR:
                a.t.CopyFrom(to_f32(a.t))
    onnx.save(m, sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
