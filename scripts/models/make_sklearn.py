#!/usr/bin/env python3
"""scikit-learn pipelines as skl2onnx writes them by default (the `ai.onnx.ml` domain, ZipMap
included), for arkml's import tests. Nothing is downloaded: scikit-learn ships the digits.

  python3 -m venv /tmp/skl && /tmp/skl/bin/pip install -r scripts/models/requirements-sklearn.txt
  /tmp/skl/bin/python scripts/models/make_sklearn.py

writes, under tests/fixtures/onnx/ (the held-out split is digits_test.json's, pixels / 16):

  skl_logreg.onnx         StandardScaler + LogisticRegression (10 classes): Scaler,
                          LinearClassifier (SOFTMAX), Normalizer, ZipMap
  skl_logreg_binary.onnx  the same for "digit >= 5" (LOGISTIC, two classes)
  skl_linreg.onnx         StandardScaler + LinearRegression of the digit's value: Scaler,
                          LinearRegressor
  skl_forest.onnx         RandomForestClassifier (10 classes, 6 trees of depth 5):
                          TreeEnsembleClassifier, ZipMap (skl2onnx's default opsets)
  skl_forest_binary.onnx  the same for "digit >= 5" (onnxruntime's binary case, weights >= 0)
  skl_gboost.onnx         StandardScaler + GradientBoostingClassifier (10 classes, 4 rounds
                          of depth 3, SOFTMAX)
  skl_gboost_binary.onnx  GradientBoostingClassifier for "digit >= 5" (LOGISTIC, one score)
  skl_forest_reg.onnx     RandomForestRegressor of the digit's value (TreeEnsembleRegressor)
  <name>.ref.json         onnxruntime's float outputs (probabilities, or the prediction) on the
                          held-out inputs, and scikit-learn's accuracy
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_digits
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx")


def floats(r):
    # a ZipMap output is a list of {label: probability}; a tensor is an array
    if isinstance(r, list):
        return [float(v) for _, v in sorted(r[0].items())]
    return np.asarray(r, dtype=np.float64).reshape(-1).tolist()


def run_ort(path, x):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    # the last output: probabilities (classifiers) or the prediction (regressors)
    return [floats(s.run(None, {name: row[None].astype(np.float32)})[-1]) for row in x]


def write_ref(name, outs, extra):
    ref = {"outputs": [[repr(v) for v in o] for o in outs], "argmax": [int(np.argmax(o)) for o in outs]}
    ref.update(extra)
    with open(os.path.join(OUT, name + ".ref.json"), "w") as f:
        json.dump(ref, f)


def main():
    d = load_digits()
    x, y = d.data / 16.0, d.target
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    init = [("input", FloatTensorType([None, 64]))]
    opset = {"": 17, "ai.onnx.ml": 3}
    for name, target in [("skl_logreg", lambda v: v), ("skl_logreg_binary", lambda v: (v >= 5).astype(int))]:
        p = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500, random_state=0))
        p.fit(x_train, target(y_train))
        path = os.path.join(OUT, name + ".onnx")
        onnx.save(convert_sklearn(p, initial_types=init, target_opset=opset), path)
        outs = run_ort(path, x_test)
        pred = [int(np.argmax(o)) for o in outs]
        write_ref(name, outs, {
            "accuracy": float(np.mean(np.array(pred) == target(y_test))),
            "framework_accuracy": float(p.score(x_test, target(y_test))),
            "framework_argmax": [int(v) for v in p.predict(x_test)],
        })
        print(name, "accuracy", p.score(x_test, target(y_test)))
    p = make_pipeline(StandardScaler(), LinearRegression()).fit(x_train, y_train.astype(float))
    path = os.path.join(OUT, "skl_linreg.onnx")
    onnx.save(convert_sklearn(p, initial_types=init, target_opset=opset), path)
    write_ref("skl_linreg", run_ort(path, x_test), {"framework_outputs": [repr(float(v)) for v in p.predict(x_test)]})

    # tree ensembles, as skl2onnx writes them with its default opsets
    binary = lambda v: (v >= 5).astype(int)
    for name, make, target in [
        ("skl_forest", lambda: RandomForestClassifier(n_estimators=6, max_depth=5, random_state=0), lambda v: v),
        ("skl_forest_binary", lambda: RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0), binary),
        ("skl_gboost", lambda: make_pipeline(StandardScaler(), GradientBoostingClassifier(n_estimators=4, max_depth=3, random_state=0)), lambda v: v),
        ("skl_gboost_binary", lambda: GradientBoostingClassifier(n_estimators=8, max_depth=3, random_state=0), binary),
    ]:
        p = make().fit(x_train, target(y_train))
        path = os.path.join(OUT, name + ".onnx")
        onnx.save(convert_sklearn(p, initial_types=init), path)
        outs = run_ort(path, x_test)
        pred = [int(np.argmax(o)) for o in outs]
        write_ref(name, outs, {
            "accuracy": float(np.mean(np.array(pred) == target(y_test))),
            "framework_accuracy": float(p.score(x_test, target(y_test))),
            "framework_argmax": [int(v) for v in p.predict(x_test)],
        })
        print(name, "accuracy", p.score(x_test, target(y_test)), "ort agreement", np.mean(np.array(pred) == p.predict(x_test)))
    p = RandomForestRegressor(n_estimators=4, max_depth=4, random_state=0).fit(x_train, y_train.astype(float))
    path = os.path.join(OUT, "skl_forest_reg.onnx")
    onnx.save(convert_sklearn(p, initial_types=init), path)
    write_ref("skl_forest_reg", run_ort(path, x_test), {"framework_outputs": [repr(float(v)) for v in p.predict(x_test)]})


if __name__ == "__main__":
    main()
