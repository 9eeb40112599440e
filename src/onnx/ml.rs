//! scikit-learn's ONNX domain (`ai.onnx.ml`, as skl2onnx writes it by default): `Scaler`
//! (a per-feature affine layer), `LinearClassifier` and `LinearRegressor` (a Dense layer),
//! and, on the way to a classifier's output, `Normalizer` and `ZipMap` (which change no
//! argmax). A classifier's `post_transform` (SOFTMAX, LOGISTIC, ...) is monotone per
//! sample and is dropped on the way to an output, as a final Softmax is: the model outputs
//! the scores, and the class (`--argmax`) is theirs. The integer `label` output is left out
//! (the class index is the proof's). `TreeEnsembleClassifier` and `TreeEnsembleRegressor`
//! are one tree-ensemble layer (`trees.rs`).

use super::*;

/// A float-list attribute (`floats`), as f64.
fn floats(n: &NodeProto, name: &str) -> Vec<f64> {
    attr(n, name)
        .map(|a| a.floats.iter().map(|&v| v as f64).collect())
        .unwrap_or_default()
}

/// The ops of the domain the importer maps.
pub(super) const ML_OPS: &str =
    "ai.onnx.ml: Scaler, LinearClassifier, LinearRegressor, TreeEnsembleClassifier, \
     TreeEnsembleRegressor (SUM or AVERAGE; BRANCH_LEQ, LT, GTE, GT), Normalizer and ZipMap \
     (on the way to an output)";

/// An unsupported form of an `ai.onnx.ml` node, naming the domain's supported list.
pub(super) fn unsupported_ml(n: &NodeProto, why: String) -> OnnxError {
    OnnxError::Unsupported {
        op: format!("ai.onnx.ml {}", n.op_type),
        node: node_name(n),
        why,
        supported: ML_OPS,
    }
}

impl Builder<'_> {
    /// A classifier's `post_transform` on its `scores` output: NONE, or a monotone one
    /// dropped on the way to an output (the argmax is the same); otherwise refused.
    pub(super) fn post_transform(
        &mut self,
        n: &NodeProto,
        post: &str,
        scores: &str,
        classifier: bool,
    ) -> Result<(), OnnxError> {
        match post {
            "NONE" => Ok(()),
            "SOFTMAX" | "LOGISTIC" | "SOFTMAX_ZERO" | "PROBIT"
                if classifier && self.only_to_output(scores, 0) =>
            {
                self.notes.push(format!(
                    "{} post_transform {post} dropped: the model outputs the scores (the \
                     argmax is the same)",
                    node_name(n)
                ));
                Ok(())
            }
            other => Err(unsupported_ml(
                n,
                format!("post_transform {other} (NONE, or a monotone one on the way to an output)"),
            )),
        }
    }

    /// One `ai.onnx.ml` node.
    pub(super) fn ml_node(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let unsupported = |why: String| unsupported_ml(n, why);
        match n.op_type.as_str() {
            "Scaler" => {
                let (_, lay) = self.dynamic(n, 0)?;
                let ch = lay.channels();
                let (offset, scale) = (floats(n, "offset"), floats(n, "scale"));
                // one value, or one per feature
                let at = |v: &[f64], i: usize, default: f64| match v.len() {
                    0 => Some(default),
                    1 => Some(v[0]),
                    k if k == ch => Some(v[i]),
                    _ => None,
                };
                let (mut a, mut b) = (Vec::with_capacity(ch), Vec::with_capacity(ch));
                for i in 0..ch {
                    let (o, s) = at(&offset, i, 0.0).zip(at(&scale, i, 1.0)).ok_or_else(|| {
                        self.graph_err(
                            n,
                            format!(
                                "{} offsets and {} scales for {ch} features",
                                offset.len(),
                                scale.len()
                            ),
                        )
                    })?;
                    a.push(s);
                    b.push(-o * s);
                }
                self.affine(n, a, b)
            }
            op @ ("LinearClassifier" | "LinearRegressor") => {
                let (v, lay) = self.dynamic(n, 0)?;
                let Lay::Vec(f) = lay else {
                    return Err(unsupported(format!(
                        "an input of shape {:?} (a [N, features] batch)",
                        lay.onnx_shape()
                    )));
                };
                let coef = floats(n, "coefficients");
                if f == 0 || coef.is_empty() || coef.len() % f != 0 {
                    return Err(
                        self.graph_err(n, format!("{} coefficients for {f} features", coef.len()))
                    );
                }
                let k = coef.len() / f;
                let b = match floats(n, "intercepts") {
                    b if b.is_empty() => vec![0.0; k],
                    b if b.len() == k => b,
                    b => {
                        return Err(
                            self.graph_err(n, format!("{} intercepts for {k} outputs", b.len()))
                        )
                    }
                };
                let post = attr_str(n, "post_transform").unwrap_or_else(|| "NONE".into());
                let classifier = op == "LinearClassifier";
                // the scores: the classifier's second output, the regressor's only one
                let scores = n
                    .output
                    .get(usize::from(classifier))
                    .cloned()
                    .unwrap_or_default();
                self.post_transform(n, &post, &scores, classifier)?;
                if classifier && k == 1 {
                    return Err(unsupported(
                        "one score for two classes (skl2onnx writes one per class)".into(),
                    ));
                }
                // coefficients [outputs][features] row-major; Dense takes [in][out]
                let w = Array2::from_shape_fn((f, k), |(i, j)| coef[j * f + i]);
                let layer = Layer::Dense(ops::Dense {
                    w,
                    b: Array1::from(b),
                });
                let y = self.emit(layer, vec![v], &node_name(n));
                self.set_output(n, usize::from(classifier), y, Lay::Vec(k));
                Ok(())
            }
            "TreeEnsembleClassifier" | "TreeEnsembleRegressor" => self.tree_ensemble(n),
            "Normalizer" | "ZipMap" => {
                // a positive factor per sample (Normalizer), or the same numbers as a map
                // (ZipMap): the argmax is unchanged
                let out = n.output.first().cloned().unwrap_or_default();
                if !self.only_to_output(&out, 0) {
                    return Err(unsupported(
                        "inside the model (only on the way to an output)".into(),
                    ));
                }
                self.notes.push(format!(
                    "{} ({}) on the way to the output dropped (the argmax is the same)",
                    node_name(n),
                    n.op_type
                ));
                self.alias(n)
            }
            other => Err(unsupported(format!("the op {other}"))),
        }
    }
}
