//! Nonlinear gadgets: ReLU, fused rescale + ReLU, comparisons, max, MaxPool, ArgMax.
mod common;
use common::*;

use ark_r1cs_std::{eq::EqGadget, GR1CSVar};
use arkml_gadgets::activation::{native_relu, relu, rescale_relu};
use arkml_gadgets::argmax::{argmax, native_argmax};
use arkml_gadgets::compare::{diff_bound, is_le, is_lt, is_nonnegative, max, native_max};
use arkml_gadgets::fixed::{from_field, pow2};
use arkml_gadgets::layers::{max_pool2d, native_max_pool2d, Padding, Pool2dConfig};
use arkml_gadgets::rescale::{native_rescale, rescale_cost};
use arkml_gadgets::tensor::{alloc_tensor, tensor_values, Visibility};
use arkml_gadgets::testing::assert_all_witnesses_pinned;
use arkml_gadgets::Error;
use ndarray::{Array1, Array3};
use num_bigint::{BigInt, BigUint};
use proptest::prelude::*;

fn val(v: &ark_r1cs_std::fields::fp::FpVar<ark_bn254::Fr>) -> BigInt {
    from_field(v.value().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn product_matches_native(
        (a, x) in (0u32..=120).prop_flat_map(|a| (Just(a), in_bound(a))),
        (b, y) in (0u32..=120).prop_flat_map(|b| (Just(b), in_bound(b))),
    ) {
        use arkml_gadgets::activation::{native_product, product, product_bound, product_cost};
        let c = cs();
        // the operands as public inputs: only the product is a witness, and it is pinned
        let z = product(&input(&c, &x), &input(&c, &y), a, b).unwrap();
        prop_assert_eq!(val(&z), native_product(&x, &y));
        prop_assert!(arkml_gadgets::fixed::fits_signed(&val(&z), product_bound(a, b)));
        prop_assert_eq!(c.num_constraints(), product_cost());
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
        // a constant operand still costs its constraint (counts do not depend on values)
        let c = cs();
        let k = ark_r1cs_std::fields::fp::FpVar::Constant(arkml_gadgets::fixed::to_field(&y));
        let z = product(&input(&c, &x), &k, a, b).unwrap();
        prop_assert_eq!(val(&z), native_product(&x, &y));
        prop_assert_eq!(c.num_constraints(), product_cost());
    }

    #[test]
    fn sigmoid_matches_native(
        (b, x) in (1u32..=40).prop_flat_map(|b| (Just(b), in_bound(b))),
        s in prop_oneof![Just(2u64), Just(10), Just(256), Just(1000), Just(1 << 16)],
    ) {
        use arkml_gadgets::activation::{native_sigmoid, sigmoid, sigmoid_bound, sigmoid_cost, SigmoidTable};
        let t = SigmoidTable::new(&BigUint::from(s)).unwrap();
        let c = cs();
        let y = sigmoid(&input(&c, &x), b, &t).unwrap();
        prop_assert_eq!(val(&y), native_sigmoid(&x, &t));
        prop_assert!(arkml_gadgets::fixed::fits_signed(&val(&y), sigmoid_bound(&t)));
        prop_assert_eq!(c.num_constraints(), sigmoid_cost(b, &t));
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }

    #[test]
    fn relu_matches_native((b, x) in (0u32..=200).prop_flat_map(|b| (Just(b), in_bound(b)))) {
        let c = cs();
        let y = relu(&witness(&c, &x), b).unwrap();
        prop_assert_eq!(val(&y), native_relu(&x));
        prop_assert_eq!(c.num_constraints(), arkml_gadgets::activation::relu_cost(b));
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }

    #[test]
    fn rescale_relu_matches_native((b, x) in (17u32..=200).prop_flat_map(|b| (Just(b), in_bound(b))), s in 0u32..=16) {
        let n = BigUint::from(1u32) << s;
        let c = cs();
        let (r, y) = rescale_relu(&witness(&c, &x), b, &n).unwrap();
        let (q, _) = native_rescale(&x, &n);
        prop_assert_eq!(val(&r.quotient), q.clone());
        prop_assert_eq!(val(&y), native_relu(&q));
        // n = 1 leaves the value as it is and falls back to a plain ReLU
        prop_assert_eq!(c.num_constraints(), if s == 0 { b as usize + 3 } else { rescale_cost(b, &n) + 1 });
        prop_assert_eq!(c.num_constraints(), arkml_gadgets::activation::rescale_relu_cost(b, &n));
        prop_assert_eq!(c.num_constraints(), b as usize + 3);
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }

    #[test]
    fn comparisons_match_native(b in 1u32..=120, x in in_bound(120), y in in_bound(120)) {
        prop_assume!(arkml_gadgets::fixed::fits_signed(&x, b) && arkml_gadgets::fixed::fits_signed(&y, b));
        let d = diff_bound(b, false);
        let c = cs();
        let (xv, yv) = (witness(&c, &x), witness(&c, &y));
        prop_assert_eq!(is_lt(&xv, &yv, d).unwrap().value().unwrap(), x < y);
        prop_assert_eq!(is_le(&xv, &yv, d).unwrap().value().unwrap(), x <= y);
        prop_assert_eq!(is_nonnegative(&xv, b).unwrap().value().unwrap(), x >= BigInt::from(0));
        let m = max(&xv, &yv, d).unwrap();
        prop_assert_eq!(val(&m), native_max(&x, &y));
        // each comparison on its own: compare_cost
        use arkml_gadgets::compare::compare_cost;
        for (f, bound) in [(0, d), (1, d), (2, b)] {
            let c1 = cs();
            let (xv, yv) = (witness(&c1, &x), witness(&c1, &y));
            match f {
                0 => drop(is_lt(&xv, &yv, d).unwrap()),
                1 => drop(is_le(&xv, &yv, d).unwrap()),
                _ => drop(is_nonnegative(&xv, b).unwrap()),
            }
            prop_assert_eq!(c1.num_constraints(), compare_cost(bound));
        }
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }

    #[test]
    fn argmax_matches_native(n in 1usize..12, b in 1u32..40, seed in any::<u64>(), ties in any::<bool>()) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let hi = 1i64 << b;
        let range = if ties { -2..2 } else { -hi..hi };
        let x: Array1<BigInt> = (0..n).map(|_| BigInt::from(rng.gen_range(range.clone()))).collect();
        let c = cs();
        let xv = alloc_tensor(c.clone(), &x, Visibility::Public).unwrap();
        let (idx, m) = argmax(xv.view(), diff_bound(b, false)).unwrap();
        let expected = native_argmax(x.view()).unwrap();
        prop_assert_eq!(val(&idx), BigInt::from(expected));
        prop_assert_eq!(val(&m), x[expected].clone());
        prop_assert_eq!(c.num_constraints(), ((n - 1) * (b as usize + 5)).saturating_sub(1));
        prop_assert_eq!(c.num_constraints(), arkml_gadgets::argmax::argmax_cost(n, diff_bound(b, false)));
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }

    #[test]
    fn max_pool_matches_native(h in 1usize..7, w in 1usize..7, ch in 1usize..3, p in 1usize..4, s in 1usize..4, same in any::<bool>(), seed in any::<u64>()) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x = Array3::from_shape_fn((h, w, ch), |_| BigInt::from(rng.gen_range(-100i64..100)));
        let cfg = Pool2dConfig { size: (p, p), stride: (s, s), padding: if same { Padding::Same } else { Padding::Valid } };
        let c = cs();
        let xv = alloc_tensor(c.clone(), &x, Visibility::Public).unwrap();
        match (native_max_pool2d(x.view(), &cfg), max_pool2d(xv.view(), 8, &cfg)) {
            (Ok(n), Ok(o)) => {
                prop_assert_eq!(tensor_values(&o).unwrap(), n);
                prop_assert_eq!(c.num_constraints(), arkml_gadgets::layers::max_pool2d_cost((h, w, ch), 8, &cfg));
                prop_assert!(c.is_satisfied().unwrap());
                assert_all_witnesses_pinned(&c);
            }
            (Err(a), Err(b)) => {
                prop_assert_eq!(arkml_gadgets::layers::max_pool2d_cost((h, w, ch), 8, &cfg), usize::MAX);
                prop_assert_eq!(a, b)
            }
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }
}

#[test]
fn pinned_counts() {
    for b in [8u32, 32, 64] {
        let c = cs();
        let _ = relu(&witness(&c, &bi(-3)), b).unwrap();
        assert_eq!(c.num_constraints(), b as usize + 3);
    }
    // MaxPool 2x2 window of values with bound 64 (signed): 3 * (65 + 3)
    let c = cs();
    let x = Array3::from_shape_fn((2, 2, 1), |(i, j, _)| BigInt::from(i as i64 - j as i64));
    let xv = alloc_tensor(c.clone(), &x, Visibility::Private).unwrap();
    max_pool2d(xv.view(), diff_bound(64, false), &Pool2dConfig::new((2, 2))).unwrap();
    assert_eq!(c.num_constraints(), 3 * (65 + 3));
    // ArgMax(10) of values with bound 64: 9 * (64 + 5) - 1 (the first index update is free)
    let c = cs();
    let x: Array1<BigInt> = (0..10).map(BigInt::from).collect();
    let xv = alloc_tensor(c.clone(), &x, Visibility::Private).unwrap();
    let _ = argmax(xv.view(), diff_bound(64, false)).unwrap();
    assert_eq!(c.num_constraints(), 9 * 69 - 1);
}

/// circomlib-ml's alias attack: claim a positive `x` is negative by decomposing `x + p`.
/// The bounded decomposition has no such representation: flipping the sign bit (or any
/// single witness) breaks a constraint, and forcing the output to 0 is unsatisfiable.
#[test]
fn relu_alias_attack_fails() {
    let c = cs();
    let x = witness(&c, &bi(5));
    let y = relu(&x, 16).unwrap();
    assert_all_witnesses_pinned(&c);
    y.enforce_equal(&witness(&c, &bi(0))).unwrap();
    assert!(!c.is_satisfied().unwrap());
}

#[test]
fn value_outside_bound_is_typed_error_and_unsatisfiable() {
    let c = cs();
    let x = witness(&c, &pow2(16));
    assert!(matches!(relu(&x, 16), Err(Error::OutOfRange { .. })));
    // bypassing the native check: the raw decomposition cannot hold it
    let c = cs();
    let x = witness(&c, &pow2(16));
    arkml_gadgets::range::decompose(&x, &pow2(16), 17).unwrap();
    assert!(!c.is_satisfied().unwrap());
}

#[test]
fn claimed_max_that_is_not_the_max_fails() {
    let c = cs();
    let x = alloc_tensor(
        c.clone(),
        &Array3::from_shape_fn((2, 2, 1), |(i, j, _)| bi((i * 2 + j) as i64 * 10)),
        Visibility::Public,
    )
    .unwrap();
    let m = max_pool2d(x.view(), 8, &Pool2dConfig::new((2, 2))).unwrap();
    m[[0, 0, 0]].enforce_equal(&witness(&c, &bi(20))).unwrap(); // a window value, not the max
    assert!(!c.is_satisfied().unwrap());
    let c = cs();
    let x = alloc_tensor(
        c.clone(),
        &Array3::from_shape_fn((2, 2, 1), |(i, j, _)| bi((i * 2 + j) as i64 * 10)),
        Visibility::Public,
    )
    .unwrap();
    let m = max_pool2d(x.view(), 8, &Pool2dConfig::new((2, 2))).unwrap();
    m[[0, 0, 0]].enforce_equal(&witness(&c, &bi(31))).unwrap(); // above the max, not a value
    assert!(!c.is_satisfied().unwrap());
}

#[test]
fn wrong_argmax_index_fails_also_on_ties() {
    for (vals, wrong) in [
        (vec![1, 9, 3, 9], 3i64),
        (vec![4, 2, 7], 0),
        (vec![5, 5, 5], 2),
    ] {
        let c = cs();
        let x: Array1<BigInt> = vals.iter().map(|v| bi(*v)).collect();
        let xv = alloc_tensor(c.clone(), &x, Visibility::Public).unwrap();
        let (idx, _) = argmax(xv.view(), 8).unwrap();
        assert!(c.is_satisfied().unwrap());
        idx.enforce_equal(&witness(&c, &bi(wrong))).unwrap();
        assert!(!c.is_satisfied().unwrap(), "{vals:?} index {wrong}");
    }
}

#[test]
fn bad_input() {
    let c = cs();
    let empty: Array1<ark_r1cs_std::fields::fp::FpVar<ark_bn254::Fr>> = Array1::from_vec(vec![]);
    assert!(matches!(
        argmax(empty.view(), 8),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(native_argmax(Array1::<BigInt>::from_vec(vec![]).view()).is_err());
    let x = witness(&c, &bi(1));
    assert!(matches!(relu(&x, 252), Err(Error::BoundTooLarge { .. })));
    let xv = alloc_tensor(
        c.clone(),
        &Array3::from_elem((2, 2, 1), bi(1)),
        Visibility::Private,
    )
    .unwrap();
    assert!(matches!(
        max_pool2d(xv.view(), 8, &Pool2dConfig::new((0, 2))),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        max_pool2d(xv.view(), 8, &Pool2dConfig::new((3, 3))),
        Err(Error::ShapeMismatch { .. })
    ));
}

mod more {
    use super::*;
    use arkml_gadgets::activation::{
        cubic, cubic_cost, leaky_relu, leaky_relu_cost, native_cubic, native_leaky_relu,
        native_poly, poly, poly_cost, ZANH, ZIGMOID,
    };
    use arkml_gadgets::compare::diff_bound_of;
    use arkml_gadgets::rescale::rescale_cost;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn poly_matches_native((b, x) in (1u32..=100).prop_flat_map(|b| (Just(b), in_bound(b))), k in 0u32..30) {
            let n = BigUint::from(10u32).pow(k);
            let c = cs();
            let out = poly(&input(&c, &x), b, &n).unwrap();
            let (q, r) = native_poly(&x, &n);
            prop_assert_eq!(val(&out.quotient), q);
            prop_assert_eq!(val(&out.remainder), r);
            let pb = arkml_gadgets::activation::poly::poly_bound(b, &n);
            prop_assert_eq!(c.num_constraints(), 1 + rescale_cost(pb, &n));
            prop_assert_eq!(c.num_constraints(), poly_cost(b, &n));
            prop_assert!(c.is_satisfied().unwrap());
            assert_all_witnesses_pinned(&c);
        }

        #[test]
        fn leaky_relu_matches_native((b, x) in (1u32..=100).prop_flat_map(|b| (Just(b), in_bound(b))), a in 0i64..1000, k in 1u32..12, ten in any::<bool>()) {
            let d = if ten { BigUint::from(10u32).pow(k) } else { BigUint::from(1u32) << k };
            let a = BigInt::from(a);
            let c = cs();
            let y = leaky_relu(&input(&c, &x), b, &a, &d).unwrap();
            prop_assert_eq!(val(&y), native_leaky_relu(&x, &a, &d));
            prop_assert_eq!(c.num_constraints(), leaky_relu_cost(b, &a, &d));
            prop_assert!(c.is_satisfied().unwrap());
            assert_all_witnesses_pinned(&c);
        }

        #[test]
        fn cubic_matches_native(x in -(5i64 << 16)..=(5i64 << 16), tanh in any::<bool>()) {
            let s = BigUint::from(1u32) << 16;
            let coef = if tanh { ZANH } else { ZIGMOID };
            let x = BigInt::from(x);
            let c = cs();
            let out = cubic(&coef, &input(&c, &x), 19, &s).unwrap();
            prop_assert_eq!(c.num_constraints(), cubic_cost(&coef, 19, &s));
            let (q, r) = native_cubic(&coef, &x, &s);
            prop_assert_eq!(val(&out.quotient), q);
            prop_assert_eq!(val(&out.remainder), r);
            prop_assert!(c.is_satisfied().unwrap());
            assert_all_witnesses_pinned(&c);
        }

        #[test]
        fn mixed_bounds_compare(bx in 1u32..60, by in 1u32..60, x in in_bound(60), y in in_bound(60)) {
            prop_assume!(arkml_gadgets::fixed::fits_signed(&x, bx) && arkml_gadgets::fixed::fits_signed(&y, by));
            let c = cs();
            let m = max(&witness(&c, &x), &witness(&c, &y), diff_bound_of(bx, by)).unwrap();
            prop_assert_eq!(val(&m), native_max(&x, &y));
            prop_assert_eq!(c.num_constraints(), arkml_gadgets::compare::max_cost(diff_bound_of(bx, by)));
            prop_assert!(c.is_satisfied().unwrap());
        }
    }

    /// The documented error bounds of the cubic approximations, on a 0.001 grid over [-5, 5].
    #[test]
    fn cubic_error_bounds() {
        let s = BigUint::from(1u32) << 20;
        let sf = (1u64 << 20) as f64;
        let mut worst = (0f64, 0f64);
        for i in -5000i64..=5000 {
            let xf = i as f64 / 1000.0;
            let x = BigInt::from((xf * sf).round() as i64);
            let xq = x.to_string().parse::<f64>().unwrap() / sf;
            let sig = native_cubic(&ZIGMOID, &x, &s)
                .0
                .to_string()
                .parse::<f64>()
                .unwrap()
                / sf;
            let th = native_cubic(&ZANH, &x, &s)
                .0
                .to_string()
                .parse::<f64>()
                .unwrap()
                / sf;
            worst.0 = worst.0.max((sig - 1.0 / (1.0 + (-xq).exp())).abs());
            worst.1 = worst.1.max((th - xq.tanh()).abs());
        }
        assert!(worst.0 < 0.0798 + 1e-5, "sigmoid error {}", worst.0);
        assert!(worst.1 < 0.4596 + 1e-5, "tanh error {}", worst.1);
        assert!(
            worst.0 > 0.079 && worst.1 > 0.45,
            "the documented figures are tight: {worst:?}"
        );
    }

    #[test]
    fn wrong_activation_outputs_fail() {
        let n = BigUint::from(1000u32);
        let c = cs();
        let out = poly(&input(&c, &bi(-1234)), 12, &n).unwrap();
        out.quotient
            .enforce_equal(
                &(&out.quotient
                    + ark_r1cs_std::fields::fp::FpVar::Constant(ark_bn254::Fr::from(1u64))),
            )
            .unwrap();
        assert!(!c.is_satisfied().unwrap());
        let c = cs();
        let y = leaky_relu(&input(&c, &bi(-100)), 8, &bi(1), &BigUint::from(8u32)).unwrap();
        y.enforce_equal(&witness(&c, &bi(-100))).unwrap(); // the identity branch for a negative x
        assert!(!c.is_satisfied().unwrap());
    }

    #[test]
    fn activation_bad_input() {
        let c = cs();
        let x = witness(&c, &bi(1));
        assert!(matches!(
            leaky_relu(&x, 8, &bi(1), &BigUint::from(0u32)),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            poly(&x, 200, &BigUint::from(10u32)),
            Err(Error::BoundTooLarge { .. })
        ));
        assert!(matches!(
            cubic(&ZIGMOID, &x, 8, &BigUint::from(0u32)),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            poly(&witness(&c, &bi(1000)), 8, &BigUint::from(10u32)),
            Err(Error::OutOfRange { .. })
        ));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The tensor forms equal their native twins elementwise, keep the shape and dimension
    /// type, cost the scalar cost per element, and pin every witness.
    #[test]
    fn activation_tensors_match_native(
        (b, vals) in (2u32..40).prop_flat_map(|b| (Just(b), proptest::collection::vec(in_bound(b), 6))),
        s in 0u32..6,
    ) {
        use arkml_gadgets::activation::{native_relu, relu_cost, relu_tensor, rescale_relu_tensor};
        use arkml_gadgets::rescale::native_rescale;
        let x = ndarray::Array2::from_shape_vec((2, 3), vals).unwrap();
        let cs = cs();
        let xv = x.map(|v| input(&cs, v));
        let y = relu_tensor(&xv, b).unwrap();
        prop_assert_eq!(y.dim(), (2, 3));
        prop_assert_eq!(arkml_gadgets::tensor::tensor_values(&y).unwrap(), x.map(native_relu));
        prop_assert_eq!(cs.num_constraints(), 6 * relu_cost(b));
        let n = num_bigint::BigUint::from(1u32) << s;
        let (r, z) = rescale_relu_tensor(&xv, b, &n).unwrap();
        let q = x.map(|v| native_rescale(v, &n).0);
        prop_assert_eq!(arkml_gadgets::tensor::tensor_values(&r.quotient).unwrap(), q.clone());
        prop_assert_eq!(arkml_gadgets::tensor::tensor_values(&z).unwrap(), q.map(native_relu));
        prop_assert!(cs.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&cs);
    }
}

#[test]
fn a_lying_product_fails_and_wide_bounds_are_refused() {
    use arkml_gadgets::activation::product;
    let c = cs();
    let z = product(&witness(&c, &bi(-7)), &witness(&c, &bi(9)), 4, 4).unwrap();
    assert_eq!(val(&z), bi(-63));
    assert!(c.is_satisfied().unwrap());
    // a prover claiming the product one off: unsatisfied
    z.enforce_equal(&witness(&c, &bi(-62))).unwrap();
    assert!(!c.is_satisfied().unwrap());
    // a product whose bound leaves the field: a typed error, not a wrapped value
    let c = cs();
    let e = product(&witness(&c, &bi(1)), &witness(&c, &bi(1)), 200, 60).unwrap_err();
    assert!(matches!(e, Error::BoundTooLarge { .. }), "{e}");
}

/// The sigmoid's largest error over the whole real line, in units of the output scale, on a
/// dense grid: every integer input near the segment joints and the clip, a fine grid over
/// `[-20, 20]`, and the extremes of the input bound.
#[test]
fn sigmoid_error_over_the_real_line_is_within_its_stated_bound() {
    use arkml_gadgets::activation::{native_sigmoid, sigmoid_f64, SigmoidTable};
    use num_traits::ToPrimitive;
    for s in [4u64, 10, 256, 1000, 4096, 1 << 16, 1 << 18, 1 << 20] {
        let t = SigmoidTable::new(&BigUint::from(s)).unwrap();
        let sf = s as f64;
        let (mut worst, mut worst_tanh) = (0.0f64, 0.0f64);
        let step = ((s as f64) / 4096.0).max(1.0) as i64;
        let mut check = |x: i64| {
            let got = native_sigmoid(&bi(x), &t).to_f64().unwrap();
            let want = sf * sigmoid_f64(x as f64 / sf);
            worst = worst.max((got - want).abs());
            // tanh(x) = 2 sigmoid(2x) - 1, as the Tanh op computes it
            let got = 2.0 * native_sigmoid(&bi(2 * x), &t).to_f64().unwrap() - sf;
            worst_tanh = worst_tanh.max((got - sf * (x as f64 / sf).tanh()).abs());
        };
        let lim = 20 * s as i64;
        let mut x = -lim;
        while x <= lim {
            check(x);
            x += step;
        }
        for x in [i64::MAX / 4, -(i64::MAX / 4), 1 << 40, -(1 << 40)] {
            check(x);
        }
        assert!(
            worst <= t.max_error_units(),
            "S = {s}: largest error {worst} units"
        );
        assert!(
            worst_tanh <= 2.0 * t.max_error_units(),
            "S = {s}: largest tanh error {worst_tanh} units"
        );
        eprintln!("S = {s}: largest sigmoid error {worst:.3} units");
    }
}

#[test]
fn a_lying_sigmoid_fails_and_bad_tables_are_refused() {
    use arkml_gadgets::activation::{native_sigmoid, sigmoid, SigmoidTable};
    let t = SigmoidTable::new(&BigUint::from(256u32)).unwrap();
    for x in [-3000i64, -1, 0, 1, 77, 4095] {
        let c = cs();
        let y = sigmoid(&input(&c, &bi(x)), 12, &t).unwrap();
        assert_eq!(val(&y), native_sigmoid(&bi(x), &t));
        // the prover claims the output one off: unsatisfied
        y.enforce_equal(&witness(&c, &(native_sigmoid(&bi(x), &t) + 1)))
            .unwrap();
        assert!(!c.is_satisfied().unwrap(), "x = {x}");
    }
    // an input beyond its bound is a typed error
    let c = cs();
    let e = sigmoid(&witness(&c, &bi(5000)), 12, &t).unwrap_err();
    assert!(matches!(e, Error::OutOfRange { .. }), "{e}");
    // a table of another size, and a scale below 2
    let mut short = t.clone();
    short.coeffs.pop();
    assert!(matches!(
        sigmoid(&witness(&cs(), &bi(1)), 4, &short),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(SigmoidTable::new(&BigUint::from(1u32)).is_err());
}

#[test]
fn erf_is_accurate_and_its_kernel_within_its_stated_bound() {
    use arkml_gadgets::activation::{erf_f64, native_sigmoid, Kernel, SigmoidTable};
    use num_traits::ToPrimitive;
    for (x, want) in [
        (0.0, 0.0),
        (0.5, 0.520_499_877_813_046_5),
        (1.0, 0.842_700_792_949_714_9),
        (2.0, 0.995_322_265_018_952_7),
        (2.5, 0.999_593_047_982_555),
        (3.0, 0.999_977_909_503_001_4),
        (5.0, 0.999_999_999_998_462_5),
    ] {
        assert!((erf_f64(x) - want).abs() < 1e-14, "erf({x})");
        assert!((erf_f64(-x) + want).abs() < 1e-14, "erf(-{x})");
    }
    for s in [4u64, 256, 1000, 4096, 1 << 16] {
        let t = SigmoidTable::of(Kernel::Erf, &BigUint::from(s)).unwrap();
        let sf = s as f64;
        let mut worst = 0.0f64;
        let step = (sf / 4096.0).max(1.0) as i64;
        let mut x = -12 * s as i64;
        while x <= 12 * s as i64 {
            let got = native_sigmoid(&bi(x), &t).to_f64().unwrap();
            worst = worst.max((got - sf * erf_f64(x as f64 / sf)).abs());
            x += step;
        }
        assert!(
            worst <= t.max_error_units(),
            "S = {s}: largest erf error {worst} units"
        );
        eprintln!("S = {s}: largest erf error {worst:.3} units");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn erf_kernel_matches_native(
        (b, x) in (1u32..=40).prop_flat_map(|b| (Just(b), in_bound(b))),
        s in prop_oneof![Just(4u64), Just(1000), Just(1 << 16)],
    ) {
        use arkml_gadgets::activation::{native_sigmoid, sigmoid, sigmoid_cost, Kernel, SigmoidTable};
        let t = SigmoidTable::of(Kernel::Erf, &BigUint::from(s)).unwrap();
        let c = cs();
        let y = sigmoid(&input(&c, &x), b, &t).unwrap();
        prop_assert_eq!(val(&y), native_sigmoid(&x, &t));
        prop_assert_eq!(c.num_constraints(), sigmoid_cost(b, &t));
        prop_assert!(c.is_satisfied().unwrap());
        assert_all_witnesses_pinned(&c);
    }
}

#[test]
fn the_softplus_and_elu_kernels_are_within_their_stated_bounds() {
    use arkml_gadgets::activation::{
        kernel_parts, kernel_parts_cost, native_kernel_parts, Kernel, SigmoidTable,
    };
    use num_traits::ToPrimitive;
    for kernel in [Kernel::SoftplusTail, Kernel::ExpMinusOne] {
        for s in [4u64, 256, 4096, 1 << 16] {
            let t = SigmoidTable::of(kernel, &BigUint::from(s)).unwrap();
            let sf = s as f64;
            let mut worst = 0.0f64;
            let step = (sf / 4096.0).max(1.0) as i64;
            let mut x = -20 * s as i64;
            while x <= 20 * s as i64 {
                let (nonneg, p) = native_kernel_parts(&bi(x), &t);
                assert_eq!(nonneg, x >= 0);
                let want = sf * kernel.f64(x as f64 / sf);
                worst = worst.max((p.to_f64().unwrap() - want).abs());
                x += step;
            }
            assert!(
                worst <= t.max_error_units(),
                "{kernel:?} S = {s}: {worst} units"
            );
            eprintln!("{kernel:?} S = {s}: largest error {worst:.3} units");
        }
        // circuit against twin, cost, pinned witnesses
        let t = SigmoidTable::of(kernel, &BigUint::from(1000u32)).unwrap();
        for x in [-40000i64, -1, 0, 1, 777, 30000] {
            let c = cs();
            let (s, p) = kernel_parts(&input(&c, &bi(x)), 16, &t).unwrap();
            let (nonneg, want) = native_kernel_parts(&bi(x), &t);
            assert_eq!(s.value().unwrap(), nonneg);
            assert_eq!(val(&p), want);
            assert_eq!(c.num_constraints(), kernel_parts_cost(16, &t));
            assert!(c.is_satisfied().unwrap());
            assert_all_witnesses_pinned(&c);
        }
    }
}
