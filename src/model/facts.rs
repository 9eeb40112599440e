//! The facts pass: every value's shape, proven bound, scale, sign and exact constraint
//! count from the input's and the parameters' alone, with no constraint system (what
//! synthesis will prove and write, each op computing its own: [`IntOp`](super::ops::IntOp)).
//! It runs before any heavy work ([`ModelCircuit::new`](crate::circuit::ModelCircuit::new),
//! [`Bounty::check`](crate::bounty::Bounty::check), `arkml quantize`, `arkml inspect`), so
//! a bound too wide for the field is a typed error naming the layer and the bits before
//! setup or proving. Tests check the bounds and counts equal those synthesis proves and
//! writes, op by op.

use arkml_gadgets::Error;
use num_bigint::BigUint;

use super::{Layer, Model, ModelError};

/// What is known about one value before synthesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// Shape.
    pub shape: Vec<usize>,
    /// Proven bound: every value satisfies `-2^B <= v < 2^B`.
    pub bound: u32,
    /// The fixed-point scale, where the model declares one ([`Model::scale`]).
    pub scale: Option<BigUint>,
    /// Whether every value is known non-negative (after a ReLU).
    pub nonneg: bool,
    /// Whether synthesis keeps each value's sign bit (a rescale's quotients), so a ReLU
    /// reading it costs one constraint per element.
    pub signs: bool,
    /// The constraints the op that makes the value writes (0 for the model input, whose
    /// range check [`Model::input_cost`] counts).
    pub cost: usize,
}

impl Model {
    /// The model input's facts.
    pub(crate) fn input_facts(&self) -> Facts {
        Facts {
            shape: self.input_shape.clone(),
            bound: self.input_bound,
            scale: self.scale.clone(),
            nonneg: false,
            signs: false,
            cost: 0,
        }
    }

    /// The constraints of the input's range check: `input_bound + 2` per element.
    pub fn input_cost(&self) -> usize {
        self.input_shape.iter().product::<usize>() * (self.input_bound as usize + 2)
    }

    /// The constraints [`Model::synthesize`] writes, without synthesis: the input's range
    /// check, each public or private weight's range check to its declared width
    /// (`bits + 2` each; none for constants) and every layer's cost.
    pub fn constraints(&self) -> Result<usize, ModelError> {
        let layers: usize = self.facts()?.iter().map(|f| f.cost).sum();
        let weights: usize =
            if self.weights.visibility == arkml_gadgets::tensor::Visibility::Constant {
                0
            } else {
                self.layers
                    .iter()
                    .flat_map(|l| l.params())
                    .map(|(t, p)| t.len() * arkml_gadgets::range::bound_cost(self.weights.bits(p)))
                    .sum()
            };
        Ok(self.input_cost() + weights + layers)
    }

    /// Every layer's [`Facts`] (shape, bound, scale, sign, constraints), without synthesis.
    /// Errors as synthesis would, naming the layer: a shape that does not fit, a bound too
    /// wide for the field, inputs at different scales.
    pub fn facts(&self) -> Result<Vec<Facts>, ModelError> {
        let shapes = self.shapes()?;
        let cx = self.cx();
        let mut values = vec![self.input_facts()];
        for (index, layer) in self.layers.iter().enumerate() {
            let e = |source| {
                self.graph.named(ModelError::Layer {
                    index,
                    kind: layer.kind(),
                    source,
                })
            };
            let ins: Vec<&Facts> = self
                .graph
                .inputs_of(index)
                .iter()
                .map(|&v| &values[v])
                .collect();
            let f = layer_facts(layer, &ins, shapes[index].clone(), &cx).map_err(e)?;
            values.push(f);
        }
        values.remove(0);
        Ok(values)
    }
}

/// One layer's facts from its inputs'.
fn layer_facts(
    layer: &Layer,
    ins: &[&Facts],
    shape: Vec<usize>,
    cx: &super::ops::Cx,
) -> Result<Facts, Error> {
    if let Some(k) = (1..ins.len())
        .find(|&k| matches!((&ins[0].scale, &ins[k].scale), (Some(a), Some(c)) if a != c))
    {
        let fmt = |s: &Option<BigUint>| s.as_ref().map_or("?".into(), super::format_scale);
        return Err(Error::param(
            "inputs",
            format!(
                "at different scales: {} and {}",
                fmt(&ins[0].scale),
                fmt(&ins[k].scale)
            ),
        ));
    }
    let b = layer.facts(ins, cx)?;
    let scale = match ins
        .iter()
        .map(|f| f.scale.as_ref())
        .collect::<Option<Vec<_>>>()
    {
        Some(s) if !s.is_empty() => layer.scale(s[0], cx),
        _ => None,
    };
    let mut f = Facts {
        shape,
        bound: b.bound,
        scale,
        nonneg: b.nonneg,
        signs: b.signs,
        cost: 0,
    };
    // every op's output bound within the field, whatever its own facts checked
    arkml_gadgets::fixed::check_bound::<ark_bn254::Fr>("output bound", f.bound)?;
    f.cost = layer.cost(ins, &f, cx);
    if f.cost == usize::MAX {
        return Err(Error::param(
            "parameters",
            "the gadget refuses them at these bounds (its cost function says so)",
        ));
    }
    Ok(f)
}
