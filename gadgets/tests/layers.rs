//! Linear and shape layers: native twin equivalence over random shapes and values, exact
//! multiplication counts, and every witness pinned once the outputs are rescaled.
mod common;
use common::*;

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use arkml_gadgets::layers::*;
use arkml_gadgets::range::enforce_bound;
use arkml_gadgets::rescale::{native_rescale_tensor, rescale_tensor};
use arkml_gadgets::tensor::{
    abs, alloc_tensor, bound_of, linear_bound, tensor_values, worst_case, Scalar, Visibility,
};
use arkml_gadgets::testing::assert_all_witnesses_pinned;
use arkml_gadgets::{Error, Result};
use ndarray::{ArrayD, Ix1, Ix2, Ix3, Ix4, IxDyn};
use num_bigint::{BigInt, BigUint};
use proptest::prelude::*;

const XB: u32 = 8;
const WB: u32 = 6;

/// A layer with an input tensor and parameter tensors, runnable at any scalar.
trait Layer {
    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>>;
    /// The layer's `*_cost` function on a variable input with these shapes.
    fn cost(&self, x: &[usize], p: &[Vec<usize>], variable: bool) -> usize;
}

fn d1<T: Clone>(a: &ArrayD<T>) -> ndarray::ArrayView1<'_, T> {
    a.view().into_dimensionality::<Ix1>().unwrap()
}
fn d2<T: Clone>(a: &ArrayD<T>) -> ndarray::ArrayView2<'_, T> {
    a.view().into_dimensionality::<Ix2>().unwrap()
}
fn d3<T: Clone>(a: &ArrayD<T>) -> ndarray::ArrayView3<'_, T> {
    a.view().into_dimensionality::<Ix3>().unwrap()
}
fn d4<T: Clone>(a: &ArrayD<T>) -> ndarray::ArrayView4<'_, T> {
    a.view().into_dimensionality::<Ix4>().unwrap()
}

struct Dense;
impl Layer for Dense {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        dense_cost(x[0], p[0][1], v)
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(dense(d1(x), d2(&p[0]), d1(&p[1]))?.into_dyn())
    }
}
struct Conv(Conv2dConfig);
impl Layer for Conv {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        conv2d_cost((x[0], x[1], x[2]), (p[0][0], p[0][1]), p[0][3], &self.0, v)
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(conv2d(d3(x), d4(&p[0]), d1(&p[1]), &self.0)?.into_dyn())
    }
}
struct Conv1(usize, Padding, usize);
impl Layer for Conv1 {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        let cfg = conv::conv1d_config(self.0, self.1, self.2);
        conv2d_cost((1, x[0], x[1]), (1, p[0][0]), p[0][2], &cfg, v)
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        let w = p[0].view().into_dimensionality::<Ix3>().unwrap();
        Ok(conv1d(d2(x), w, d1(&p[1]), self.0, self.1, self.2)?.into_dyn())
    }
}
struct Pointwise;
impl Layer for Pointwise {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        conv2d_cost(
            (x[0], x[1], x[2]),
            (1, 1),
            p[0][1],
            &Conv2dConfig::default(),
            v,
        )
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(pointwise_conv2d(d3(x), d2(&p[0]), d1(&p[1]))?.into_dyn())
    }
}
struct Depthwise(Conv2dConfig);
impl Layer for Depthwise {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        depthwise_conv2d_cost((x[0], x[1], x[2]), (p[0][0], p[0][1]), p[0][3], &self.0, v)
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(depthwise_conv2d(d3(x), d4(&p[0]), d1(&p[1]), &self.0)?.into_dyn())
    }
}
struct Separable(Conv2dConfig);
impl Layer for Separable {
    fn cost(&self, x: &[usize], p: &[Vec<usize>], v: bool) -> usize {
        separable_conv2d_cost(
            (x[0], x[1], x[2]),
            (p[0][0], p[0][1]),
            p[0][3],
            p[1][1],
            &self.0,
            v,
        )
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(separable_conv2d(d3(x), d4(&p[0]), d2(&p[1]), d1(&p[2]), &self.0)?.into_dyn())
    }
}
struct Norm;
impl Layer for Norm {
    fn cost(&self, x: &[usize], _: &[Vec<usize>], v: bool) -> usize {
        batch_norm_cost(x.iter().product(), v)
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, p: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        batch_norm(x.view(), d1(&p[0]), d1(&p[1]))
    }
}
struct SumPool(Pool2dConfig);
impl Layer for SumPool {
    fn cost(&self, x: &[usize], _: &[Vec<usize>], _: bool) -> usize {
        // no constraints; a geometry the gadget refuses (a window entirely in the padding
        // included) is refused by check_pool_windows too
        match arkml_gadgets::layers::pool::check_pool_windows(x[0], x[1], &self.0) {
            Ok(_) => 0,
            Err(_) => usize::MAX,
        }
    }

    fn run<T: Scalar>(&self, x: &ArrayD<T>, _: &[ArrayD<T>]) -> Result<ArrayD<T>> {
        Ok(sum_pool2d(d3(x), &self.0)?.into_dyn())
    }
}

fn random(shape: &[usize], bound: u32, seed: u64, nonzero: bool) -> ArrayD<BigInt> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let lo = -(1i64 << bound);
    let hi = 1i64 << bound;
    ArrayD::from_shape_fn(IxDyn(shape), |_| {
        let edge = rng.gen_range(0..6);
        let v = match edge {
            0 => lo,
            1 => hi - 1,
            2 => 0,
            _ => rng.gen_range(lo..hi),
        };
        BigInt::from(if nonzero && v == 0 { 1 } else { v })
    })
}

/// Native vs circuit for every weight visibility, exact multiplication count, and all
/// witnesses pinned after a rescale of the outputs.
fn check(layer: &impl Layer, x_shape: &[usize], p_shapes: &[Vec<usize>], seed: u64) {
    let x = random(x_shape, XB, seed, false);
    let params: Vec<_> = p_shapes
        .iter()
        .enumerate()
        .map(|(i, s)| random(s, WB, seed + 1 + i as u64, false))
        .collect();
    let native = match layer.run(&x, &params) {
        Ok(n) => n,
        Err(e) => {
            // bad configurations are typed errors natively and in circuit alike
            let c = cs();
            let xv = alloc_tensor(c.clone(), &x, Visibility::Private).unwrap();
            let pv: Vec<ArrayD<FpVar<Fr>>> = params
                .iter()
                .map(|p| alloc_tensor(c.clone(), p, Visibility::Constant).unwrap())
                .collect();
            assert_eq!(layer.run(&xv, &pv).unwrap_err(), e);
            // the cost functions refuse the same geometry
            assert_eq!(layer.cost(x_shape, p_shapes, true), usize::MAX, "{e}");
            return;
        }
    };
    // multiplications: the layer on all-ones counts the valid terms of every output
    let ones = |a: &ArrayD<BigInt>| a.map(|_| BigInt::from(1));
    let zero_bias = |i: usize, a: &ArrayD<BigInt>| {
        if i + 1 == params.len() && params.len() > 1 {
            a.map(|_| BigInt::from(0))
        } else {
            ones(a)
        }
    };
    let ones_p: Vec<_> = params
        .iter()
        .enumerate()
        .map(|(i, p)| zero_bias(i, p))
        .collect();
    let on_ones = layer.run(&ones(&x), &ones_p).unwrap();
    let macs: BigInt = on_ones.iter().sum();
    // outputs with at least one real tap (a window entirely in the padding sums nothing)
    let reached = on_ones.iter().filter(|v| **v != BigInt::from(0)).count();
    let worst_p: Vec<_> = params.iter().map(abs).collect();
    let bound = linear_bound(&layer.run(&worst_case(x_shape, XB), &worst_p).unwrap());
    assert!(bound_of(&native) <= bound);

    for vis in [
        Visibility::Constant,
        Visibility::Public,
        Visibility::Private,
    ] {
        let c = cs();
        let xv = alloc_tensor(c.clone(), &x, Visibility::Private).unwrap();
        let pv: Vec<ArrayD<FpVar<Fr>>> = params
            .iter()
            .map(|p| alloc_tensor(c.clone(), p, vis).unwrap())
            .collect();
        let out = layer.run(&xv, &pv).unwrap();
        assert_eq!(tensor_values(&out).unwrap(), native, "{vis:?}");
        let expected = if vis == Visibility::Constant || params.is_empty() {
            0
        } else if p_shapes.len() == 3 {
            // separable: every depthwise product, then every pointwise product of a
            // depthwise output (a variable, unless its window lies entirely in the
            // padding: then the constant 0) with a weight. On all-ones inputs and weights
            // the output sums to cout x (depthwise products), and is non-zero exactly at
            // the cells whose depthwise window reaches a real cell; the depthwise stage has
            // (cin x mult) values per cell.
            let (cm, cout) = (p_shapes[1][0], p_shapes[1][1]);
            let macs: usize = macs.to_string().parse().unwrap();
            macs / cout + reached / cout * cm * cout
        } else {
            macs.to_string().parse::<usize>().unwrap()
        };
        assert_eq!(c.num_constraints(), expected, "{vis:?}");
        let variable = vis != Visibility::Constant;
        assert_eq!(
            layer.cost(x_shape, p_shapes, variable),
            expected,
            "{vis:?} cost"
        );
        assert!(c.is_satisfied().unwrap());
    }

    // soundness: public nonzero input, private range-checked weights, rescaled outputs
    let x = random(x_shape, XB, seed, true);
    let params: Vec<_> = p_shapes
        .iter()
        .enumerate()
        .map(|(i, s)| random(s, WB, seed + 1 + i as u64, true))
        .collect();
    let c = cs();
    let xv = alloc_tensor(c.clone(), &x, Visibility::Public).unwrap();
    let pv: Vec<ArrayD<FpVar<Fr>>> = params
        .iter()
        .map(|p| {
            let v = alloc_tensor(c.clone(), p, Visibility::Private).unwrap();
            v.iter().for_each(|w| {
                enforce_bound(w, WB).unwrap();
            });
            v
        })
        .collect();
    let out = layer.run(&xv, &pv).unwrap();
    // private weights: the worst case of their declared width
    let worst_p: Vec<_> = p_shapes.iter().map(|s| worst_case(s, WB)).collect();
    let bound = linear_bound(&layer.run(&worst_case(x_shape, XB), &worst_p).unwrap());
    let n = BigUint::from(16u32);
    let r = rescale_tensor(&out, bound, &n).unwrap();
    let (q, rem) = native_rescale_tensor(&layer.run(&x, &params).unwrap(), &n);
    assert_eq!(tensor_values(&r.quotient).unwrap(), q);
    assert_eq!(tensor_values(&r.remainder).unwrap(), rem);
    assert!(c.is_satisfied().unwrap());
    assert_all_witnesses_pinned(&c);
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        Just(Padding::Valid),
        Just(Padding::Same),
        (0usize..3, 0usize..3, 0usize..3, 0usize..3).prop_map(|(a, b, c, d)| {
            Padding::Explicit {
                before: (a, b),
                after: (c, d),
            }
        }),
    ]
}

/// `x` with `before` / `after` zero rows and columns around it.
fn zero_padded(
    x: &ArrayD<BigInt>,
    before: (usize, usize),
    after: (usize, usize),
) -> ArrayD<BigInt> {
    let (h, w, c) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let mut p = ArrayD::from_elem(
        IxDyn(&[h + before.0 + after.0, w + before.1 + after.1, c]),
        BigInt::from(0),
    );
    for ((i, j, k), v) in d3(x).indexed_iter() {
        p[[i + before.0, j + before.1, k]] = v.clone();
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn dense_matches_native(n_in in 1usize..7, n_out in 1usize..5, seed in any::<u64>()) {
        check(&Dense, &[n_in], &[vec![n_in, n_out], vec![n_out]], seed);
    }

    #[test]
    fn conv2d_matches_native(
        h in 1usize..7, w in 1usize..7, cin in 1usize..3, cout in 1usize..3,
        kh in 1usize..4, kw in 1usize..4, sh in 1usize..4, sw in 1usize..3,
        dh in 1usize..3, dw in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let cfg = Conv2dConfig { stride: (sh, sw), padding: pad, dilation: (dh, dw) };
        check(&Conv(cfg), &[h, w, cin], &[vec![kh, kw, cin, cout], vec![cout]], seed);
    }

    /// Explicit padding is the valid convolution of the zero-padded input (ONNX's `pads`).
    #[test]
    fn explicit_padding_is_zero_padding(
        h in 1usize..6, w in 1usize..6, k in 1usize..4, s in 1usize..3,
        b0 in 0usize..3, b1 in 0usize..3, a0 in 0usize..3, a1 in 0usize..3, seed in any::<u64>(),
    ) {
        prop_assume!(b0.max(b1).max(a0).max(a1) < k);
        let x = random(&[h, w, 2], XB, seed, false);
        let wt = random(&[k, k, 2, 2], XB, seed ^ 1, false);
        let b = random(&[2], XB, seed ^ 2, false);
        let explicit = Conv2dConfig::new((s, s), Padding::Explicit { before: (b0, b1), after: (a0, a1) });
        let got = conv2d(d3(&x), d4(&wt), d1(&b), &explicit);
        let want = conv2d(d3(&zero_padded(&x, (b0, b1), (a0, a1))), d4(&wt), d1(&b),
            &Conv2dConfig::new((s, s), Padding::Valid));
        match (got, want) {
            (Ok(g), Ok(v)) => prop_assert_eq!(g, v),
            (Err(_), Err(_)) => {}
            (g, v) => prop_assert!(false, "{:?} vs {:?}", g.map(|_| ()), v.map(|_| ())),
        }
    }

    #[test]
    fn conv1d_matches_native(
        l in 1usize..9, cin in 1usize..3, cout in 1usize..3, k in 1usize..4,
        s in 1usize..3, d in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        check(&Conv1(s, pad, d), &[l, cin], &[vec![k, cin, cout], vec![cout]], seed);
    }

    #[test]
    fn pointwise_matches_native(h in 1usize..5, w in 1usize..5, cin in 1usize..4, cout in 1usize..4, seed in any::<u64>()) {
        check(&Pointwise, &[h, w, cin], &[vec![cin, cout], vec![cout]], seed);
    }

    #[test]
    fn depthwise_matches_native(
        h in 1usize..6, w in 1usize..6, cin in 1usize..3, mult in 1usize..4,
        k in 1usize..4, s in 1usize..3, pad in padding(), seed in any::<u64>(),
    ) {
        let cfg = Conv2dConfig::new((s, s), pad);
        check(&Depthwise(cfg), &[h, w, cin], &[vec![k, k, cin, mult], vec![cin * mult]], seed);
    }

    #[test]
    fn separable_matches_native(
        h in 1usize..6, w in 1usize..6, cin in 1usize..3, mult in 1usize..3, cout in 1usize..3,
        k in 1usize..4, pad in padding(), seed in any::<u64>(),
    ) {
        let cfg = Conv2dConfig::new((1, 1), pad);
        check(&Separable(cfg), &[h, w, cin],
              &[vec![k, k, cin, mult], vec![cin * mult, cout], vec![cout]], seed);
    }

    #[test]
    fn batch_norm_matches_native(h in 1usize..5, w in 1usize..5, c in 1usize..4, seed in any::<u64>()) {
        check(&Norm, &[h, w, c], &[vec![c], vec![c]], seed);
    }

    #[test]
    fn sum_pool_matches_native(
        h in 1usize..7, w in 1usize..7, c in 1usize..3, ph in 1usize..4, pw in 1usize..4,
        sh in 1usize..4, pad in padding(), seed in any::<u64>(),
    ) {
        let cfg = Pool2dConfig { size: (ph, pw), stride: (sh, sh), padding: pad };
        check(&SumPool(cfg), &[h, w, c], &[], seed);
    }

    #[test]
    fn avg_pool_matches_native(
        h in 1usize..7, w in 1usize..7, c in 1usize..3, p in 1usize..4, pad in padding(), seed in any::<u64>(),
    ) {
        let cfg = Pool2dConfig { size: (p, p), stride: (p, p), padding: pad };
        let x = random(&[h, w, c], XB, seed, false).into_dimensionality::<Ix3>().unwrap();
        let native = native_avg_pool2d(x.view(), &cfg);
        let c_ = cs();
        let xv = alloc_tensor(c_.clone(), &x, Visibility::Public).unwrap();
        match (native, avg_pool2d(xv.view(), XB, &cfg)) {
            (Ok((q, r)), Ok(out)) => {
                prop_assert_eq!(tensor_values(&out.quotient).unwrap(), q);
                prop_assert_eq!(tensor_values(&out.remainder).unwrap(), r);
                prop_assert_eq!(c_.num_constraints(), avg_pool2d_cost((h, w, c), XB, &cfg));
                prop_assert!(c_.is_satisfied().unwrap());
                assert_all_witnesses_pinned(&c_);
            }
            (Err(a), Err(b)) => {
                prop_assert_eq!(avg_pool2d_cost((h, w, c), XB, &cfg), usize::MAX);
                prop_assert_eq!(a, b)
            }
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }

    #[test]
    fn global_avg_pool_matches_native(h in 1usize..6, w in 1usize..6, c in 1usize..4, seed in any::<u64>()) {
        let x = random(&[h, w, c], XB, seed, false).into_dimensionality::<Ix3>().unwrap();
        let (q, r) = native_global_avg_pool2d(x.view());
        let c_ = cs();
        let xv = alloc_tensor(c_.clone(), &x, Visibility::Public).unwrap();
        let out = global_avg_pool2d(xv.view(), XB).unwrap();
        prop_assert_eq!(c_.num_constraints(), global_avg_pool2d_cost((h, w, c), XB));
        prop_assert_eq!(tensor_values(&out.quotient).unwrap(), q);
        prop_assert_eq!(tensor_values(&out.remainder).unwrap(), r);
        prop_assert!(c_.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c_);
    }

    #[test]
    fn shape_layers_match_native(h in 1usize..5, w in 1usize..5, c in 1usize..4, u in 1usize..3, seed in any::<u64>()) {
        let x = random(&[h, w, c], XB, seed, false);
        let c_ = cs();
        let xv = alloc_tensor(c_.clone(), &x, Visibility::Private).unwrap();
        prop_assert_eq!(tensor_values(&flatten(xv.view())).unwrap(), flatten(x.view()));
        let r = reshape(xv.view(), &[c, h * w]).unwrap();
        prop_assert_eq!(tensor_values(&r).unwrap(), reshape(x.view(), &[c, h * w]).unwrap());
        let up = upsample2d(d3(&xv), (u, u + 1)).unwrap();
        prop_assert_eq!(tensor_values(&up).unwrap(), upsample2d(d3(&x), (u, u + 1)).unwrap());
        prop_assert_eq!(c_.num_constraints(), 0);
    }
}

fn count(layer: &impl Layer, x_shape: &[usize], p_shapes: &[Vec<usize>], vis: Visibility) -> usize {
    let c = cs();
    let xv = alloc_tensor(
        c.clone(),
        &random(x_shape, XB, 1, false),
        Visibility::Private,
    )
    .unwrap();
    let pv: Vec<_> = p_shapes
        .iter()
        .map(|s| alloc_tensor(c.clone(), &random(s, WB, 2, false), vis).unwrap())
        .collect();
    layer.run(&xv, &pv).unwrap();
    c.num_constraints()
}

#[test]
fn pinned_counts() {
    let p = Visibility::Private;
    assert_eq!(count(&Dense, &[20], &[vec![20, 10], vec![10]], p), 200);
    assert_eq!(count(&Dense, &[784], &[vec![784, 10], vec![10]], p), 7840);
    assert_eq!(
        count(
            &Dense,
            &[784],
            &[vec![784, 10], vec![10]],
            Visibility::Constant
        ),
        0
    );
    let valid = Conv(Conv2dConfig::default());
    assert_eq!(
        count(&valid, &[5, 5, 3], &[vec![3, 3, 3, 2], vec![2]], p),
        3 * 3 * 2 * 27
    );
    // same padding skips padded cells: 13 valid rows * 13 valid columns of kernel taps
    let same = Conv(Conv2dConfig::new((1, 1), Padding::Same));
    assert_eq!(
        count(&same, &[5, 5, 3], &[vec![3, 3, 3, 2], vec![2]], p),
        13 * 13 * 3 * 2
    );
    assert_eq!(
        count(&Pointwise, &[5, 5, 3], &[vec![3, 6], vec![6]], p),
        25 * 18
    );
    assert_eq!(count(&Norm, &[5, 5, 3], &[vec![3], vec![3]], p), 75);
    assert_eq!(
        count(&Norm, &[5, 5, 3], &[vec![3], vec![3]], Visibility::Constant),
        0
    );
}

#[test]
fn bad_shapes_are_typed_errors() {
    let b = |s: &[usize]| random(s, 3, 0, false);
    let x1 = b(&[3]);
    assert!(matches!(
        dense(d1(&x1), d2(&b(&[4, 2])), d1(&b(&[2]))),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        dense(d1(&x1), d2(&b(&[3, 2])), d1(&b(&[3]))),
        Err(Error::ShapeMismatch { .. })
    ));
    let x3 = b(&[4, 4, 2]);
    let w = b(&[3, 3, 2, 1]);
    let bias = b(&[1]);
    let zero_stride = Conv2dConfig::new((0, 1), Padding::Valid);
    assert!(matches!(
        conv2d(d3(&x3), d4(&w), d1(&bias), &zero_stride),
        Err(Error::InvalidParameter { .. })
    ));
    let zero_kernel = b(&[0, 3, 2, 1]);
    assert!(matches!(
        conv2d(
            d3(&x3),
            d4(&zero_kernel),
            d1(&bias),
            &Conv2dConfig::default()
        ),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        conv2d(
            d3(&x3),
            d4(&b(&[3, 3, 3, 1])),
            d1(&bias),
            &Conv2dConfig::default()
        ),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        conv2d(d3(&x3), d4(&w), d1(&b(&[2])), &Conv2dConfig::default()),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        conv2d(
            d3(&x3),
            d4(&b(&[5, 1, 2, 1])),
            d1(&bias),
            &Conv2dConfig::default()
        ),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        depthwise_conv2d(
            d3(&x3),
            d4(&b(&[3, 3, 2, 0])),
            d1(&b(&[0])),
            &Conv2dConfig::default()
        ),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        reshape(x3.view(), &[5, 5]),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        upsample2d(d3(&x3), (0, 1)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        batch_norm(x3.view(), d1(&b(&[3])), d1(&b(&[2]))),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        sum_pool2d(d3(&x3), &Pool2dConfig::new((0, 2))),
        Err(Error::InvalidParameter { .. })
    ));
}
