#!/usr/bin/env python3
"""A Keras model on scikit-learn's digits, to ONNX through tf2onnx (TensorFlow's SavedModel).

Its own environment (TensorFlow pins numpy < 2 and an older onnx than make_models.py):

  python3 -m venv /tmp/keras && /tmp/keras/bin/pip install -r scripts/models/requirements-keras.txt
  /tmp/keras/bin/python scripts/models/make_keras.py

writes tests/fixtures/onnx/keras_cnn.onnx and keras_cnn.ref.json (onnxruntime's outputs on
the held-out digits, as make_models.py writes them). The model takes NHWC images, as Keras
does; tf2onnx puts a Transpose to NCHW after the input, which arkml proves for free.
"""
import json
import os
import subprocess
import sys
import tempfile

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import onnxruntime as ort
import tensorflow as tf
import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "onnx")


def main():
    keras.utils.set_random_seed(0)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    d = load_digits()
    x, y = d.data / 16.0, d.target
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    img = lambda a: a.reshape(-1, 8, 8, 1).astype(np.float32)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="valid", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(img(x_train), y_train, epochs=30, batch_size=64, verbose=0, shuffle=True)
    acc = float(model.evaluate(img(x_test), y_test, verbose=0)[1])
    with tempfile.TemporaryDirectory() as t:
        saved = os.path.join(t, "saved")
        model.export(saved, verbose=False)
        path = os.path.join(OUT, "keras_cnn.onnx")
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved,
                        "--output", path, "--opset", "13"], check=True, capture_output=True)
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    outs = [s.run(None, {name: img(r[None])})[0].reshape(-1).astype(np.float64).tolist() for r in x_test]
    pred = [int(np.argmax(o)) for o in outs]
    ref = {"outputs": [[repr(v) for v in o] for o in outs], "argmax": pred,
           "accuracy": float(np.mean(np.array(pred) == y_test)), "framework_accuracy": acc}
    with open(os.path.join(OUT, "keras_cnn.ref.json"), "w") as f:
        json.dump(ref, f)
    print(f"keras_cnn: reference accuracy {ref['accuracy']}, keras {acc}")


if __name__ == "__main__":
    main()
