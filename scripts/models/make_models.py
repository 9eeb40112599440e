#!/usr/bin/env python3
"""Train and export the ONNX fixtures arkml's import tests and main job use.

Nothing is downloaded: scikit-learn ships the digits dataset. From the repository root:

  python3 -m venv /tmp/models && /tmp/models/bin/pip install -r scripts/models/requirements.txt
  /tmp/models/bin/python scripts/models/make_models.py

writes, under tests/fixtures/onnx/:

  digits_test.json      the held-out split of scikit-learn's digits (360 images, pixels / 16
                        in [0, 1], row-major 8x8) and the true labels
  skl_mlp.onnx          scikit-learn MLPClassifier (64 -> 32 ReLU -> 10) by skl2onnx
  lenet.onnx            a LeNet-5-class CNN in PyTorch (conv 5x5 pad 2, ReLU, max pool,
                        conv 3x3, ReLU, avg pool, flatten, gemm, ReLU, gemm), torch.onnx.export
  resnet.onnx           a small ResNet in PyTorch (stem conv + BatchNorm, two residual blocks
                        with BatchNorm, the second downsampling with a 1x1 projection, global
                        average pooling, gemm)
  zoo.onnx              random weights over the ops the importer reads that the models above
                        do not use (an NHWC input and its Transpose, Pad before a Conv,
                        BatchNormalization, LeakyRelu, depthwise Conv, Sub / Div / Mul by
                        constants, Concat, Clip, AveragePool with pads, GlobalMaxPool,
                        Reshape, a Sub of two activations), built with onnx.helper
  conv1d.onnx           random weights: Conv1D with pads and stride, Relu, Flatten, Gemm
  zoo2.onnx             random weights: PRelu, nearest Resize, ReduceMean, Squeeze, a
                        constant Transpose, Softmax then ArgMax (`--only zoo2`)
  resnet20_cifar.onnx   ResNet-20 for CIFAR-10 shapes (32x32x3, stages of 16/32/64 channels,
                        three basic blocks each, BatchNorm, global average pooling) with
                        random weights and BatchNorm statistics (no dataset can be downloaded
                        here; the circuit's cost does not depend on the values); made with
                        `--only resnet20`
  <name>.ref.json       per model: onnxruntime's float outputs on the held-out inputs (the
                        independent reference), and the framework's accuracy

Every file is small; tests and CI read them and need no Python. The output is deterministic
for the pinned versions (training runs on one CPU thread with fixed seeds).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx")
torch.set_num_threads(1)


def data():
    d = load_digits()
    x, y = d.data / 16.0, d.target
    return train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)


def run_ort(path, x):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    outs = []
    for row in x:
        r = s.run(None, {name: row[None].astype(np.float32)})
        # the first float output
        f = [o for o in r if o.dtype == np.float32][0]
        outs.append(f.reshape(-1).astype(np.float64).tolist())
    return outs


def write_ref(name, outs, y, extra=None):
    pred = [int(np.argmax(o)) for o in outs]
    acc = float(np.mean(np.array(pred) == y)) if y is not None else None
    ref = {"outputs": [[repr(v) for v in o] for o in outs], "argmax": pred, "accuracy": acc}
    ref.update(extra or {})
    with open(os.path.join(OUT, name + ".ref.json"), "w") as f:
        json.dump(ref, f)
    print(f"{name}: reference accuracy {acc}")


def train(model, x, y, epochs, lr=0.01):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt = torch.tensor(x, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    g = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=g)
        for i in range(0, len(xt), 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    return model


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.p1 = nn.MaxPool2d(2)
        self.c2 = nn.Conv2d(6, 16, 3)
        self.p2 = nn.AvgPool2d(2, ceil_mode=False)
        self.f1 = nn.Linear(16, 32)
        self.f2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.p1(torch.relu(self.c1(x)))  # 6x4x4
        x = self.p2(torch.relu(self.c2(x)))  # 16x1x1
        x = torch.flatten(x, 1)
        return self.f2(torch.relu(self.f1(x)))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        s = x if self.proj is None else self.proj(x)
        return torch.relu(y + s)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.l1 = Block(8, 8, 1)
        self.l2 = Block(8, 16, 2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.l2(self.l1(self.stem(x)))
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def export(model, name, shape):
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(
        model,
        torch.zeros(shape),
        path,
        input_names=["x"],
        output_names=["logits"],
        opset_version=13,
        do_constant_folding=True,
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
    )
    return path


def zoo(rng):
    """Random weights over the ops the trained models do not use."""
    f = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)
    init = [
        numpy_helper.from_array(f(4, 1, 3, 3), "w1"),
        numpy_helper.from_array(f(4), "b1"),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], dtype=np.int64), "pads"),
        numpy_helper.from_array(np.abs(f(4)) + 0.5, "bn_s"),
        numpy_helper.from_array(f(4), "bn_b"),
        numpy_helper.from_array(f(4) * 0.1, "bn_m"),
        numpy_helper.from_array(np.abs(f(4)) + 0.5, "bn_v"),
        numpy_helper.from_array(f(8, 1, 3, 3), "wd"),
        numpy_helper.from_array(f(8), "bd"),
        numpy_helper.from_array(f(1, 4, 1, 1), "shift"),
        numpy_helper.from_array(np.array(1.5, dtype=np.float32), "two"),
        numpy_helper.from_array(f(12, 8, 8), "elem"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "lo"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "hi"),
        numpy_helper.from_array(np.array([1, -1], dtype=np.int64), "flat"),
        numpy_helper.from_array(f(12, 5), "g1"),
        numpy_helper.from_array(f(5), "g1b"),
        numpy_helper.from_array(f(192, 6), "g2"),
        numpy_helper.from_array(f(6), "g2b"),
    ]
    n = helper.make_node
    nodes = [
        # NHWC input, tf2onnx-style transpose to NCHW
        n("Transpose", ["x"], ["xc"], perm=[0, 3, 1, 2], name="to_nchw"),
        n("Pad", ["xc", "pads"], ["xp"], mode="constant", name="pad"),
        n("Conv", ["xp", "w1", "b1"], ["c1"], kernel_shape=[3, 3], name="conv1"),
        n("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["n1"], epsilon=1e-3, name="bn1"),
        n("LeakyRelu", ["n1"], ["a1"], alpha=0.2, name="leaky"),
        # depthwise on the raw input (group = channels = 1 -> multiplier 8) is plain conv; use
        # the 4-channel map instead: group 4, multiplier 2
        n("Conv", ["a1", "wd", "bd"], ["d1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=4, name="depthwise"),
        n("Sub", ["a1", "shift"], ["s1"], name="sub_shift"),
        n("Concat", ["d1", "s1"], ["cat"], axis=1, name="concat"),
        n("Div", ["cat", "two"], ["dv"], name="div"),
        n("Mul", ["dv", "elem"], ["ml"], name="mul_elem"),
        n("Clip", ["ml", "lo", "hi"], ["cl"], name="relu_n1"),
        n("AveragePool", ["cl"], ["ap"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], name="avgpool"),
        n("GlobalMaxPool", ["cl"], ["gm"], name="gmax"),
        n("Flatten", ["gm"], ["gmf"], axis=1, name="gflat"),
        n("Gemm", ["gmf", "g1", "g1b"], ["h1"], name="gemm1"),
        n("Reshape", ["ap", "flat"], ["apf"], name="reshape"),
        n("Gemm", ["apf", "g2", "g2b"], ["h2"], name="gemm2", transB=0),
        n("Relu", ["h2"], ["h2r"], name="relu2"),
        n("Sub", ["h2r", "h2"], ["neg"], name="sub_act"),
        n("Concat", ["h1", "neg"], ["y"], axis=1, name="out"),
    ]
    graph = helper.make_graph(
        nodes,
        "zoo",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8, 8, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 11])],
        init,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT, "zoo.onnx")
    onnx.save(m, path)
    return path


def zoo2(rng):
    """More exporter patterns: PRelu, nearest Resize, ReduceMean over H and W, Squeeze, a
    Gemm whose weights pass through a constant Transpose, Softmax then ArgMax (int64)."""
    f = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)
    n = helper.make_node
    init = [
        numpy_helper.from_array(f(4, 3, 3, 3), "w"),
        numpy_helper.from_array(f(4), "b"),
        numpy_helper.from_array(np.array([0.1], dtype=np.float32), "slope"),
        numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales"),
        numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes"),
        numpy_helper.from_array(f(5, 4), "gT"),
        numpy_helper.from_array(f(5), "gb"),
    ]
    nodes = [
        n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv"),
        n("PRelu", ["c", "slope"], ["p"], name="prelu"),
        n("Resize", ["p", "", "scales"], ["r"], mode="nearest", name="up"),
        n("ReduceMean", ["r"], ["m"], axes=[2, 3], keepdims=1, name="mean"),
        n("Squeeze", ["m", "axes"], ["s"], name="squeeze"),
        n("Transpose", ["gT"], ["g"], perm=[1, 0], name="wt"),
        n("Gemm", ["s", "g", "gb"], ["logits"], name="fc"),
        n("Softmax", ["logits"], ["probs"], axis=1, name="softmax"),
        n("ArgMax", ["probs"], ["cls"], axis=1, keepdims=0, name="argmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "zoo2",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 5]),
         helper.make_tensor_value_info("cls", TensorProto.INT64, [1])],
        init,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT, "zoo2.onnx")
    onnx.save(m, path)
    return path


def conv1d(rng):
    f = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)
    n = helper.make_node
    init = [
        numpy_helper.from_array(f(3, 2, 3), "w"),
        numpy_helper.from_array(f(3), "b"),
        numpy_helper.from_array(f(3 * 5, 4), "g"),
        numpy_helper.from_array(f(4), "gb"),
    ]
    nodes = [
        n("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3], pads=[2, 1], strides=[2], name="conv1d"),
        n("Relu", ["c"], ["r"], name="relu"),
        n("Flatten", ["r"], ["f"], name="flatten"),
        n("Gemm", ["f", "g", "gb"], ["y"], name="gemm"),
    ]
    graph = helper.make_graph(
        nodes,
        "conv1d",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        init,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    path = os.path.join(OUT, "conv1d.onnx")
    onnx.save(m, path)
    return path


def zoo2_ref():
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (20, 3, 5, 5))
    path = zoo2(rng)
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outs, classes = [], []
    for row in x:
        logits, cls = s.run(None, {"x": row[None].astype(np.float32)})
        outs.append(logits.reshape(-1).astype(np.float64).tolist())
        classes.append(int(cls.reshape(-1)[0]))
    ref = {"inputs": [[repr(float(v)) for v in r.ravel()] for r in x],
           "outputs": [[repr(v) for v in o] for o in outs], "argmax": classes}
    with open(os.path.join(OUT, "zoo2.ref.json"), "w") as f:
        json.dump(ref, f)
    print("zoo2: written")


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(3):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resnet20():
    torch.manual_seed(20)
    m = ResNet20()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.1, 0.1)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.1, 0.1)
    m.eval()
    path = export(m, "resnet20_cifar", (1, 3, 32, 32))
    params = sum(p.numel() for p in m.parameters())
    print(f"resnet20_cifar: {params} parameters, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    if "--only" in sys.argv:
        {"resnet20": resnet20, "zoo2": lambda: zoo2_ref()}[sys.argv[sys.argv.index("--only") + 1]]()
        return
    x_train, x_test, y_train, y_test = data()
    with open(os.path.join(OUT, "digits_test.json"), "w") as f:
        json.dump({"x": [[repr(float(v)) for v in r] for r in x_test], "y": [int(v) for v in y_test]}, f)

    # scikit-learn MLP
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=600, random_state=0)
    clf.fit(x_train, y_train)
    onx = convert_sklearn(
        clf,
        initial_types=[("x", FloatTensorType([None, 64]))],
        options={id(clf): {"zipmap": False}},
        target_opset=13,
    )
    path = os.path.join(OUT, "skl_mlp.onnx")
    onnx.save(onx, path)
    write_ref("skl_mlp", run_ort(path, x_test), y_test,
              {"framework_accuracy": float(clf.score(x_test, y_test))})

    # PyTorch LeNet and ResNet on 1x8x8 images
    img_train = x_train.reshape(-1, 1, 8, 8)
    img_test = x_test.reshape(-1, 1, 8, 8)
    torch.manual_seed(0)
    for name, model, epochs in [("lenet", LeNet(), 40), ("resnet", ResNet(), 30)]:
        train(model, img_train, y_train, epochs)
        with torch.no_grad():
            acc = float((model(torch.tensor(img_test, dtype=torch.float32)).argmax(1).numpy() == y_test).mean())
        path = export(model, name, (1, 1, 8, 8))
        write_ref(name, run_ort(path, img_test), y_test, {"framework_accuracy": acc})

    rng = np.random.default_rng(7)
    zx = rng.uniform(-1, 1, (20, 8, 8, 1))
    write_ref("zoo", run_ort(zoo(rng), zx), None, {"inputs": [[repr(float(v)) for v in r.ravel()] for r in zx]})
    cx = rng.uniform(-1, 1, (20, 2, 9))
    write_ref("conv1d", run_ort(conv1d(rng), cx), None, {"inputs": [[repr(float(v)) for v in r.ravel()] for r in cx]})


if __name__ == "__main__":
    main()
