#!/usr/bin/env python3
"""Small ONNX graphs, written with onnx.helper and random weights, that move tensors the way
current exporters do (channel shuffle, ViT patches and tokens, sequence-first tensors, a
shape computation, several inputs), with onnxruntime's outputs, for arkml's wire-op tests.
Nothing is downloaded; torch is not needed.

  python3 -m venv /tmp/skl && /tmp/skl/bin/pip install -r scripts/models/requirements-sklearn.txt
  /tmp/skl/bin/python scripts/models/make_graphs.py

writes, under tests/fixtures/onnx/:

  wires_shuffle.onnx   Conv, a rank-5 Reshape + Transpose channel shuffle (ShuffleNet),
                       DepthToSpace, SpaceToDepth, a reversing Slice (step -1), Split,
                       Concat on the width, Flatten from axis 2, a MatMul of a [2, 32] tensor
                       (no batch axis), Reshape, Gemm
  wires_vit.onnx       a patch Conv, Reshape + Transpose to tokens, a class token
                       concatenated from a constant, a position embedding Add, a token-wise
                       MatMul, Gather of the class token, Unsqueeze, Expand, Tile, Gemm
  wires_seq.onnx       a sequence-first [T, N, F] input, Transpose, token-wise MatMul,
                       Transpose to [N, C, L], Conv1d, and a Reshape whose shape is computed
                       (Shape, Gather, Unsqueeze, Concat)
  wires_two_inputs.onnx  two inputs ([1, 6] and [1, 2, 3]) joined by an Add
  wires_convt.onnx     two ConvTransposes: stride 2 with output_padding, then dilation 2
                       with pads beyond the kernel's reach (a crop); Relu, a Flatten, Gemm
  wires_reduce.onnx    ReduceMax, ReduceMin, ReduceL1, ReduceSumSquare and ReduceSum over
                       mixed axes, with and without keepdims, concatenated, Gemm
  wires_pad.onnx       (opset 18) a zero Pad before an AveragePool (the zeros counted), a
                       reflect Pad before a Conv, an edge Pad on one axis (axes input), a
                       constant 0.5 Pad with a crop (a negative pad), Flatten, Gemm
  wires_lstm.onnx      a bidirectional LSTM over a [T, N, I] = [3, 1, 4] sequence, its Y_h
                       reshaped, Gemm
  wires_gru.onnx       a forward GRU with linear_before_reset (torch's) and a reverse one
                       without, over [1, 3, 4] transposed to [3, 1, 4]; Y's last step and
                       Y_h concatenated, Gemm
  wires_norm.onnx      a Conv, InstanceNormalization (scale, bias), Relu, Reshape +
                       Transpose to tokens, LayerNormalization over the last axis, a
                       LayerNormalization over the last two (axis -2, no bias), Flatten, Gemm
  wires_attention.onnx one self-attention block as exporters write it: token-wise MatMuls
                       for q, k, v, Reshape + Transpose to two heads, MatMul of q and k^T
                       (two activations), a scale, an additive causal mask, Softmax inside
                       the model, MatMul with v, Transpose + Reshape back, a residual Add,
                       LayerNormalization, Flatten, Gemm
  <name>.ref.json      per sample, each input flattened in ONNX's order and onnxruntime's
                       first output, flattened
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx")
OPSET = 17


def save(name, nodes, inputs, output, init, rng, samples=6, opset=OPSET):
    g = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(i, TensorProto.FLOAT, s) for i, s in inputs],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [1, None])],
        [numpy_helper.from_array(v, k) for k, v in init.items()],
    )
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    path = os.path.join(OUT, name + ".onnx")
    onnx.save(m, path)
    # the graph as ONNX defines it: onnxruntime 1.20's optimiser changes wires_pad's result
    # (a Pad with a negative pad after another Pad)
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    ref = {"inputs": [], "outputs": []}
    for _ in range(samples):
        feed = {i: rng.uniform(-1, 1, s).astype(np.float32) for i, s in inputs}
        (y,) = s.run([output], feed)
        ref["inputs"].append([[repr(float(v)) for v in feed[i].reshape(-1)] for i, _ in inputs])
        ref["outputs"].append([repr(float(v)) for v in np.asarray(y, np.float64).reshape(-1)])
    with open(os.path.join(OUT, name + ".ref.json"), "w") as f:
        json.dump(ref, f)
    print(name, "written")


def shuffle(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {
        "w1": f(8, 4, 3, 3), "b1": f(8),
        "s5": i64(1, 2, 4, 6, 6), "s4": i64(1, 8, 6, 6),
        "st": i64(-1), "en": i64(-1000), "ax": i64(2), "sp": i64(-1),
        "w2": f(5, 18, 1, 1), "b2": f(5),
        "split": i64(2, 3),
        "st2": i64(0), "en2": i64(2), "ax2": i64(1),
        "wm": f(32, 6), "bm": f(6),
        "s12": i64(1, 12),
        "wg": f(12, 5), "bg": f(5),
    }
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        n("Relu", ["c1"], ["r1"]),
        n("Reshape", ["r1", "s5"], ["g5"]),
        n("Transpose", ["g5"], ["t5"], perm=[0, 2, 1, 3, 4]),
        n("Reshape", ["t5", "s4"], ["sh"]),
        n("DepthToSpace", ["sh"], ["d2s"], blocksize=2, mode="DCR"),
        n("SpaceToDepth", ["d2s"], ["s2d"], blocksize=3),
        n("Slice", ["s2d", "st", "en", "ax", "sp"], ["rev"]),
        n("Conv", ["rev", "w2", "b2"], ["c2"]),
        n("Relu", ["c2"], ["r2"]),
        n("Split", ["r2", "split"], ["pa", "pb"], axis=1),
        n("Slice", ["pb", "st2", "en2", "ax2"], ["pb2"]),
        n("Concat", ["pa", "pb2"], ["cat"], axis=3),
        n("Flatten", ["cat"], ["fl"], axis=2),
        n("MatMul", ["fl", "wm"], ["mm"]),
        n("Add", ["mm", "bm"], ["mb"]),
        n("Relu", ["mb"], ["r3"]),
        n("Reshape", ["r3", "s12"], ["v"]),
        n("Gemm", ["v", "wg", "bg"], ["logits"]),
    ]
    save("wires_shuffle", nodes, [("x", [1, 4, 6, 6])], "logits", init, rng)


def vit(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {
        "wp": f(16, 3, 4, 4), "bp": f(16),
        "s3": i64(1, 16, 4),
        "cls": f(1, 1, 16), "pos": f(1, 5, 16),
        "wq": f(16, 12), "bq": f(12),
        "zero": np.array(0, np.int64),
        "ax1": i64(1), "ex": i64(1, 3, 12), "rep": i64(1, 1, 2),
        "wg": f(72, 4), "bg": f(4),
    }
    nodes = [
        n("Conv", ["x", "wp", "bp"], ["patch"], kernel_shape=[4, 4], strides=[4, 4]),
        n("Reshape", ["patch", "s3"], ["p3"]),
        n("Transpose", ["p3"], ["tok"], perm=[0, 2, 1]),
        n("Concat", ["cls", "tok"], ["seq"], axis=1),
        n("Add", ["seq", "pos"], ["emb"]),
        n("MatMul", ["emb", "wq"], ["q"]),
        n("Add", ["q", "bq"], ["qb"]),
        n("Relu", ["qb"], ["h"]),
        n("Gather", ["h", "zero"], ["c0"], axis=1),
        n("Unsqueeze", ["c0", "ax1"], ["c1"]),
        n("Expand", ["c1", "ex"], ["c3"]),
        n("Tile", ["c3", "rep"], ["c6"]),
        n("Flatten", ["c6"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_vit", nodes, [("x", [1, 3, 8, 8])], "logits", init, rng)


def seq(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {
        "wm": f(6, 8), "bm": f(8),
        "wc": f(4, 8, 3), "bc": f(4),
        "idx": np.array(0, np.int64), "ax0": i64(0), "m1": i64(-1),
        "wg": f(12, 3), "bg": f(3),
    }
    nodes = [
        n("Transpose", ["x"], ["nt"], perm=[1, 0, 2]),
        n("MatMul", ["nt", "wm"], ["mm"]),
        n("Add", ["mm", "bm"], ["mb"]),
        n("Relu", ["mb"], ["h"]),
        n("Transpose", ["h"], ["ncl"], perm=[0, 2, 1]),
        n("Conv", ["ncl", "wc", "bc"], ["cv"]),
        n("Shape", ["cv"], ["shp"]),
        n("Gather", ["shp", "idx"], ["n0"]),
        n("Unsqueeze", ["n0", "ax0"], ["n1"]),
        n("Concat", ["n1", "m1"], ["tgt"], axis=0),
        n("Reshape", ["cv", "tgt"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_seq", nodes, [("x", [5, 1, 6])], "logits", init, rng)


def two_inputs(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {"wa": f(6, 4), "ba": f(4), "wb": f(6, 4), "s6": i64(1, 6), "wo": f(4, 3), "bo": f(3)}
    nodes = [
        n("Gemm", ["a", "wa", "ba"], ["ha"]),
        n("Reshape", ["b", "s6"], ["b6"]),
        n("MatMul", ["b6", "wb"], ["hb"]),
        n("Add", ["ha", "hb"], ["h"]),
        n("Relu", ["h"], ["r"]),
        n("Gemm", ["r", "wo", "bo"], ["logits"]),
    ]
    save("wires_two_inputs", nodes, [("a", [1, 6]), ("b", [1, 2, 3])], "logits", init, rng)


def convt(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    n = helper.make_node
    init = {"w1": f(3, 4, 3, 3), "b1": f(4), "w2": f(4, 2, 3, 3), "wg": f(98, 3), "bg": f(3)}
    nodes = [
        n("ConvTranspose", ["x", "w1", "b1"], ["t1"], strides=[2, 2], pads=[1, 1, 0, 0],
          output_padding=[1, 1]),
        n("Relu", ["t1"], ["r1"]),
        n("ConvTranspose", ["r1", "w2"], ["t2"], dilations=[2, 2], pads=[3, 3, 3, 3]),
        n("Flatten", ["t2"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_convt", nodes, [("x", [1, 3, 4, 4])], "logits", init, rng)


def reduce(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    n = helper.make_node
    init = {"w1": f(4, 3, 1, 1), "b1": f(4), "ax": np.array([1, 3], np.int64), "wg": f(49, 3),
            "bg": f(3)}
    nodes = [
        n("Conv", ["x", "w1", "b1"], ["c"]),
        n("ReduceMax", ["c"], ["a"], axes=[1, 3], keepdims=0),
        n("ReduceMin", ["c"], ["b4"], axes=[2], keepdims=1),
        n("Flatten", ["b4"], ["b"]),
        n("ReduceL1", ["c"], ["l"], axes=[1, -2], keepdims=0),
        n("ReduceSumSquare", ["c"], ["q3"], axes=[3], keepdims=0),
        n("Flatten", ["q3"], ["q"]),
        n("ReduceSum", ["c", "ax"], ["s2"], keepdims=0),
        n("Concat", ["a", "b", "l", "q", "s2"], ["cat"], axis=1),
        n("Gemm", ["cat", "wg", "bg"], ["logits"]),
    ]
    save("wires_reduce", nodes, [("x", [1, 3, 4, 5])], "logits", init, rng)


def pad(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {
        "p0": i64(0, 0, 1, 1, 0, 0, 1, 1), "p1": i64(0, 0, 2, 1, 0, 0, 1, 2),
        "w": f(3, 2, 3, 3), "b": f(3),
        "p2": i64(1, 2), "ax": i64(3),
        "p3": i64(0, 0, -1, 0, 0, 0, 0, 1), "half": np.array(0.5, np.float32),
        "wg": f(3 * 5 * 10, 4), "bg": f(4),
    }
    nodes = [
        n("Pad", ["x", "p0"], ["z"]),
        n("AveragePool", ["z"], ["a"], kernel_shape=[3, 3]),
        n("Pad", ["a", "p1"], ["r"], mode="reflect"),
        n("Conv", ["r", "w", "b"], ["c"]),
        n("Pad", ["c", "p2", "", "ax"], ["e"], mode="edge"),
        n("Pad", ["e", "p3", "half"], ["k"]),
        n("Flatten", ["k"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_pad", nodes, [("x", [1, 2, 5, 5])], "logits", init, rng, opset=18)


def lstm(rng):
    f = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)
    n = helper.make_node
    init = {"w": f(2, 12, 4), "r": f(2, 12, 3), "b": f(2, 24), "s": np.array([1, 6], np.int64),
            "wg": f(6, 3), "bg": f(3)}
    nodes = [
        n("LSTM", ["x", "w", "r", "b"], ["y", "yh"], hidden_size=3, direction="bidirectional"),
        n("Reshape", ["yh", "s"], ["v"]),
        n("Gemm", ["v", "wg", "bg"], ["logits"]),
    ]
    save("wires_lstm", nodes, [("x", [3, 1, 4])], "logits", init, rng)


def gru(rng):
    f = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {"w": f(1, 9, 4), "r": f(1, 9, 3), "b": f(1, 18), "w2": f(1, 9, 4), "r2": f(1, 9, 3),
            "st": i64(-1), "en": i64(3), "ax": i64(0), "s": i64(1, 3),
            "wg": f(6, 3), "bg": f(3)}
    nodes = [
        n("Transpose", ["x"], ["tx"], perm=[1, 0, 2]),
        n("GRU", ["tx", "w", "r", "b"], ["y"], hidden_size=3, linear_before_reset=1),
        n("Slice", ["y", "st", "en", "ax"], ["y1"]),
        n("Reshape", ["y1", "s"], ["a"]),
        n("GRU", ["tx", "w2", "r2"], ["", "yh"], hidden_size=3, direction="reverse"),
        n("Reshape", ["yh", "s"], ["c"]),
        n("Concat", ["a", "c"], ["v"], axis=1),
        n("Gemm", ["v", "wg", "bg"], ["logits"]),
    ]
    save("wires_gru", nodes, [("x", [1, 3, 4])], "logits", init, rng)


def norm(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    init = {
        "w": f(4, 2, 3, 3), "b": f(4),
        "ig": f(4) + 1, "ib": f(4),
        "s3": i64(1, 4, 9),
        "lg": f(4) + 1, "lb": f(4),
        "mg": f(9, 4) + 1,
        "wg": f(36, 3), "bg": f(3),
    }
    nodes = [
        n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3]),
        n("InstanceNormalization", ["c", "ig", "ib"], ["inorm"], epsilon=1e-5),
        n("Relu", ["inorm"], ["r"]),
        n("Reshape", ["r", "s3"], ["r3"]),
        n("Transpose", ["r3"], ["tok"], perm=[0, 2, 1]),
        n("LayerNormalization", ["tok", "lg", "lb"], ["ln"], axis=-1, epsilon=1e-5),
        n("LayerNormalization", ["ln", "mg"], ["ln2"], axis=-2, epsilon=1e-3),
        n("Flatten", ["ln2"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_norm", nodes, [("x", [1, 2, 5, 5])], "logits", init, rng)


def attention(rng):
    f = lambda *s: rng.normal(0, 0.4, s).astype(np.float32)
    i64 = lambda *v: np.array(v, np.int64)
    n = helper.make_node
    t, d, h = 4, 8, 2
    mask = np.triu(np.full((t, t), -30.0, np.float32), 1)[None, None]
    init = {
        "wq": f(d, d), "wk": f(d, d), "wv": f(d, d), "wo": f(d, d),
        "heads": i64(1, t, h, d // h), "back": i64(1, t, d),
        "scale": np.array(1 / np.sqrt(d // h), np.float32), "mask": mask,
        "lg": f(d) + 1, "lb": f(d),
        "wg": f(t * d, 3), "bg": f(3),
    }
    nodes = [
        n("MatMul", ["x", "wq"], ["q0"]),
        n("MatMul", ["x", "wk"], ["k0"]),
        n("MatMul", ["x", "wv"], ["v0"]),
        n("Reshape", ["q0", "heads"], ["q1"]),
        n("Reshape", ["k0", "heads"], ["k1"]),
        n("Reshape", ["v0", "heads"], ["v1"]),
        n("Transpose", ["q1"], ["q"], perm=[0, 2, 1, 3]),
        n("Transpose", ["k1"], ["kt"], perm=[0, 2, 3, 1]),
        n("Transpose", ["v1"], ["v"], perm=[0, 2, 1, 3]),
        n("MatMul", ["q", "kt"], ["s0"]),
        n("Mul", ["s0", "scale"], ["s1"]),
        n("Add", ["s1", "mask"], ["s2"]),
        n("Softmax", ["s2"], ["att"], axis=-1),
        n("MatMul", ["att", "v"], ["o0"]),
        n("Transpose", ["o0"], ["o1"], perm=[0, 2, 1, 3]),
        n("Reshape", ["o1", "back"], ["o2"]),
        n("MatMul", ["o2", "wo"], ["o3"]),
        n("Add", ["o3", "x"], ["res"]),
        n("LayerNormalization", ["res", "lg", "lb"], ["ln"], axis=-1),
        n("Flatten", ["ln"], ["fl"]),
        n("Gemm", ["fl", "wg", "bg"], ["logits"]),
    ]
    save("wires_attention", nodes, [("x", [1, t, d])], "logits", init, rng)


def main():
    rng = np.random.default_rng(25)
    shuffle(rng)
    vit(rng)
    seq(rng)
    two_inputs(rng)
    convt(rng)
    reduce(rng)
    pad(rng)
    lstm(rng)
    gru(rng)
    norm(rng)
    attention(rng)


if __name__ == "__main__":
    main()
