//! The model JSON format (integer and float models, version 1 chains and version 2 graphs).

use super::*;

/// One entry of `"layers"`: a layer, with (version 2) an optional node name and the names
/// of the values it reads (`"input"` is the model's input; default: the previous entry).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LayerEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inputs: Option<Vec<String>>,
    /// The op's `"type"`.
    #[serde(rename = "type")]
    kind: String,
    /// The op's own fields ([`FileForm`]).
    #[serde(flatten)]
    fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Dtype {
    #[default]
    Int,
    Float,
}

/// A model file. Read with each layer kept as its raw JSON text (`L = Box<RawValue>`) and
/// turned into an op one layer at a time ([`read_layers`]), so the parsed JSON of one layer,
/// never of the whole file, is in memory at once (a 2M-weight model's JSON values took
/// about 300 MB); written with `L = LayerEntry`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile<L = LayerEntry> {
    format: String,
    version: u32,
    #[serde(default)]
    dtype: Dtype,
    input_shape: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_bound: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    input_max: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale: Option<String>,
    #[serde(default)]
    input_visibility: VisibilityFile,
    #[serde(default)]
    weights: Option<WeightsFile>,
    layers: Vec<L>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<String>>,
}

type RawLayer = Box<serde_json::value::RawValue>;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum WeightVisibilityFile {
    Constant,
    Public,
    Private,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsFile {
    visibility: WeightVisibilityFile,
    #[serde(default)]
    weight_bits: u32,
    #[serde(default)]
    bias_bits: u32,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum VisibilityFile {
    #[default]
    Private,
    Public,
}

impl From<VisibilityFile> for Visibility {
    fn from(v: VisibilityFile) -> Self {
        match v {
            VisibilityFile::Public => Visibility::Public,
            VisibilityFile::Private => Visibility::Private,
        }
    }
}

impl From<Visibility> for VisibilityFile {
    fn from(v: Visibility) -> Self {
        if v == Visibility::Public {
            VisibilityFile::Public
        } else {
            VisibilityFile::Private
        }
    }
}

impl From<WeightsFile> for WeightSpec {
    fn from(w: WeightsFile) -> Self {
        WeightSpec {
            visibility: match w.visibility {
                WeightVisibilityFile::Constant => Visibility::Constant,
                WeightVisibilityFile::Public => Visibility::Public,
                WeightVisibilityFile::Private => Visibility::Private,
            },
            weight_bits: w.weight_bits,
            bias_bits: w.bias_bits,
        }
    }
}

impl From<WeightSpec> for WeightsFile {
    fn from(w: WeightSpec) -> Self {
        WeightsFile {
            visibility: match w.visibility {
                Visibility::Constant => WeightVisibilityFile::Constant,
                Visibility::Public => WeightVisibilityFile::Public,
                Visibility::Private => WeightVisibilityFile::Private,
            },
            weight_bits: w.weight_bits,
            bias_bits: w.bias_bits,
        }
    }
}

/// A field error for layer `i`.
fn field_err(i: usize, kind: &str, field: &str, why: String) -> FileError {
    FileError::Field {
        layer: i.to_string(),
        kind: kind.to_string(),
        field: field.into(),
        why,
    }
}

/// Layer `i` of a file: the op its `"type"` names, reading its own fields; an unknown or
/// invalid field is an error naming the layer and the field. The fields are moved out of
/// the entry (a model's weights are read once, not copied first).
fn read_layer<N: Num>(i: usize, entry: &mut LayerEntry) -> Result<Layer<N>, FileError> {
    let mut f = Fields::new(std::mem::take(&mut entry.fields));
    Layer::<N>::read(&entry.kind, &mut f)
        .and_then(|l| f.finish().map(|_| l))
        .map_err(|e| match e {
            arkml_gadgets::Error::InvalidParameter { what, why } => {
                field_err(i, &entry.kind, &what, why)
            }
            other => field_err(i, &entry.kind, "type", other.to_string()),
        })
}

/// Layer `i`'s file entry: its `"type"` and fields.
fn write_layer<N: Num>(l: &Layer<N>) -> (String, serde_json::Map<String, serde_json::Value>) {
    let mut f = Fields::default();
    let kind = l.write(&mut f);
    (kind.to_string(), f.into_map())
}

fn parse_file(text: &str, path: &str) -> Result<ModelFile<RawLayer>, FileError> {
    let f: ModelFile<RawLayer> = serde_json::from_str(text).map_err(|source| FileError::Json {
        path: path.to_string(),
        source,
    })?;
    if f.format != "arkml-model" {
        return Err(header(
            "format",
            format!("expected \"arkml-model\", got {:?}", f.format),
        ));
    }
    if f.version != 1 && f.version != 2 {
        return Err(header(
            "version",
            format!("unsupported version {} (1: a chain, 2: a graph)", f.version),
        ));
    }
    let max = crate::model::Limits::default().max_nodes;
    if f.layers.len() > max {
        return Err(header(
            "layers",
            format!(
                "{} layers, beyond the limit of {max} (Limits::max_nodes)",
                f.layers.len()
            ),
        ));
    }
    Ok(f)
}

/// Turns each raw layer of `f` into an op, one at a time (its JSON values freed as soon as
/// the op holds its parameters; `f.layers` is left empty), and returns each layer's entry
/// (name, inputs, kind; the fields moved out) beside the ops.
fn read_layers<N: Num>(
    f: &mut ModelFile<RawLayer>,
    path: &str,
) -> Result<(Vec<LayerEntry>, Vec<Layer<N>>), FileError> {
    let raw = std::mem::take(&mut f.layers);
    let mut entries = Vec::with_capacity(raw.len());
    let mut layers = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let mut entry: LayerEntry =
            serde_json::from_str(r.get()).map_err(|source| FileError::Json {
                path: format!("{path}, layer {i}"),
                source,
            })?;
        drop(r);
        layers.push(read_layer::<N>(i, &mut entry)?);
        entries.push(entry);
    }
    if f.version == 1
        && (f.outputs.is_some()
            || entries
                .iter()
                .any(|l| l.name.is_some() || l.inputs.is_some()))
    {
        return Err(header(
            "version",
            "node names, inputs and outputs need version 2".into(),
        ));
    }
    Ok((entries, layers))
}

fn header(field: &str, why: String) -> FileError {
    FileError::Field {
        layer: "-".into(),
        kind: "header".into(),
        field: field.into(),
        why,
    }
}

/// Whether a model file holds float weights (`"dtype": "float"`) or integers.
pub fn is_float_model(text: &str, path: &str) -> Result<bool, FileError> {
    Ok(parse_file(text, path)?.dtype == Dtype::Float)
}

/// Parses an integer model from its JSON text (`path` only names it in errors).
pub fn model_from_json(text: &str, path: &str) -> Result<Model, FileError> {
    let mut f = parse_file(text, path)?;
    if f.dtype != Dtype::Int {
        return Err(header(
            "dtype",
            "a float model: quantise it first (arkml::quant, `arkml quantize`)".into(),
        ));
    }
    let input_bound = f
        .input_bound
        .ok_or_else(|| header("input_bound", "required in an integer model".into()))?;
    let (entries, layers) = read_layers::<BigInt>(&mut f, path)?;
    let (layers, graph) = resolve_graph(&f, &entries, layers)?;
    let scale = f
        .scale
        .as_deref()
        .map(|v| {
            v.parse::<BigUint>()
                .ok()
                .filter(|n| !n.is_zero())
                .ok_or_else(|| header("scale", format!("{v:?} is not a positive integer")))
        })
        .transpose()?;
    let m = Model {
        input_shape: f.input_shape,
        input_bound,
        input_visibility: f.input_visibility.into(),
        layers,
        graph,
        weights: f.weights.map_or_else(Default::default, Into::into),
        scale,
    };
    m.shapes()?;
    Ok(m)
}

/// Resolves a version-2 file's node names into a [`Graph`] over the layers sorted
/// topologically; typed errors for a duplicate or reserved name, an input naming no node, a
/// cycle, and an output naming no node.
fn resolve_graph<L, R>(
    f: &ModelFile<R>,
    entries: &[LayerEntry],
    layers: Vec<L>,
) -> Result<(Vec<L>, Graph), FileError> {
    let n = entries.len();
    if f.version == 1 {
        return Ok((layers, Graph::default()));
    }
    // a node is named by its name where it has one (the file's position otherwise)
    let gerr = |i: Option<usize>, field: &str, why: String| FileError::Field {
        layer: i.map_or("-".into(), |i| match &entries[i].name {
            Some(name) => format!("{i} {name:?}"),
            None => i.to_string(),
        }),
        kind: i.map_or("graph".into(), |i| entries[i].kind.clone()),
        field: field.into(),
        why,
    };
    let names: Vec<String> = (0..n)
        .map(|i| entries[i].name.clone().unwrap_or_else(|| format!("n{i}")))
        .collect();
    let mut index = std::collections::HashMap::new();
    for (i, name) in names.iter().enumerate() {
        if name == "input" || name.is_empty() {
            return Err(gerr(Some(i), "name", format!("{name:?} is reserved")));
        }
        if index.insert(name.clone(), i).is_some() {
            return Err(gerr(
                Some(i),
                "name",
                format!("duplicate node name {name:?}"),
            ));
        }
    }
    // each entry's inputs as file indices (None: the model input); default: the previous
    let mut deps: Vec<Vec<Option<usize>>> = Vec::with_capacity(n);
    for (i, entry) in entries.iter().enumerate() {
        let d = match &entry.inputs {
            None => vec![i.checked_sub(1)],
            Some(list) if list.is_empty() => {
                return Err(gerr(
                    Some(i),
                    "inputs",
                    "an empty list: name what the node reads (\"input\" for the model's \
                     input), or leave `inputs` out to read the entry before it"
                        .into(),
                ))
            }
            Some(list) => list
                .iter()
                .map(|name| {
                    if name == "input" {
                        Ok(None)
                    } else {
                        index.get(name).map(|&j| Some(j)).ok_or_else(|| {
                            gerr(Some(i), "inputs", format!("no node is named {name:?}"))
                        })
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        deps.push(d);
    }
    // topological order (depth-first; a node met again while open closes a cycle)
    let mut state = vec![0u8; n]; // 0 new, 1 open, 2 done
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut k)) = stack.last_mut() {
            if *k == 0 {
                if state[node] == 2 {
                    stack.pop();
                    continue;
                }
                state[node] = 1;
            }
            if let Some(dep) = deps[node].get(*k).copied() {
                *k += 1;
                if let Some(j) = dep {
                    match state[j] {
                        1 => {
                            return Err(gerr(
                                Some(node),
                                "inputs",
                                format!("a cycle through {:?} and {:?}", names[node], names[j]),
                            ))
                        }
                        0 => stack.push((j, 0)),
                        _ => {}
                    }
                }
            } else {
                state[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    let mut pos = vec![0usize; n];
    for (p, &j) in order.iter().enumerate() {
        pos[j] = p;
    }
    let value = |d: Option<usize>| d.map_or(0, |j| pos[j] + 1);
    let mut slots: Vec<Option<L>> = layers.into_iter().map(Some).collect();
    let sorted: Vec<L> = order
        .iter()
        .map(|&j| slots[j].take().expect("each layer once"))
        .collect();
    let graph = Graph {
        inputs: order
            .iter()
            .map(|&j| deps[j].iter().map(|&d| value(d)).collect())
            .collect(),
        names: order.iter().map(|&j| names[j].clone()).collect(),
        outputs: match &f.outputs {
            Some(list) => list
                .iter()
                .map(|name| {
                    if name == "input" {
                        Ok(0)
                    } else {
                        index.get(name).map(|&j| pos[j] + 1).ok_or_else(|| {
                            gerr(None, "outputs", format!("no node is named {name:?}"))
                        })
                    }
                })
                .collect::<Result<_, _>>()?,
            // the last entry of the file, when sorting moved it
            None if n > 0 && pos[n - 1] + 1 != n => vec![pos[n - 1] + 1],
            None => vec![],
        },
    };
    Ok((sorted, graph))
}

/// Parses a float model (`"dtype": "float"`): tensors hold JSON numbers or decimal strings,
/// `input_max` is required, no `rescale` layers (quantisation inserts them), activations
/// without integer parameters (`{"type": "leaky_relu", "alpha": 0.1}`, `{"type": "poly"}`,
/// `{"type": "sigmoid"}`, `{"type": "tanh"}`).
pub fn float_model_from_json(text: &str, path: &str) -> Result<FloatModel, FileError> {
    let mut f = parse_file(text, path)?;
    if f.dtype != Dtype::Float {
        return Err(header("dtype", "expected \"float\"".into()));
    }
    let input_max = f.input_max.filter(|v| v.is_finite()).ok_or_else(|| {
        header(
            "input_max",
            "a finite number is required in a float model".into(),
        )
    })?;
    let (entries, layers) = read_layers::<f64>(&mut f, path)?;
    let (layers, graph) = resolve_graph(&f, &entries, layers)?;
    let fm = FloatModel {
        input_shape: f.input_shape,
        input_max,
        layers,
        graph,
    };
    fm.check()?;
    Ok(fm)
}

/// A model's entries as a file lists them: each layer's file form, with its name and inputs
/// when the graph is not a plain chain; the version (2 for a graph) and the named outputs.
fn graph_entries(
    graph: &Graph,
    layers: impl Iterator<Item = (String, serde_json::Map<String, serde_json::Value>)>,
) -> (u32, Vec<LayerEntry>, Option<Vec<String>>) {
    let chain = graph.is_chain();
    let value_name = |v: usize| {
        if v == 0 {
            "input".to_string()
        } else {
            graph.name_of(v - 1)
        }
    };
    let entries = layers
        .enumerate()
        .map(|(i, (kind, fields))| LayerEntry {
            name: (!chain).then(|| graph.name_of(i)),
            inputs: (!chain).then(|| graph.inputs_of(i).iter().map(|&v| value_name(v)).collect()),
            kind,
            fields,
        })
        .collect();
    let outputs = (!chain && !graph.outputs.is_empty())
        .then(|| graph.outputs.iter().map(|&v| value_name(v)).collect());
    (if chain { 1 } else { 2 }, entries, outputs)
}

/// The model as JSON text.
pub fn model_to_json(m: &Model) -> String {
    let (version, layers, outputs) = graph_entries(&m.graph, m.layers.iter().map(write_layer));
    let f = ModelFile {
        format: "arkml-model".into(),
        version,
        dtype: Dtype::Int,
        input_shape: m.input_shape.clone(),
        input_bound: Some(m.input_bound),
        input_max: None,
        scale: m.scale.as_ref().map(|s| s.to_string()),
        input_visibility: m.input_visibility.into(),
        weights: Some(m.weights.into()),
        layers,
        outputs,
    };
    serde_json::to_string(&f).expect("serialisable")
}

/// A float model as JSON text (`"dtype": "float"`, version 2 when wired as a graph), as
/// [`float_model_from_json`] reads it.
pub fn float_model_to_json(m: &FloatModel) -> String {
    let (version, layers, outputs) = graph_entries(&m.graph, m.layers.iter().map(write_layer));
    let f = ModelFile {
        format: "arkml-model".into(),
        version,
        dtype: Dtype::Float,
        input_shape: m.input_shape.clone(),
        input_bound: None,
        input_max: Some(m.input_max),
        scale: None,
        input_visibility: Visibility::Private.into(),
        weights: None,
        layers,
        outputs,
    };
    serde_json::to_string(&f).expect("serialisable")
}

/// Saves a float model file.
pub fn save_float_model(path: &Path, m: &FloatModel) -> Result<(), FileError> {
    std::fs::write(path, float_model_to_json(m)).map_err(io(path))
}

/// Loads a model file.
pub fn load_model(path: &Path) -> Result<Model, FileError> {
    let text = read_text_limited(path)?;
    model_from_json(&text, &path.display().to_string())
}

/// Loads a float model file (`"dtype": "float"`).
pub fn load_float_model(path: &Path) -> Result<FloatModel, FileError> {
    let text = read_text_limited(path)?;
    float_model_from_json(&text, &path.display().to_string())
}

/// Saves a model file.
pub fn save_model(path: &Path, m: &Model) -> Result<(), FileError> {
    std::fs::write(path, model_to_json(m)).map_err(io(path))
}
