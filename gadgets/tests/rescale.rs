//! Rescale: equivalence with floor division, exact costs, and lying provers.
mod common;
use common::*;

use ark_bn254::Fr;
use ark_r1cs_std::{eq::EqGadget, GR1CSVar};
use arkml_gadgets::fixed::{floor_div, from_field, modulus, pow2, remainder_bits, to_field};
use arkml_gadgets::rescale::{
    native_rescale, quotient_bound, rescale, rescale_cost, rescale_with_claim, rescale_within,
    rescale_within_cost, rescale_within_with_claim, within_bound,
};
use arkml_gadgets::testing::{assert_all_witnesses_pinned, free_witnesses, satisfied};
use arkml_gadgets::Error;
use num_bigint::{BigInt, BigUint};
use proptest::prelude::*;

fn divisor() -> impl Strategy<Value = BigUint> {
    prop_oneof![
        (0u32..=64).prop_map(|s| BigUint::from(1u32) << s),
        (2u64..=1_000_000).prop_map(BigUint::from),
        (1u32..=40).prop_map(|k| BigUint::from(10u32).pow(k)),
    ]
}

/// `v` enters as a public input: the gadget must pin every witness it allocates.
fn run(v: &BigInt, b: u32, n: &BigUint) -> (BigInt, BigInt, Cs) {
    let cs = cs();
    let x = input(&cs, v);
    let out = rescale(&x, b, n).unwrap();
    (
        from_field(out.quotient.value().unwrap()),
        from_field(out.remainder.value().unwrap()),
        cs,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn matches_floor_division((b, v) in (1u32..=200).prop_flat_map(|b| (Just(b), in_bound(b))), n in divisor()) {
        prop_assume!(quotient_bound(b, &n) + (n.bits() as u32) < 252);
        let (q, r, cs) = run(&v, b, &n);
        prop_assert_eq!((q.clone(), r.clone()), native_rescale(&v, &n));
        prop_assert_eq!(&q * BigInt::from(n.clone()) + &r, v);
        prop_assert!(cs.is_satisfied().unwrap());
        prop_assert_eq!(cs.num_constraints(), rescale_cost(b, &n));
        assert_all_witnesses_pinned(&cs);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A calibrated width: the same floor division, the narrower cost, every witness pinned.
    #[test]
    fn within_matches_floor_division(
        (b, v) in (1u32..=200).prop_flat_map(|b| (Just(b), in_bound(b))),
        n in divisor(),
        headroom in 0u32..4,
    ) {
        prop_assume!(quotient_bound(b, &n) + (n.bits() as u32) < 252);
        let (q, r) = native_rescale(&v, &n);
        let width = arkml_gadgets::fixed::bits_for(&q) + headroom;
        let cs = cs();
        let x = input(&cs, &v);
        let out = rescale_within(&x, b, &n, width).unwrap();
        prop_assert_eq!(from_field(out.quotient.value().unwrap()), q);
        prop_assert_eq!(from_field(out.remainder.value().unwrap()), r);
        prop_assert_eq!(out.quotient_bound, within_bound(b, &n, width));
        prop_assert!(cs.is_satisfied().unwrap());
        prop_assert_eq!(cs.num_constraints(), rescale_within_cost(b, &n, width));
        if n > BigUint::from(1u32) {
            assert_all_witnesses_pinned(&cs);
        }
    }
}

fn lie_within(v: i64, b: u32, n: u64, width: u32, q: BigInt, r: BigInt) -> bool {
    let cs = cs();
    let x = witness(&cs, &bi(v));
    rescale_within_with_claim(&x, b, &BigUint::from(n), width, || Ok((q, r))).unwrap();
    cs.is_satisfied().unwrap()
}

#[test]
fn within_lies_fail() {
    // v = 5000 declared up to 2^40, quotient calibrated to 2^4 (5000 / 1000 = 5)
    let (b, n, w) = (40, 1000u64, 4);
    assert!(lie_within(5000, b, n, w, bi(5), bi(0)));
    assert!(!lie_within(5000, b, n, w, bi(4), bi(1000)));
    assert!(!lie_within(5000, b, n, w, bi(6), bi(-1000)));
    // circomlib-ml's field-division quotient: huge, far beyond the width
    let q_field: Fr =
        (to_field::<Fr>(&bi(5000)) - to_field::<Fr>(&bi(7))) / to_field::<Fr>(&BigInt::from(n));
    assert!(!lie_within(5000, b, n, w, from_field(q_field), bi(7)));
    // a quotient that needs more than the width cannot be claimed: v = 40000, q = 40
    assert!(!lie_within(40_000, b, n, w, bi(40), bi(0)));
}

#[test]
fn within_refuses_a_value_beyond_the_width() {
    let cs = cs();
    let x = witness(&cs, &bi(40_000));
    match rescale_within(&x, 40, &BigUint::from(1000u32), 4) {
        Err(Error::OutOfRange { what, .. }) => assert!(what.contains("calibrated"), "{what}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[test]
fn pow2_costs_b_plus_2() {
    for (b, s) in [(8u32, 4u32), (16, 8), (64, 16), (128, 60), (250, 120)] {
        let n = BigUint::from(1u32) << s;
        assert_eq!(rescale_cost(b, &n), b as usize + 2);
        let (_, _, cs) = run(&(-pow2(b)), b, &n);
        assert_eq!(cs.num_constraints(), b as usize + 2);
        assert!(cs.is_satisfied().unwrap());
    }
}

/// Cost for arbitrary `n`: `2k + 1` for the remainder (`k` bits of `r` and `k + 1` for
/// `n - 1 - r`, `k = ceil(log2 n)`), `Bq + 1` for the quotient, `1` for the equation.
#[test]
fn arbitrary_n_cost_formula() {
    for (b, n) in [
        (40u32, BigUint::from(1000u32)),
        (130, BigUint::from(10u32).pow(18)),
        (245, BigUint::from(10u32).pow(36)),
        (12, BigUint::from(9u32)),
    ] {
        let k = remainder_bits(&n) as usize;
        let bq = quotient_bound(b, &n) as usize;
        assert_eq!(rescale_cost(b, &n), 2 * k + 1 + bq + 1 + 1);
        let (_, _, cs) = run(&(pow2(b) - 1), b, &n);
        assert_eq!(cs.num_constraints(), rescale_cost(b, &n));
        assert!(cs.is_satisfied().unwrap());
    }
    // pinned figures
    assert_eq!(
        rescale_cost(245, &BigUint::from(10u32).pow(36)),
        2 * 120 + 126 + 3
    );
    assert_eq!(rescale_cost(64, &(BigUint::from(1u32) << 16)), 66);
}

#[test]
fn edges() {
    let n = BigUint::from(10u32).pow(18);
    for v in [pow2(100), -pow2(100), pow2(100) - 1, bi(0), bi(-1), bi(1)] {
        let b = 100;
        if v == pow2(100) {
            let cs = cs();
            let x = witness(&cs, &v);
            assert!(matches!(rescale(&x, b, &n), Err(Error::OutOfRange { .. })));
            continue;
        }
        let (q, r, cs) = run(&v, b, &n);
        assert_eq!((q, r), floor_div(&v, &n));
        assert!(cs.is_satisfied().unwrap());
    }
}

fn lie(v: i64, b: u32, n: u64, q: BigInt, r: BigInt) -> bool {
    let cs = cs();
    let x = witness(&cs, &bi(v));
    rescale_with_claim(&x, b, &BigUint::from(n), || Ok((q, r))).unwrap();
    let a = cs.is_satisfied().unwrap();
    assert_eq!(a, satisfied(&cs));
    a
}

#[test]
fn honest_claim_is_satisfied() {
    assert!(lie(-1001, 12, 1000, bi(-2), bi(999)));
    assert!(lie(-1001, 12, 1024, bi(-1), bi(23)));
}

#[test]
fn quotient_off_by_one_with_remainder_adjusted_fails() {
    for n in [1000u64, 1024] {
        let (q, r) = floor_div(&bi(-1001), &BigUint::from(n));
        let nn = BigInt::from(n);
        assert!(!lie(-1001, 12, n, &q + 1, &r - &nn), "q+1, n={n}");
        assert!(!lie(-1001, 12, n, &q - 1, &r + &nn), "q-1, n={n}");
    }
}

#[test]
fn remainder_at_or_above_n_fails() {
    // 5000 = 4*1000 + 1000: a remainder equal to n
    assert!(!lie(5000, 14, 1000, bi(4), bi(1000)));
    assert!(!lie(5000, 14, 1000, bi(3), bi(2000)));
    assert!(!lie(5000, 14, 1024, bi(3), bi(5000 - 3 * 1024)));
}

#[test]
fn negative_remainder_fails() {
    // r = p - 1 (i.e. -1), with q chosen so that q*n + r = v holds in the field
    assert!(!lie(5000, 14, 1000, bi(5), bi(-1000)));
    assert!(!lie(4999, 14, 1000, bi(5), bi(-1)));
    assert!(!lie(4999, 14, 1024, bi(5), bi(4999 - 5 * 1024)));
}

/// circomlib-ml's lie: any remainder in range, with `q = (v - r) / n` computed in the field.
#[test]
fn field_division_quotient_fails() {
    let v = bi(5000);
    let n = BigUint::from(1000u32);
    for r in [bi(1), bi(17), bi(999)] {
        let q_field: Fr =
            (to_field::<Fr>(&v) - to_field::<Fr>(&r)) / to_field::<Fr>(&BigInt::from(n.clone()));
        let q = from_field(q_field);
        assert!(q.bits() > 200, "the field quotient is huge");
        assert!(!lie(5000, 14, 1000, q, r));
    }
}

#[test]
fn wrong_output_fails() {
    // the caller constrains the output to a wrong value
    let cs = cs();
    let x = witness(&cs, &bi(777));
    let out = rescale(&x, 12, &BigUint::from(10u32)).unwrap();
    out.quotient.enforce_equal(&witness(&cs, &bi(78))).unwrap();
    assert!(!cs.is_satisfied().unwrap());
}

#[test]
fn helper_detects_a_free_witness() {
    // sanity of the perturbation helper: an unconstrained witness is reported
    let cs = cs();
    let x = witness(&cs, &bi(7));
    rescale(&x, 4, &BigUint::from(2u32)).unwrap();
    let _free = witness(&cs, &bi(3));
    let free = free_witnesses(&cs);
    assert_eq!(free, vec![cs.num_witness_variables() - 1]);
}

#[test]
fn bad_input() {
    let cs = cs();
    let x = witness(&cs, &bi(7));
    assert!(matches!(
        rescale(&x, 4, &BigUint::from(0u32)),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        rescale(&x, 251, &BigUint::from(2u32)),
        Err(Error::BoundTooLarge { .. })
    ));
    assert!(matches!(
        rescale(&x, 2, &BigUint::from(2u32)),
        Err(Error::OutOfRange { .. })
    ));
    let huge = modulus::<Fr>() >> 2;
    assert!(matches!(
        rescale(&x, 250, &huge),
        Err(Error::BoundTooLarge { .. })
    ));
    assert_eq!(cs.num_constraints(), 0);
}

#[test]
fn divisor_one_is_free() {
    let (q, r, cs) = run(&bi(-9), 8, &BigUint::from(1u32));
    assert_eq!((q, r), (bi(-9), bi(0)));
    assert_eq!(cs.num_constraints(), 0);
}
