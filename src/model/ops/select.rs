//! A wire selection: each output element is one element of the inputs, flattened row-major
//! and concatenated. Every free rearrangement of any rank is one: transpose, slice with
//! steps, split, concatenation on any axis, broadcast (`Expand`), a gather by constant
//! indices, a reshape across layouts. Zero constraints; bound: the largest input bound.

use arkml_gadgets::Error;
use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::*;

/// Output element `k` (row-major over `shape`) is element `index[k]` of the inputs
/// flattened row-major and concatenated in order.
///
/// ```
/// use arkml::model::{ints, ops::Select, Layer, Model};
/// use arkml::ndarray::array;
/// // a 2 x 3 transpose: output [j][i] = input [i][j]
/// let t = Select { shape: vec![3, 2], index: vec![0, 3, 1, 4, 2, 5] };
/// let model = Model::chain(&[2, 3], 4, vec![Layer::Select(t)]);
/// let y = model.predict(&ints(array![[1, 2, 3], [4, 5, 6]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[1, 4], [2, 5], [3, 6]]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[0].constraints, 0);
/// // an index beyond the inputs is refused before any inference
/// let bad = Select { shape: vec![1], index: vec![6] };
/// assert!(Model::chain(&[2, 3], 4, vec![Layer::Select(bad)]).analyse().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    /// The output shape.
    pub shape: Vec<usize>,
    /// Per output element (row-major), its position in the concatenated flat inputs.
    pub index: Vec<usize>,
}

impl Select {
    fn apply<T: Clone>(&self, xs: &[&ArrayD<T>]) -> Result<ArrayD<T>, Error> {
        let flat: Vec<&T> = xs.iter().flat_map(|x| x.iter()).collect();
        let data = self
            .index
            .iter()
            .map(|&i| {
                flat.get(i)
                    .map(|v| (*v).clone())
                    .ok_or_else(|| Error::param("select index", format!("{i} of {}", flat.len())))
            })
            .collect::<Result<Vec<T>, Error>>()?;
        ArrayD::from_shape_vec(IxDyn(&self.shape), data)
            .map_err(|e| Error::param("select shape", e.to_string()))
    }
}

impl<N: Clone + Debug> Op<N> for Select {
    fn kind(&self) -> &'static str {
        "Select"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        within("select output", &self.shape, limits)?;
        let n = checked_count(&self.shape).ok_or_else(too_big)?;
        want("select index count", n, self.index.len())?;
        let mut total = 0usize;
        for s in ins {
            total = total
                .checked_add(checked_count(s).ok_or_else(too_big)?)
                .ok_or_else(too_big)?;
        }
        if let Some(&i) = self.index.iter().find(|&&i| i >= total) {
            return Err(Error::param(
                "select index",
                format!("{i}, beyond the inputs' {total} elements"),
            ));
        }
        Ok(self.shape.clone())
    }
}

impl IntOp for Select {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        widest(ins)
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s.clone())
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        0
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        Ok(LayerOutput {
            out: self.apply(ins)?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        let xs: Vec<&ArrayD<FpVar<Fr>>> = ins.iter().map(|x| x.vars).collect();
        Ok(Out::vars(self.apply(&xs)?))
    }
}

impl FloatOp for Select {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        self.apply(ins)
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok(self.clone().into())
    }
}

impl<N: Num> FileForm<N> for Select {
    const TAGS: &'static [&'static str] = &["select"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(Select {
            shape: f.req("shape")?,
            index: f.req("index")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("shape", &self.shape);
        f.put("index", &self.index);
        "select"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gathers_across_inputs_with_repeats() {
        let a = ArrayD::from_shape_vec(IxDyn(&[2]), vec![1, 2]).unwrap();
        let b = ArrayD::from_shape_vec(IxDyn(&[1]), vec![7]).unwrap();
        let s = Select {
            shape: vec![2, 2],
            index: vec![2, 0, 2, 1],
        };
        let y = s.apply(&[&a, &b]).unwrap();
        assert_eq!(y.into_raw_vec_and_offset().0, vec![7, 1, 7, 2]);
        let e = s.apply(&[&a]).unwrap_err();
        assert!(e.to_string().contains("select index"), "{e}");
    }
}
