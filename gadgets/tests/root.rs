//! Checked roots and reciprocals: the circuit equals the native twin and costs what the
//! formula says, every witness is pinned and unique at small sizes, a claim off by one
//! either way is refused, inputs outside the domain are typed errors, and on every input
//! within a bound the result is within one unit of the float function (a dense grid: all of
//! them).
mod common;
use common::*;

use ark_r1cs_std::GR1CSVar;
use arkml_gadgets::activation::{root, root_with_claim, Root};
use arkml_gadgets::fixed::from_field;
use arkml_gadgets::testing::{assert_all_witnesses_pinned, witness_is_unique};
use arkml_gadgets::Error;
use num_bigint::{BigInt, BigUint};
use proptest::prelude::*;

const KINDS: [Root; 3] = [Root::Sqrt, Root::Recip, Root::Rsqrt];

/// The constant for scale `2^k`: `S`, `S^2`, `S^3`.
fn constant(kind: Root, k: u32) -> BigUint {
    let p = match kind {
        Root::Sqrt => 1,
        Root::Recip => 2,
        Root::Rsqrt => 3,
    };
    BigUint::from(1u32) << (k * p)
}

fn in_domain(kind: Root, v: &BigInt) -> bool {
    match kind {
        Root::Sqrt => *v >= BigInt::from(0),
        Root::Recip => *v != BigInt::from(0),
        Root::Rsqrt => *v > BigInt::from(0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn circuit_equals_native_and_costs_its_formula(
        kind in 0usize..3, b in 2u32..12, k in 2u32..10, v in in_bound(11),
    ) {
        let kind = KINDS[kind];
        let v = v % (BigInt::from(1) << b);
        prop_assume!(in_domain(kind, &v));
        let c = constant(kind, k);
        let sys = cs();
        let x = input(&sys, &v);
        let y = root(kind, &x, b, &c).unwrap();
        prop_assert!(sys.is_satisfied().unwrap());
        prop_assert_eq!(sys.num_constraints(), kind.cost(b, &c));
        let got = from_field(y.value().unwrap());
        prop_assert_eq!(&got, &kind.native(&v, &c).unwrap());
        prop_assert!(arkml_gadgets::fixed::fits_signed(&got, kind.bound(b, &c)));
        assert_all_witnesses_pinned(&sys);
        // a claim one off either way is refused
        for d in [-1i64, 1] {
            let sys = cs();
            let x = input(&sys, &v);
            let lie = &got + d;
            if root_with_claim(kind, &x, b, &c, || Ok(lie.clone())).is_ok() {
                prop_assert!(!sys.is_satisfied().unwrap(), "{kind:?} v {v} claim {lie}");
            }
        }
    }
}

/// Every input within the bound: the result is the floor of the true value (within one
/// unit of the output scale), at scales 2^4 and 2^8.
#[test]
fn within_one_unit_on_every_input() {
    for k in [4u32, 8] {
        let s = (1u64 << k) as f64;
        for kind in KINDS {
            let c = constant(kind, k);
            let mut worst: f64 = 0.0;
            for v in -2048i64..2048 {
                let vb = BigInt::from(v);
                if !in_domain(kind, &vb) {
                    assert!(
                        matches!(kind.native(&vb, &c), Err(Error::OutOfRange { .. })),
                        "{kind:?} {v}"
                    );
                    continue;
                }
                let y = kind
                    .native(&vb, &c)
                    .unwrap()
                    .to_string()
                    .parse::<f64>()
                    .unwrap();
                let x = v as f64 / s;
                let want = s * match kind {
                    Root::Sqrt => x.sqrt(),
                    Root::Recip => 1.0 / x,
                    Root::Rsqrt => 1.0 / x.sqrt(),
                };
                let err = (y - want).abs();
                assert!(err < 1.0 + 1e-9, "{kind:?} at {x}: {y} vs {want}");
                worst = worst.max(err);
            }
            eprintln!("{kind:?} at 2^{k}: largest error {worst:.4} units");
        }
    }
}

#[test]
fn witnesses_are_unique_at_small_sizes() {
    for kind in KINDS {
        for v in [-5i64, -1, 1, 2, 7] {
            let vb = BigInt::from(v);
            if !in_domain(kind, &vb) {
                continue;
            }
            let c = constant(kind, 2);
            let cs = cs();
            let x = witness(&cs, &vb);
            let _ = root(kind, &x, 3, &c).unwrap();
            assert!(cs.is_satisfied().unwrap());
            witness_is_unique(&cs, 1).unwrap_or_else(|e| panic!("{kind:?} {v}: {e}"));
        }
    }
}

#[test]
fn out_of_domain_inputs_are_typed_errors_before_any_constraint() {
    for (kind, v) in [
        (Root::Sqrt, -3i64),
        (Root::Recip, 0),
        (Root::Rsqrt, 0),
        (Root::Rsqrt, -2),
    ] {
        let cs = cs();
        let x = witness(&cs, &BigInt::from(v));
        let before = cs.num_constraints();
        let e = root(kind, &x, 4, &constant(kind, 3)).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { .. }), "{kind:?}: {e}");
        assert_eq!(cs.num_constraints(), before);
    }
}
