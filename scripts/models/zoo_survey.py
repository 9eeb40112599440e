#!/usr/bin/env python3
"""The model-zoo survey of docs/import.md: current torchvision architectures at 32x32 (random
weights), a 1-D audio CNN, a small transformer encoder, an LSTM and a GRU classifier, each
exported by both of torch's exporters (dynamo, the default, opset 18; TorchScript, opset 17),
with onnxruntime's output (graph optimisations off) on one random input beside them. Nothing
is committed from it: the files are large; the survey is the command.

  python3 -m venv /tmp/torch && /tmp/torch/bin/pip install -r scripts/models/requirements-torch.txt
  /tmp/torch/bin/python scripts/models/zoo_survey.py /tmp/zoo          # [names...]
  cargo run --release --example onnx_vs_reference -- /tmp/zoo/ref.json /tmp/zoo/*.onnx
"""
import glob, json, os, sys, warnings

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torchvision.models as tv

warnings.filterwarnings("ignore")
torch.manual_seed(0)
class Audio(nn.Module):
    def __init__(s):
        super().__init__(); s.c=nn.Sequential(nn.Conv1d(1,8,5,stride=2),nn.BatchNorm1d(8),nn.ReLU(),nn.MaxPool1d(2),nn.Conv1d(8,16,3),nn.ReLU(),nn.AdaptiveAvgPool1d(1),nn.Flatten(),nn.Linear(16,4))
    def forward(s,x): return s.c(x)
class Tiny(nn.Module):
    def __init__(s):
        super().__init__(); s.l=nn.TransformerEncoder(nn.TransformerEncoderLayer(16,2,32,batch_first=True,dropout=0.0),1); s.fc=nn.Linear(16,3)
    def forward(s,x): return s.fc(s.l(x).mean(1))
class Lstm(nn.Module):
    def __init__(s, cell): super().__init__(); s.r=cell(6,8,batch_first=True); s.fc=nn.Linear(8,3)
    def forward(s,x): y,_=s.r(x); return s.fc(y[:,-1])
def vit():
    # torchvision zero-initialises the head: random weights there, so the outputs say something
    m = tv.VisionTransformer(image_size=32, patch_size=4, num_layers=2, num_heads=2, hidden_dim=64, mlp_dim=128, num_classes=10)
    nn.init.normal_(m.heads.head.weight, std=0.2)
    return m
models = {
 "resnet18": (lambda: tv.resnet18(num_classes=10), (1,3,32,32)),
 "mobilenet_v2": (lambda: tv.mobilenet_v2(num_classes=10), (1,3,32,32)),
 "mobilenet_v3_small": (lambda: tv.mobilenet_v3_small(num_classes=10), (1,3,32,32)),
 "efficientnet_b0": (lambda: tv.efficientnet_b0(num_classes=10), (1,3,32,32)),
 "squeezenet1_1": (lambda: tv.squeezenet1_1(num_classes=10), (1,3,32,32)),
 "shufflenet_v2_x0_5": (lambda: tv.shufflenet_v2_x0_5(num_classes=10), (1,3,32,32)),
 "regnet_x_400mf": (lambda: tv.regnet_x_400mf(num_classes=10), (1,3,32,32)),
 "googlenet": (lambda: tv.googlenet(num_classes=10, aux_logits=False, init_weights=True), (1,3,32,32)),
 "densenet121": (lambda: tv.densenet121(num_classes=10), (1,3,32,32)),
 "mnasnet0_5": (lambda: tv.mnasnet0_5(num_classes=10), (1,3,32,32)),
 "audio1d": (Audio, (1,1,64)),
 "transformer": (Tiny, (1,5,16)),
 "vit": (lambda: vit(), (1,3,32,32)),
 "lstm": (lambda: Lstm(nn.LSTM), (1,5,6)),
 "gru": (lambda: Lstm(nn.GRU), (1,5,6)),
}
OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/zoo"
os.makedirs(OUT, exist_ok=True)
only = sys.argv[2:] or list(models)
for name in only:
    mk, shape = models[name]
    m = mk().eval(); x = torch.randn(*shape)
    for dyn in (True, False):
        out = f"{OUT}/{name}_{'dynamo' if dyn else 'ts'}.onnx"
        try:
            torch.onnx.export(m, (x,), out, dynamo=dyn, opset_version=18 if dyn else 17)
            print("exported", out, flush=True)
        except Exception as e:
            print("EXPORT FAIL", out, str(e).splitlines()[0][:200], flush=True)

# onnxruntime's reference, one random input per file
rng = np.random.default_rng(0)
out = {}
for p in sorted(glob.glob(f"{OUT}/*.onnx")):
    o = ort.SessionOptions(); o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(p, o, providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in i.shape]
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    y = s.run(None, {i.name: x})[0]
    out[os.path.basename(p)] = {"shape": shape, "x": x.reshape(-1).tolist(), "y": np.asarray(y).reshape(-1).tolist()}
json.dump(out, open(f"{OUT}/ref.json", "w"))
