#!/usr/bin/env python3
"""circomlib-ml's trained MNIST CNN written as ONNX from its weights.

The weights are circomlib-ml's (GPL): they are read from ../shared/conformance at run time
and the ONNX file goes to target/ (never committed). tests/mnist_onnx.rs builds the same
file in Rust and checks that, imported and quantised at 2^16, it gives the hand-built 2^16
model's integers layer by layer.

  /tmp/models/bin/python scripts/models/mnist_onnx.py [MNIST_JSON] [OUT.onnx]
  cargo run --release --bin arkml -- import target/mnist_circomlib.onnx --argmax -o target/mnist.float.json
  cargo run --release --bin arkml -- quantize target/mnist.float.json --scale 2^16 -o target/mnist16.json

Weights are float64 (circomlib-ml's integers at 10^18 and 10^36 divided exactly enough that
rounding at 2^16 matches the integer requantisation); the BatchNorms carry circomlib-ml's
folded `a` and `b` as scale and bias with mean 0, variance 1 and epsilon 0; the dense rows
are put in ONNX's CHW flatten order.
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "conformance", "circomlib-ml", "mnist.json")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "mnist_circomlib.onnx")
    d = json.load(open(src))
    p = 21888242871839275222246405745257275088548364400416034343698204186575808495617
    signed = np.vectorize(lambda v: (int(v) - p if int(v) > p // 2 else int(v)), otypes=[object])
    # circomlib-ml stores negatives as field elements p - x
    r = lambda k, e: signed(np.array(d[k], dtype=object)).astype(float) / 10.0**e
    conv = lambda k: np.transpose(r(k, 18), (3, 2, 0, 1)).copy()
    dense = r("dense_weights", 18)  # rows in HWC order (Keras)
    c, hw = 8, 5
    dense_chw = np.zeros_like(dense)
    for ch in range(c):
        for pix in range(hw * hw):
            dense_chw[ch * hw * hw + pix] = dense[pix * c + ch]
    t = lambda name, a: numpy_helper.from_array(np.asarray(a, dtype=np.float64), name)
    inits = [
        t("w1", conv("conv2d_1_weights")), t("b1", r("conv2d_1_bias", 36)),
        t("a1", r("bn_1_a", 18)), t("c1", r("bn_1_b", 36)), t("m1", np.zeros(4)), t("v1", np.ones(4)),
        t("w2", conv("conv2d_2_weights")), t("b2", r("conv2d_2_bias", 36)),
        t("a2", r("bn_2_a", 18)), t("c2", r("bn_2_b", 36)), t("m2", np.zeros(8)), t("v2", np.ones(8)),
        t("wd", dense_chw), t("bd", r("dense_bias", 36)),
    ]
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["conv1"], kernel_shape=[3, 3], name="conv1"),
        n("BatchNormalization", ["conv1", "a1", "c1", "m1", "v1"], ["bn1"], epsilon=0.0, name="bn1"),
        n("Relu", ["bn1"], ["relu1"], name="relu1"),
        n("AveragePool", ["relu1"], ["pool1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        n("Conv", ["pool1", "w2", "b2"], ["conv2"], kernel_shape=[3, 3], name="conv2"),
        n("BatchNormalization", ["conv2", "a2", "c2", "m2", "v2"], ["bn2"], epsilon=0.0, name="bn2"),
        n("Relu", ["bn2"], ["relu2"], name="relu2"),
        n("AveragePool", ["relu2"], ["pool2"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"),
        n("Flatten", ["pool2"], ["flat"], name="flat"),
        n("Gemm", ["flat", "wd", "bd"], ["logits"], name="logits"),
    ]
    g = helper.make_graph(nodes, "circomlib-ml mnist",
                          [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [1, 1, 28, 28])],
                          [helper.make_tensor_value_info("logits", TensorProto.DOUBLE, [1, 10])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    onnx.save(m, out)
    x = r("in", 18).reshape(1, 1, 28, 28)
    try:
        y = ort.InferenceSession(out, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        print(f"wrote {out}: onnxruntime argmax {int(np.argmax(y))} (circomlib-ml: {d['argmax_out']})")
    except Exception as e:  # onnxruntime lacks some float64 kernels on some builds
        print(f"wrote {out} (onnxruntime could not run it: {e})")


if __name__ == "__main__":
    main()
