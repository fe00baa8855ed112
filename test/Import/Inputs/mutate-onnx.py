#!/usr/bin/python3
"""Breaks an ONNX graph in one place, for the importer's diagnostic tests.

  mutate-onnx.py IN.onnx OUT.onnx --retype OP NEW [--nth N]
      the N-th (default 0) node of type OP becomes a NEW node (same inputs,
      outputs and attributes)
  mutate-onnx.py IN.onnx OUT.onnx --bypass OP [--nth N]
      the N-th node of type OP is removed; its readers read its first input
  mutate-onnx.py IN.onnx OUT.onnx --skip-producer OP [--nth N]
      the N-th node of type OP reads the first input of the node producing
      its first input instead (e.g. Softmax(Add(scores, mask)) ->
      Softmax(scores))
"""
import argparse

import onnx


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--retype", nargs=2, metavar=("OP", "NEW"))
    ap.add_argument("--bypass", metavar="OP")
    ap.add_argument("--skip-producer", metavar="OP")
    ap.add_argument("--nth", type=int, default=0)
    args = ap.parse_args()
    model = onnx.load(args.input)
    nodes = model.graph.node
    op = args.retype[0] if args.retype else args.bypass or args.skip_producer
    matches = [n for n in nodes if n.op_type == op]
    node = matches[args.nth]
    if args.retype:
        node.op_type = args.retype[1]
    elif args.skip_producer:
        producer = next(n for n in nodes if node.input[0] in n.output)
        node.input[0] = producer.input[0]
    else:
        old, new = node.output[0], node.input[0]
        nodes.remove(node)
        for n in nodes:
            for i, name in enumerate(n.input):
                if name == old:
                    n.input[i] = new
    onnx.save(model, args.output)


if __name__ == "__main__":
    main()
