//! The op table: one mapping per ONNX op (or op family), registered once in [`OPS`]. The
//! supported list in errors ([`super::supported_ops`]) and in `docs/import.md` is made from
//! it (`tests/onnx.rs` fails if the doc and the table differ), and [`Builder::node`]
//! dispatches through it: an op that is not in the table is refused naming it.

use super::*;

mod activation;
mod arith;
mod attention;
mod basic;
mod constant;
mod linear;
mod norm;
mod pool;
mod recurrent;
mod shape;
mod wires;

/// One op's mapping onto arkml layers.
pub(super) type Map =
    for<'a, 'b, 'c> fn(&'a mut Builder<'b>, &'c NodeProto) -> Result<(), OnnxError>;

/// Every op of the default domain the importer reads: its name, what of it is read (empty:
/// all of it), and its mapping.
pub(super) const OPS: &[(&str, &str, Map)] = &[
    (
        "Conv",
        "1D, 2D; any pads, strides, dilations; group 1, depthwise or grouped",
        |b, n| b.conv(n),
    ),
    ("ConvTranspose", "2D, group 1, explicit pads", |b, n| {
        b.conv_transpose(n)
    }),
    ("Gemm", "", |b, n| b.gemm(n)),
    (
        "MatMul",
        "by a constant, or of two activations (batched)",
        |b, n| b.matmul(n),
    ),
    ("BatchNormalization", "", |b, n| b.batch_norm(n)),
    (
        "LayerNormalization",
        "any axis; checked inverse square root",
        |b, n| b.normalization(n),
    ),
    (
        "InstanceNormalization",
        "checked inverse square root",
        |b, n| b.normalization(n),
    ),
    ("Add", "by a constant, or of two activations", |b, n| {
        b.binary(n)
    }),
    ("Sub", "by a constant, or of two activations", |b, n| {
        b.binary(n)
    }),
    (
        "Mul",
        "by a constant, or of two activations (a product)",
        |b, n| b.binary(n),
    ),
    ("Div", "by a constant, or of two activations", |b, n| {
        b.binary(n)
    }),
    ("Pow", "by a constant integer from 1 to 4", |b, n| b.pow(n)),
    ("Relu", "", |b, n| b.relu(n)),
    ("Abs", "", |b, n| b.abs(n)),
    ("LeakyRelu", "", |b, n| b.leaky_relu(n)),
    ("PRelu", "one slope", |b, n| b.prelu(n)),
    ("Clip", "to constants", |b, n| b.clip(n)),
    ("HardSigmoid", "", |b, n| b.hard_sigmoid(n)),
    ("HardSwish", "", |b, n| b.hard_sigmoid(n)),
    ("Sigmoid", "piecewise-cubic kernel", |b, n| b.sigmoid(n)),
    ("Tanh", "piecewise-cubic kernel", |b, n| b.sigmoid(n)),
    ("Erf", "piecewise-cubic kernel; GELU", |b, n| b.erf(n)),
    ("Softplus", "piecewise-cubic kernel", |b, n| {
        b.softplus_elu(n)
    }),
    ("Elu", "any alpha; piecewise-cubic kernel", |b, n| {
        b.softplus_elu(n)
    }),
    ("Celu", "piecewise-cubic kernel", |b, n| b.elu_family(n)),
    ("Selu", "piecewise-cubic kernel", |b, n| b.elu_family(n)),
    (
        "LSTM",
        "unrolled; batch 1, default activations, zero initial state",
        |b, n| b.recurrent(n),
    ),
    (
        "GRU",
        "unrolled; batch 1, default activations, zero initial state",
        |b, n| b.recurrent(n),
    ),
    (
        "Softmax",
        "any axis; dropped on the way to an output",
        |b, n| b.softmax(n),
    ),
    ("LogSoftmax", "on the way to an output", |b, n| b.softmax(n)),
    ("MaxPool", "1D, 2D; ceil_mode", |b, n| b.pool(n)),
    (
        "AveragePool",
        "1D, 2D; ceil_mode, count_include_pad 0",
        |b, n| b.pool(n),
    ),
    ("GlobalAveragePool", "1D, 2D, any rank", |b, n| {
        b.global_pool(n)
    }),
    ("GlobalMaxPool", "1D, 2D, any rank", |b, n| b.global_pool(n)),
    ("ReduceMean", "any axes", |b, n| b.reduce(n)),
    ("ReduceSum", "any axes", |b, n| b.reduce(n)),
    ("ReduceMax", "any axes", |b, n| b.reduce(n)),
    ("ReduceMin", "any axes", |b, n| b.reduce(n)),
    ("ReduceL1", "any axes", |b, n| b.reduce(n)),
    ("ReduceSumSquare", "any axes", |b, n| b.reduce(n)),
    ("Flatten", "any axis", |b, n| b.flatten_node(n)),
    ("Reshape", "", |b, n| b.reshape(n)),
    ("Transpose", "", |b, n| b.transpose(n)),
    ("Squeeze", "", |b, n| b.squeeze(n)),
    ("Unsqueeze", "", |b, n| b.squeeze(n)),
    ("Concat", "any axis", |b, n| b.concat(n)),
    ("Slice", "any axes and steps", |b, n| b.wires(n)),
    ("Split", "", |b, n| b.wires(n)),
    ("Gather", "by constant indices", |b, n| b.wires(n)),
    ("GatherND", "by constant indices, batch_dims 0", |b, n| {
        b.wires(n)
    }),
    ("Expand", "", |b, n| b.wires(n)),
    ("Tile", "", |b, n| b.wires(n)),
    ("DepthToSpace", "DCR, CRD", |b, n| b.wires(n)),
    ("SpaceToDepth", "", |b, n| b.wires(n)),
    ("Pad", "constant, edge, reflect, wrap; any axes", |b, n| {
        b.pad(n)
    }),
    ("Resize", "nearest, integer factors", |b, n| b.resize(n)),
    ("Upsample", "nearest, integer factors", |b, n| b.resize(n)),
    ("ArgMax", "", |b, n| b.argmax(n)),
    ("Identity", "", |b, n| b.alias(n)),
    ("Dropout", "", |b, n| b.alias(n)),
    ("Cast", "", |b, n| b.cast(n)),
    ("Constant", "", |b, n| b.constant_node(n)),
    ("Shape", "", |b, n| b.shape(n)),
    ("Neg", "on constants", |b, n| b.fold_elementwise(n)),
    ("Sqrt", "checked kernel", |b, n| b.root_or_fold(n)),
    ("Reciprocal", "checked kernel", |b, n| b.root_or_fold(n)),
    ("Exp", "on constants", |b, n| b.fold_elementwise(n)),
    ("Log", "on constants", |b, n| b.fold_elementwise(n)),
    ("Floor", "on constants", |b, n| b.fold_elementwise(n)),
    ("Ceil", "on constants", |b, n| b.fold_elementwise(n)),
    ("Mod", "on constants", |b, n| b.fold_elementwise(n)),
    ("Equal", "on constants", |b, n| b.fold_elementwise(n)),
    ("Less", "on constants", |b, n| b.fold_elementwise(n)),
    ("Greater", "on constants", |b, n| b.fold_elementwise(n)),
    ("LessOrEqual", "on constants", |b, n| b.fold_elementwise(n)),
    ("GreaterOrEqual", "on constants", |b, n| {
        b.fold_elementwise(n)
    }),
    ("Not", "on constants", |b, n| b.fold_elementwise(n)),
    ("And", "on constants", |b, n| b.fold_elementwise(n)),
    ("Or", "on constants", |b, n| b.fold_elementwise(n)),
    ("Min", "on constants", |b, n| b.fold_elementwise(n)),
    ("Max", "on constants", |b, n| b.fold_elementwise(n)),
    ("Where", "on constants", |b, n| b.fold_elementwise(n)),
    ("Range", "", |b, n| b.fold_elementwise(n)),
    ("ConstantOfShape", "", |b, n| b.fold_elementwise(n)),
];

/// The supported list, from the table: `Name (what is read), ...`, then the
/// `ai.onnx.ml` ops.
pub(super) fn supported_list() -> String {
    let ops: Vec<String> = OPS
        .iter()
        .map(|(op, note, _)| {
            if note.is_empty() {
                op.to_string()
            } else {
                format!("{op} ({note})")
            }
        })
        .collect();
    format!("{}; {}", ops.join(", "), super::ml::ML_OPS)
}

impl Builder<'_> {
    /// One node, through the table (or the `ai.onnx.ml` mappings).
    pub(super) fn node(&mut self, n: &NodeProto) -> Result<(), OnnxError> {
        if n.domain == "ai.onnx.ml" {
            return self.ml_node(n);
        }
        if !(n.domain.is_empty() || n.domain == "ai.onnx") {
            return Err(self.unsupported(n, format!("domain {:?}", n.domain)));
        }
        match OPS.iter().find(|(op, _, _)| *op == n.op_type) {
            Some((_, _, map)) => map(self, n),
            None => Err(self.unsupported(n, "op not supported")),
        }
    }
}
