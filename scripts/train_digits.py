#!/usr/bin/env python3
"""Train a small MLP on scikit-learn's bundled digits dataset and export it for arkml.

Nothing is downloaded: `load_digits` ships with scikit-learn. Writes

  tests/fixtures/digits/model.json  an arkml float model ("dtype": "float"): 64 -> 32 ReLU -> 10 -> ArgMax
  tests/fixtures/digits/test.json   the test split: pixels (0..16), true labels, and the
                                    float model's predictions and accuracy

Re-run from the repository root (the output is deterministic for a given scikit-learn):

  python3 -m venv /tmp/sk && /tmp/sk/bin/pip install scikit-learn==1.5.2
  /tmp/sk/bin/python scripts/train_digits.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "digits")


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    # repr() of a Python float round-trips exactly
    return {"shape": list(a.shape), "data": [repr(float(v)) for v in a.ravel()]}


def main():
    digits = load_digits()
    x, y = digits.data, digits.target
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=y
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(32,), activation="relu", max_iter=600, random_state=0
    )
    clf.fit(x_train / 16.0, y_train)

    # the model sees raw pixels 0..16: fold the 1/16 input scaling into the first layer
    w1 = clf.coefs_[0] / 16.0
    b1 = clf.intercepts_[0]
    w2, b2 = clf.coefs_[1], clf.intercepts_[1]
    pred = clf.predict(x_test / 16.0)

    model = {
        "format": "arkml-model",
        "version": 1,
        "dtype": "float",
        "input_shape": [64],
        "input_max": 16.0,
        "layers": [
            {"type": "dense", "weights": tensor(w1), "bias": tensor(b1)},
            {"type": "relu"},
            {"type": "dense", "weights": tensor(w2), "bias": tensor(b2)},
            {"type": "argmax"},
        ],
    }
    test = {
        "sklearn": sklearn.__version__,
        "x": x_test.astype(int).tolist(),
        "labels": y_test.astype(int).tolist(),
        "float_pred": pred.astype(int).tolist(),
        "float_accuracy": float((pred == y_test).mean()),
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "model.json"), "w") as f:
        json.dump(model, f)
    with open(os.path.join(OUT, "test.json"), "w") as f:
        json.dump(test, f)
    print(f"float accuracy on {len(y_test)} test digits: {test['float_accuracy']:.4f}")


if __name__ == "__main__":
    main()
