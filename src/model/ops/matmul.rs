//! A batched matrix product of two activations (attention's `q k^T` and `att v`):
//! `[batch, m, k] x [batch, k, n] -> [batch, m, n]`, one constraint per multiply-accumulate
//! ([`arkml_gadgets::activation::product`]; the sums are linear combinations, free). With
//! both inputs at scale `S` the output is at `S^2`, and the quantiser puts one rescale by
//! `S` after it (per output, not per product). Cost: `batch m n k`. Bound: the two inputs'
//! bounds plus one, plus `ceil(log2 k)`.

use arkml_gadgets::{
    activation::{native_product, product, product_bound},
    fixed::check_bound,
    Error,
};
use ndarray::{ArrayD, ArrayViewD, IxDyn};

use super::*;

/// `[batch, m, k] x [batch, k, n]`.
///
/// ```
/// use arkml::model::{ints, ops::MatMul, Graph, Layer, Model};
/// use arkml::ndarray::array;
/// // x x^T for a 2 x 2 input: the input read as [1, 2, 2] and, through a free
/// // transpose, as [1, 2, 2]
/// let mm = MatMul { batch: 1, m: 2, k: 2, n: 2 };
/// let t = arkml::model::ops::Select { shape: vec![1, 2, 2], index: vec![0, 2, 1, 3] };
/// let x = arkml::model::ops::Select { shape: vec![1, 2, 2], index: vec![0, 1, 2, 3] };
/// let mut model = Model::chain(&[2, 2], 6, vec![Layer::Select(x), Layer::Select(t), Layer::MatMul(mm)]);
/// model.graph = Graph { inputs: vec![vec![0], vec![0], vec![1, 2]], ..Default::default() };
/// let y = model.predict(&ints(array![[1, 2], [3, 4]]).into_dyn()).unwrap();
/// assert_eq!(y, ints(array![[[5, 11], [11, 25]]]).into_dyn());
/// assert_eq!(model.analyse().unwrap()[2].constraints, 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatMul {
    /// The number of matrix pairs.
    pub batch: usize,
    /// Rows of the first.
    pub m: usize,
    /// Columns of the first, rows of the second.
    pub k: usize,
    /// Columns of the second.
    pub n: usize,
}

impl MatMul {
    fn apply<T: Clone>(
        &self,
        a: &ArrayD<T>,
        b: &ArrayD<T>,
        mut mac: impl FnMut(&[(&T, &T)]) -> Result<T, Error>,
    ) -> Result<ArrayD<T>, Error> {
        want("matmul first input", self.batch * self.m * self.k, a.len())?;
        want("matmul second input", self.batch * self.k * self.n, b.len())?;
        let (av, bv): (Vec<&T>, Vec<&T>) = (a.iter().collect(), b.iter().collect());
        let (m, k, n) = (self.m, self.k, self.n);
        let mut out = Vec::with_capacity(self.batch * m * n);
        let mut pairs = Vec::with_capacity(k);
        for t in 0..self.batch {
            for i in 0..m {
                for j in 0..n {
                    pairs.clear();
                    pairs
                        .extend((0..k).map(|l| (av[(t * m + i) * k + l], bv[(t * k + l) * n + j])));
                    out.push(mac(&pairs)?);
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[self.batch, m, n]), out)
            .map_err(|e| Error::param("matmul output", e.to_string()))
    }
}

impl<N: Clone + Debug> Op<N> for MatMul {
    fn kind(&self) -> &'static str {
        "MatMul"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    no_params!();
    fn shape(&self, ins: &[&[usize]], limits: &Limits) -> Result<Vec<usize>, Error> {
        let (x, y) = two(ins)?;
        if self.k == 0 {
            return Err(Error::param("matmul k", "must be at least 1"));
        }
        let count = |dims: &[usize]| checked_count(dims).ok_or_else(too_big);
        want(
            "matmul first input",
            count(&[self.batch, self.m, self.k])?,
            count(x)?,
        )?;
        want(
            "matmul second input",
            count(&[self.batch, self.k, self.n])?,
            count(y)?,
        )?;
        let out = vec![self.batch, self.m, self.n];
        within("matmul output", &out, limits)?;
        // the products, one constraint each
        within(
            "matmul products",
            &[self.batch, self.m, self.n, self.k],
            limits,
        )?;
        Ok(out)
    }
}

impl IntOp for MatMul {
    fn facts(&self, ins: &[&Facts], _: &Cx) -> Result<Bound, Error> {
        let (x, y) = two(ins)?;
        Ok(Bound {
            bound: check_bound::<Fr>(
                "matmul of two activations",
                product_bound(x.bound, y.bound) + grow(self.k),
            )?,
            nonneg: x.nonneg && y.nonneg,
            signs: false,
        })
    }
    fn scale(&self, s: &BigUint, _: &Cx) -> Option<BigUint> {
        Some(s * s)
    }
    fn cost(&self, _: &[&Facts], _: &Facts, _: &Cx) -> usize {
        self.batch * self.m * self.n * self.k
    }
    fn infer(&self, ins: &[&ArrayD<BigInt>]) -> Result<LayerOutput, Error> {
        let (x, y) = two(ins)?;
        Ok(LayerOutput {
            out: self.apply(x, y, |p| {
                Ok(p.iter().map(|(a, b)| native_product(a, b)).sum())
            })?,
            remainder: None,
        })
    }
    fn synthesize(&self, ins: &[In], _: &[ArrayD<FpVar<Fr>>]) -> Result<Out, Error> {
        match ins {
            [x, y] => {
                let (a, b) = (x.facts.bound, y.facts.bound);
                Ok(Out::vars(self.apply(x.vars, y.vars, |p| {
                    let mut acc = FpVar::<Fr>::Constant(Fr::from(0u64));
                    for (u, v) in p {
                        acc += product(u, v, a, b)?;
                    }
                    Ok(acc)
                })?))
            }
            _ => Err(Error::shape("inputs", 2, ins.len())),
        }
    }
}

impl FloatOp for MatMul {
    fn forward(&self, ins: &[&ArrayD<f64>]) -> Result<ArrayD<f64>, Error> {
        let (x, y) = two(ins)?;
        self.apply(x, y, |p| Ok(p.iter().map(|(a, b)| *a * *b).sum()))
    }
    fn quantize(&self, _: &mut Quantizer) -> Result<Layer<BigInt>, Error> {
        Ok((*self).into())
    }
    /// Sums of products of two values at `S` are at `S^2`: one rescale by `S` after it.
    fn rescale_power(&self) -> u32 {
        1
    }
}

impl<N: Num> FileForm<N> for MatMul {
    const TAGS: &'static [&'static str] = &["matmul"];
    fn read(_: &str, f: &mut Fields) -> Result<Option<Self>, Error> {
        Ok(Some(MatMul {
            batch: f.req("batch")?,
            m: f.req("m")?,
            k: f.req("k")?,
            n: f.req("n")?,
        }))
    }
    fn write(&self, f: &mut Fields) -> &'static str {
        f.put("batch", self.batch);
        f.put("m", self.m);
        f.put("k", self.k);
        f.put("n", self.n);
        "matmul"
    }
}
