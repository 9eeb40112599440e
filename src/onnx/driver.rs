//! The graph driver: the opset, the inputs and their batch axes, the outputs, the nodes
//! the outputs need, then each node through the op table ([`super::mapping`]).

use super::*;
use proto::{GraphProto, ValueInfoProto};

/// Imports an ONNX model from its bytes.
pub fn import(bytes: &[u8], opts: &ImportOptions) -> Result<Imported, OnnxError> {
    if !opts.input_max.is_finite() || opts.input_max <= 0.0 {
        return Err(OnnxError::Input {
            name: "input_max".into(),
            why: format!("{} is not a positive finite number", opts.input_max),
        });
    }
    let (opset, g) = opset_and_graph(bytes)?;
    let mut notes = vec![];
    let mut vals: HashMap<String, Val> = HashMap::new();
    for t in &g.initializer {
        vals.insert(
            t.name.clone(),
            Val::Const(tensor(t, &t.name, opts.data_dir.as_deref())?),
        );
    }
    let ins = the_inputs(&g, &vals, &mut notes)?;
    // several inputs are read as one: each flattened in ONNX's order, in the graph's order
    // an input of another rank (no batch axis in front, or more axes) is taken flat, in
    // ONNX's order: its shape cannot be mistaken for an image's
    let (input, lay) = match ins.as_slice() {
        [(one, lay)] if !matches!(lay, Lay::Nd { .. }) => (Some(*one), *lay),
        [(_, lay)] => (None, Lay::Vec(lay.full_shape().iter().product())),
        more => {
            let total: usize = more
                .iter()
                .map(|(_, l)| l.full_shape().iter().product::<usize>())
                .sum();
            notes.push(format!(
                "the model's {} inputs ({}) are read as one input of {total} values: each \
                 flattened in ONNX's order, in this order",
                more.len(),
                more.iter()
                    .map(|(i, l)| format!("{} {:?}", i.name, l.full_shape()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            (None, Lay::Vec(total))
        }
    };
    let mut input_shape = arkml_shape(&lay);
    if let Some(input) = input {
        vals.insert(
            input.name.clone(),
            Val::Dyn {
                value: 0,
                lay,
                pad: None,
            },
        );
    }
    let outputs = chosen_outputs(&g, opts, &mut notes)?;
    let needed = needed_nodes(&g, &outputs, &vals)?;
    let mut uses: HashMap<String, usize> = HashMap::new();
    let mut consumers: HashMap<String, Vec<&NodeProto>> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        if needed[i] {
            for x in &n.input {
                *uses.entry(x.clone()).or_default() += 1;
                consumers.entry(x.clone()).or_default().push(n);
            }
        }
    }
    if let Some(hwc) = input.and_then(|i| nhwc_input(i, lay, &consumers, &vals)) {
        let input = input.expect("one input");
        input_shape = arkml_shape(&hwc);
        vals.insert(
            input.name.clone(),
            Val::Dyn {
                value: 0,
                lay: hwc,
                pad: None,
            },
        );
        notes.push(
            "the input is NHWC (only transposed to NCHW): arkml's HWC, no transpose proven".into(),
        );
    }
    for o in &outputs {
        *uses.entry(o.clone()).or_default() += 1;
    }
    let mut b = Builder {
        layers: vec![],
        inputs: vec![],
        names: vec![],
        taken: Default::default(),
        vals,
        uses,
        value_uses: HashMap::new(),
        outputs: &outputs,
        notes,
        opts,
        opset,
        consumers,
        canonical: HashMap::new(),
        in_onnx_order: HashMap::new(),
    };
    if let Some(input) = input {
        b.bind(&input.name, 0);
    } else {
        let mut offset = 0;
        for (i, l) in &ins {
            // arkml element p of the input's layout is its ONNX element onnx_index(p)
            let count: usize = l.full_shape().iter().product();
            let index: Vec<usize> = (0..count).map(|p| offset + l.onnx_index(p)).collect();
            offset += count;
            let layer = if ins.len() == 1 {
                Layer::Reshape(ops::Reshape(arkml_shape(l)))
            } else {
                Layer::Select(ops::Select {
                    shape: arkml_shape(l),
                    index,
                })
            };
            let v = b.emit(layer, vec![0], &i.name);
            b.vals.insert(
                i.name.clone(),
                Val::Dyn {
                    value: v,
                    lay: *l,
                    pad: None,
                },
            );
            b.bind(&i.name, v);
        }
    }
    for (i, n) in g.node.iter().enumerate() {
        if needed[i] {
            let reads: Vec<usize> = n
                .input
                .iter()
                .filter_map(|x| match b.vals.get(x) {
                    Some(Val::Dyn { value, .. }) => Some(*value),
                    _ => None,
                })
                .collect();
            b.node(n)?;
            for v in reads {
                if let Some(u) = b.value_uses.get_mut(&v) {
                    *u = u.saturating_sub(1);
                }
            }
        }
    }
    finish(b, &outputs, opts, input_shape)
}

/// The default domain's opset (checked) and the graph (within the node limit).
fn opset_and_graph(bytes: &[u8]) -> Result<(i64, GraphProto), OnnxError> {
    let m = ModelProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))?;
    let mut opset = None;
    for o in &m.opset_import {
        if o.domain.is_empty() || o.domain == "ai.onnx" {
            if !OPSETS.contains(&o.version) {
                return Err(OnnxError::Opset {
                    domain: o.domain.clone(),
                    version: o.version,
                });
            }
            opset = Some(o.version);
        }
    }
    let g = m
        .graph
        .ok_or_else(|| OnnxError::Decode("the file holds no graph".into()))?;
    let max_nodes = crate::model::Limits::default().max_nodes;
    if g.node.len() > max_nodes {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: format!(
                "{} nodes, beyond the limit of {max_nodes} (Limits::max_nodes)",
                g.node.len()
            ),
        });
    }
    let opset = opset.ok_or_else(|| OnnxError::Decode("no opset for the default domain".into()))?;
    Ok((opset, g))
}

/// The model's real inputs (not initializers) and their layouts: a batch axis of 1 or
/// symbolic dropped, any other symbolic dimension refused.
fn the_inputs<'g>(
    g: &'g GraphProto,
    vals: &HashMap<String, Val>,
    notes: &mut Vec<String>,
) -> Result<Vec<(&'g ValueInfoProto, Lay)>, OnnxError> {
    let real: Vec<_> = g
        .input
        .iter()
        .filter(|i| !vals.contains_key(&i.name))
        .collect();
    if real.is_empty() {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: "the model has no input".into(),
        });
    }
    real.into_iter()
        .map(|i| Ok((i, input_layout(i, notes)?)))
        .collect()
}

/// One graph input's layout.
fn input_layout(input: &ValueInfoProto, notes: &mut Vec<String>) -> Result<Lay, OnnxError> {
    let in_err = |why: String| OnnxError::Input {
        name: input.name.clone(),
        why,
    };
    let tt = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| in_err("not a tensor".into()))?;
    if tt.elem_type != data_type::FLOAT && tt.elem_type != data_type::DOUBLE {
        return Err(in_err(format!(
            "element type {} is not float or double",
            tt.elem_type
        )));
    }
    let dims = &tt
        .shape
        .as_ref()
        .ok_or_else(|| in_err("has no shape".into()))?
        .dim;
    let mut shape = vec![];
    for (axis, d) in dims.iter().enumerate() {
        match (d.dim_value, &d.dim_param) {
            (Some(v), _) if v > 0 => shape.push(v as usize),
            (_, Some(p)) if axis == 0 => {
                notes.push(format!(
                    "batch axis {p:?} of input {:?} taken as 1",
                    input.name
                ));
                shape.push(1)
            }
            (Some(0) | None, None) if axis == 0 => shape.push(1),
            (_, Some(p)) => {
                return Err(in_err(format!(
                    "dimension {axis} is symbolic ({p:?}); export with a static shape"
                )))
            }
            (v, _) => {
                return Err(in_err(format!(
                    "dimension {axis} is {v:?}, not a positive size"
                )))
            }
        }
    }
    let limit = crate::model::Limits::default().max_elements;
    if !within_limit(&shape) {
        return Err(in_err(format!(
            "shape {shape:?} has more than {limit} elements"
        )));
    }
    let lay = match shape.as_slice() {
        [1, n] => Some(Lay::Vec(*n)),
        [1, c, l] => Some(Lay::Cl { c: *c, l: *l }),
        [1, c, h, w] => Some(Lay::Chw {
            c: *c,
            h: *h,
            w: *w,
        }),
        [n] => Some(Lay::Vec(*n)),
        // any other rank, in ONNX's element order; a leading axis other than 1 (a
        // sequence-first [T, N, F]) is kept as an axis
        other => Lay::of_full_shape(other),
    };
    lay.ok_or_else(|| {
        in_err(format!(
            "shape {shape:?}: more than {} axes besides the batch axis",
            MAX_ND
        ))
    })
}

/// The outputs to import: the ones asked for, or the graph's float outputs (and an
/// ArgMax's class), the others left out with a note.
fn chosen_outputs(
    g: &GraphProto,
    opts: &ImportOptions,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, OnnxError> {
    // outputs: chosen, or the graph's float outputs
    let outputs: Vec<String> = if opts.outputs.is_empty() {
        let mut outs = vec![];
        for o in &g.output {
            let elem = o
                .r#type
                .as_ref()
                .and_then(|t| t.tensor_type.as_ref())
                .map(|t| t.elem_type);
            // float outputs, and the class an ArgMax computes
            let from_argmax = g
                .node
                .iter()
                .any(|n| n.op_type == "ArgMax" && n.output.first() == Some(&o.name));
            if matches!(
                elem,
                Some(data_type::FLOAT) | Some(data_type::DOUBLE) | None
            ) || from_argmax
            {
                outs.push(o.name.clone());
            } else {
                notes.push(format!(
                    "output {:?} (element type {}) left out: not a float tensor",
                    o.name,
                    elem.unwrap_or(0)
                ));
            }
        }
        outs
    } else {
        opts.outputs.clone()
    };
    if outputs.is_empty() {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: "no float output to import (name one with the outputs option)".into(),
        });
    }
    Ok(outputs)
}

/// Which nodes the outputs need (the others are never read); an output no node produces is
/// an error.
fn needed_nodes(
    g: &GraphProto,
    outputs: &[String],
    vals: &HashMap<String, Val>,
) -> Result<Vec<bool>, OnnxError> {
    // only the nodes the outputs need
    let producer: HashMap<&str, usize> = g
        .node
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
        .collect();
    let mut needed = vec![false; g.node.len()];
    let mut stack: Vec<&str> = outputs.iter().map(|s| s.as_str()).collect();
    for o in &stack {
        if !producer.contains_key(o) && !vals.contains_key(*o) {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: format!("no node produces the output {o:?}"),
            });
        }
    }
    while let Some(v) = stack.pop() {
        if let Some(&i) = producer.get(v) {
            if !needed[i] {
                needed[i] = true;
                stack.extend(g.node[i].input.iter().map(|s| s.as_str()));
            }
        }
    }
    Ok(needed)
}

/// An NHWC input (tf2onnx, Keras) whose every consumer only transposes it to NCHW (or,
/// with one channel, reshapes it the same way): arkml's own layout, so nothing is proven
/// for the transpose.
fn nhwc_input(
    input: &ValueInfoProto,
    lay: Lay,
    consumers: &HashMap<String, Vec<&NodeProto>>,
    vals: &HashMap<String, Val>,
) -> Option<Lay> {
    let (Lay::Chw { c, h, w }, Some(cs)) = (lay, consumers.get(&input.name)) else {
        return None;
    };
    // a Transpose to NCHW, or (one channel) a Reshape to [N, 1, H, W] doing the same
    let to_nchw = |n: &&NodeProto| {
        (n.op_type == "Transpose" && attr_ints(n, "perm").as_deref() == Some(&[0, 3, 1, 2][..]))
            || (n.op_type == "Reshape"
                && w == 1
                && n.input.get(1).and_then(|s| vals.get(s)).is_some_and(|v| {
                    matches!(v, Val::Const(t) if t.iter().copied().collect::<Vec<f64>>().get(1..)
                        == Some(&[1.0, c as f64, h as f64][..]))
                }))
    };
    (!cs.is_empty() && cs.iter().all(to_nchw)).then_some(Lay::Hwc { h: c, w: h, c: w })
}

/// The imported model: the outputs' values (an ArgMax appended on request), the graph, and
/// the float model's own checks.
fn finish(
    mut b: Builder<'_>,
    outputs: &[String],
    opts: &ImportOptions,
    input_shape: Vec<usize>,
) -> Result<Imported, OnnxError> {
    let mut out_values = vec![];
    for o in outputs {
        match b.vals.get(o) {
            Some(Val::Dyn { value, lay, pad }) => {
                if pad.is_some() {
                    return Err(OnnxError::Graph {
                        node: o.clone(),
                        why: "a Pad output is a model output".into(),
                    });
                }
                if let Lay::FlatChw { c, h, w } = lay {
                    b.notes.push(format!(
                        "output {o:?} is in HWC order (a flattened {c}x{h}x{w} map; ONNX's is CHW)"
                    ));
                }
                out_values.push(*value)
            }
            Some(Val::Const(_)) | None => {
                return Err(OnnxError::Graph {
                    node: o.clone(),
                    why: "the output does not depend on the input".into(),
                })
            }
        }
    }
    if opts.argmax {
        if out_values.len() != 1 {
            return Err(OnnxError::Graph {
                node: "graph".into(),
                why: "an ArgMax needs exactly one output".into(),
            });
        }
        let v = b.emit(Layer::ArgMax(ops::ArgMax), vec![out_values[0]], "argmax");
        out_values = vec![v];
    }
    if b.layers.is_empty() {
        return Err(OnnxError::Graph {
            node: "graph".into(),
            why: "the model computes nothing".into(),
        });
    }
    let last = b.layers.len();
    let graph = Graph {
        inputs: b.inputs,
        names: b.names,
        outputs: if out_values == [last] {
            vec![]
        } else {
            out_values
        },
    };
    let model = FloatModel {
        input_shape,
        input_max: opts.input_max,
        layers: b.layers,
        graph,
    };
    model.check()?;
    Ok(Imported {
        model,
        notes: b.notes,
    })
}
