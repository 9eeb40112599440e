//! `ai.onnx.ml` `TreeEnsembleClassifier` and `TreeEnsembleRegressor` (skl2onnx's random
//! forests, extra trees, gradient boosting, decision trees) as one
//! [`ops::TreeEnsemble`] layer.
//!
//! - Modes `BRANCH_LEQ`, `BRANCH_LT`, `BRANCH_GTE` and `BRANCH_GT` (the last two as the
//!   negated `<` and `<=` with the children swapped); `BRANCH_EQ` / `BRANCH_NEQ` are refused.
//! - The classifier sums each class's leaf weights (onnxruntime's rule) plus its base value.
//!   The binary case onnxruntime special-cases (two labels, weights for one class only) is
//!   written as its two scores: `[1 - v, v]` when every weight is non-negative, else
//!   `[-v, v]`, `v` the one class's sum.
//! - The regressor's `SUM` and `AVERAGE` (the sum over the trees divided by their number);
//!   `MIN` and `MAX` are refused.
//! - A classifier's post_transform is dropped on the way to an output (monotone per sample:
//!   the class is the scores' argmax), as for `LinearClassifier`.

use arkml_gadgets::tree::{Branch, Forest};

use super::*;

/// A float list attribute or its `_as_tensor` twin (doubles).
fn floats_or_tensor(n: &NodeProto, name: &str) -> Result<Vec<f64>, OnnxError> {
    if let Some(t) = attr(n, &format!("{name}_as_tensor")).and_then(|a| a.t.as_ref()) {
        return Ok(tensor(t, &node_name(n), None)?.iter().copied().collect());
    }
    Ok(attr(n, name)
        .map(|a| a.floats.iter().map(|&v| v as f64).collect())
        .unwrap_or_default())
}

/// A tree node as the attributes give it.
enum Node {
    Branch {
        feature: usize,
        threshold: f64,
        strict: bool,
        yes: (i64, i64),
        no: (i64, i64),
    },
    Leaf,
}

impl Builder<'_> {
    /// One TreeEnsembleClassifier or TreeEnsembleRegressor node.
    pub(super) fn tree_ensemble(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        let classifier = n.op_type == "TreeEnsembleClassifier";
        let (v, lay) = self.dynamic(n, 0)?;
        let unsupported = |why: String| super::ml::unsupported_ml(n, why);
        let Lay::Vec(features) = lay else {
            return Err(unsupported(format!(
                "an input of shape {:?} (a [N, features] batch)",
                lay.onnx_shape()
            )));
        };
        let err = |why: String| self.graph_err(n, why);
        let ints = |name: &str| attr_ints(n, name).unwrap_or_default();
        let (tree_ids, node_ids) = (ints("nodes_treeids"), ints("nodes_nodeids"));
        let (feature_ids, trues, falses) = (
            ints("nodes_featureids"),
            ints("nodes_truenodeids"),
            ints("nodes_falsenodeids"),
        );
        let values = floats_or_tensor(n, "nodes_values")?;
        let modes: Vec<String> = attr(n, "nodes_modes")
            .map(|a| {
                a.strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let count = tree_ids.len();
        if count == 0 {
            return Err(err("no tree nodes".into()));
        }
        for (what, len) in [
            ("nodes_nodeids", node_ids.len()),
            ("nodes_featureids", feature_ids.len()),
            ("nodes_truenodeids", trues.len()),
            ("nodes_falsenodeids", falses.len()),
            ("nodes_values", values.len()),
            ("nodes_modes", modes.len()),
        ] {
            if len != count {
                return Err(err(format!("{len} {what} for {count} nodes")));
            }
        }
        // the nodes by (tree, node id); trees in order of first appearance
        let mut nodes: HashMap<(i64, i64), Node> = HashMap::new();
        let mut trees: Vec<i64> = Vec::new();
        for i in 0..count {
            let key = (tree_ids[i], node_ids[i]);
            if !trees.contains(&key.0) {
                trees.push(key.0);
            }
            let feature = usize::try_from(feature_ids[i])
                .ok()
                .filter(|&f| f < features || modes[i] == "LEAF")
                .ok_or_else(|| {
                    err(format!(
                        "node {key:?} tests feature {} of {features}",
                        feature_ids[i]
                    ))
                })?;
            let (t, f) = ((key.0, trues[i]), (key.0, falses[i]));
            let node = match modes[i].as_str() {
                "LEAF" => Node::Leaf,
                m @ ("BRANCH_LEQ" | "BRANCH_LT" | "BRANCH_GTE" | "BRANCH_GT") => {
                    // x >= t is not x < t, x > t not x <= t: the negated test, children swapped
                    let negated = m == "BRANCH_GTE" || m == "BRANCH_GT";
                    Node::Branch {
                        feature,
                        threshold: values[i],
                        strict: m == "BRANCH_LT" || m == "BRANCH_GTE",
                        yes: if negated { f } else { t },
                        no: if negated { t } else { f },
                    }
                }
                other => {
                    return Err(unsupported(format!(
                        "mode {other} (BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, LEAF)"
                    )))
                }
            };
            if nodes.insert(key, node).is_some() {
                return Err(err(format!("node {key:?} is given twice")));
            }
        }
        let (weights, targets, base) = self.tree_weights(n, classifier, trees.len())?;
        let forest = self.forest(n, &nodes, &trees, &weights, targets, base)?;
        let layer = Layer::TreeEnsemble(ops::TreeEnsemble(forest));
        let y = self.emit(layer, vec![v], &node_name(n));
        // a classifier's scores are its second output
        self.set_output(n, usize::from(classifier), y, Lay::Vec(targets));
        Ok(())
    }

    /// Per leaf `(tree, node)`, its value for each score; the number of scores; the base.
    #[allow(clippy::type_complexity)]
    fn tree_weights(
        &mut self,
        n: &NodeProto,
        classifier: bool,
        trees: usize,
    ) -> Result<(HashMap<(i64, i64), Vec<f64>>, usize, Vec<f64>), OnnxError> {
        let err = |why: String| OnnxError::Graph {
            node: node_name(n),
            why,
        };
        let unsupported = |why: String| super::ml::unsupported_ml(n, why);
        let p = if classifier { "class" } else { "target" };
        let ints = |name: &str| attr_ints(n, &format!("{p}_{name}")).unwrap_or_default();
        let (t, nd, ids) = (ints("treeids"), ints("nodeids"), ints("ids"));
        let w = floats_or_tensor(n, &format!("{p}_weights"))?;
        if [nd.len(), ids.len(), w.len()].iter().any(|&l| l != t.len()) {
            return Err(err(format!(
                "{p}_treeids, _nodeids, _ids and _weights of lengths {}, {}, {}, {}",
                t.len(),
                nd.len(),
                ids.len(),
                w.len()
            )));
        }
        let post = attr_str(n, "post_transform").unwrap_or_else(|| "NONE".into());
        let (targets, scale) = if classifier {
            let labels = attr_ints(n, "classlabels_int64s")
                .map(|v| v.len())
                .filter(|&l| l > 0)
                .or_else(|| attr(n, "classlabels_strings").map(|a| a.strings.len()))
                .unwrap_or(0);
            let scores = n.output.get(1).cloned().unwrap_or_default();
            self.post_transform(n, &post, &scores, true)?;
            (labels, 1.0)
        } else {
            if post != "NONE" {
                return Err(unsupported(format!("post_transform {post} (NONE)")));
            }
            let agg = attr_str(n, "aggregate_function").unwrap_or_else(|| "SUM".into());
            let scale = match agg.as_str() {
                "SUM" => 1.0,
                "AVERAGE" => 1.0 / trees as f64,
                other => {
                    return Err(unsupported(format!(
                        "aggregate_function {other} (SUM, AVERAGE)"
                    )))
                }
            };
            (attr_int(n, "n_targets", 1).max(0) as usize, scale)
        };
        if targets == 0 || ids.iter().any(|&c| c < 0 || c as usize >= targets) {
            return Err(err(format!("{p}_ids beyond the {targets} scores")));
        }
        let mut base = floats_or_tensor(n, "base_values")?;
        // onnxruntime's binary case: two classes, weights for one class only
        let binary = classifier && targets == 2 && ids.iter().all(|&c| Some(&c) == ids.first());
        let (width, fill) = if binary {
            let positive = w.iter().all(|&v| v >= 0.0);
            self.notes.push(format!(
                "{}: one score v for two classes, written as [{}, v] (onnxruntime's rule)",
                node_name(n),
                if positive { "1 - v" } else { "-v" }
            ));
            (2, Some(positive))
        } else {
            (targets, None)
        };
        if base.is_empty() {
            base = vec![0.0; if binary { 1 } else { width }];
        }
        let mut leaves: HashMap<(i64, i64), Vec<f64>> = HashMap::new();
        for i in 0..t.len() {
            let row = leaves
                .entry((t[i], nd[i]))
                .or_insert_with(|| vec![0.0; width]);
            match fill {
                // [c - v, v]: the class-1 column gets v, the class-0 column its negation
                Some(_) => {
                    row[1] += w[i];
                    row[0] -= w[i];
                }
                None => row[ids[i] as usize] += w[i] * scale,
            }
        }
        base = match (fill, base.len()) {
            (Some(positive), 1) => {
                let c = if positive { 1.0 } else { 0.0 };
                vec![c - base[0], base[0]]
            }
            (None, _) if base.len() == width => base,
            (_, l) => return Err(err(format!("{l} base_values for {width} scores"))),
        };
        Ok((leaves, width, base))
    }

    /// The forest from the nodes: each tree in pre-order from its root (the node no other
    /// node of its tree names), branches first, then the leaves.
    fn forest(
        &self,
        n: &NodeProto,
        nodes: &HashMap<(i64, i64), Node>,
        trees: &[i64],
        weights: &HashMap<(i64, i64), Vec<f64>>,
        targets: usize,
        base: Vec<f64>,
    ) -> Result<Forest<f64>, OnnxError> {
        let err = |why: String| self.graph_err(n, why);
        // the pre-order: per position, the node key
        let mut order: Vec<(i64, i64)> = Vec::new();
        let mut roots = Vec::new();
        let mut pos: HashMap<(i64, i64), usize> = HashMap::new();
        // the nodes some branch names, and each tree's nodes
        let mut named: std::collections::HashSet<(i64, i64)> = Default::default();
        let mut per_tree: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
        for (k, node) in nodes {
            if let Node::Branch { yes, no, .. } = node {
                named.extend([*yes, *no]);
            }
            per_tree.entry(k.0).or_default().push(*k);
        }
        if let Some(k) = named.iter().find(|k| !nodes.contains_key(k)) {
            return Err(err(format!("node {k:?} is named but not given")));
        }
        for &tree in trees {
            let keys: Vec<&(i64, i64)> = per_tree
                .get(&tree)
                .map(|v| v.iter().filter(|k| !named.contains(k)).collect())
                .unwrap_or_default();
            let root = match keys.as_slice() {
                [r] => **r,
                _ => return Err(err(format!("tree {tree} has {} roots", keys.len()))),
            };
            roots.push(root);
            let mut stack = vec![root];
            while let Some(k) = stack.pop() {
                let node = nodes
                    .get(&k)
                    .ok_or_else(|| err(format!("node {k:?} is named but not given")))?;
                if pos.insert(k, order.len()).is_some() {
                    return Err(err(format!("node {k:?} is reached twice")));
                }
                order.push(k);
                if let Node::Branch { yes, no, .. } = node {
                    stack.extend([*no, *yes]);
                }
            }
        }
        if let Some(k) = nodes.keys().find(|k| !pos.contains_key(k)) {
            return Err(err(format!(
                "node {k:?} is not reached from its tree's root"
            )));
        }
        // number the branches in pre-order, then the leaves
        let is_branch = |k: &(i64, i64)| matches!(nodes[k], Node::Branch { .. });
        let nb = order.iter().filter(|k| is_branch(k)).count();
        let mut id: HashMap<(i64, i64), usize> = HashMap::new();
        let (mut bi, mut li) = (0, nb);
        for k in &order {
            let slot = if is_branch(k) { &mut bi } else { &mut li };
            id.insert(*k, *slot);
            *slot += 1;
        }
        let mut branches = Vec::with_capacity(nb);
        let mut leaves = Vec::with_capacity((order.len() - nb) * targets);
        for k in &order {
            match &nodes[k] {
                Node::Branch {
                    feature,
                    threshold,
                    strict,
                    yes,
                    no,
                } => branches.push(Branch {
                    feature: *feature,
                    threshold: *threshold,
                    strict: *strict,
                    yes: id[yes],
                    no: id[no],
                }),
                Node::Leaf => match weights.get(k) {
                    Some(w) => leaves.extend_from_slice(w),
                    None => leaves.extend(std::iter::repeat_n(0.0, targets)),
                },
            }
        }
        if let Some(k) = weights
            .keys()
            .find(|k| !matches!(nodes.get(k), Some(Node::Leaf)))
        {
            return Err(err(format!("weights for node {k:?}, which is not a leaf")));
        }
        Ok(Forest {
            branches,
            leaves: Array2::from_shape_vec((order.len() - nb, targets), leaves)
                .map_err(|e| err(e.to_string()))?,
            roots: roots.iter().map(|r| id[r]).collect(),
            base: Array1::from(base),
        })
    }
}
