//! Range checks: native twin equivalence, exact costs, soundness.
mod common;
use common::*;

use ark_bn254::Fr;
use ark_ff::PrimeField;
use ark_r1cs_std::GR1CSVar;
use arkml_gadgets::fixed::{fits_signed, fits_unsigned, modulus, pow2};
use arkml_gadgets::range::{
    decompose, enforce_bound, enforce_signed, enforce_unsigned, native_bound_bits,
};
use arkml_gadgets::testing::{assert_all_witnesses_pinned, satisfied};
use arkml_gadgets::Error;
use num_bigint::BigInt;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn unsigned_matches_native(k in 1u32..=128, v in in_bound(130)) {
        let cs = cs();
        let x = witness(&cs, &v);
        let r = enforce_unsigned(&x, k);
        if fits_unsigned(&v, k) {
            r.unwrap();
            prop_assert_eq!(cs.num_constraints(), arkml_gadgets::range::range_cost(k));
            prop_assert!(cs.is_satisfied().unwrap());
            assert_all_witnesses_pinned(&cs);
        } else {
            let is_range_err = matches!(r, Err(Error::OutOfRange { .. }));
            prop_assert!(is_range_err);
        }
    }

    #[test]
    fn bound_matches_native(b in 0u32..=200, v in in_bound(201)) {
        let cs = cs();
        let x = witness(&cs, &v);
        match (enforce_bound(&x, b), native_bound_bits(&v, b)) {
            (Ok(bits), Some(native)) => {
                let got: Vec<bool> = bits.iter().map(|b| b.value().unwrap()).collect();
                prop_assert_eq!(got, native);
                prop_assert_eq!(cs.num_constraints(), arkml_gadgets::range::bound_cost(b));
                prop_assert!(cs.is_satisfied().unwrap());
                // the sign bit is the last one
                prop_assert_eq!(bits.last().unwrap().value().unwrap(), v >= BigInt::from(0));
            }
            (Err(Error::OutOfRange { .. }), None) => prop_assert!(!fits_signed(&v, b)),
            (a, n) => prop_assert!(false, "circuit {:?} vs native {:?}", a.map(|_| ()), n),
        }
    }
}

#[test]
fn edges_of_signed_range() {
    for k in [1u32, 2, 8, 64, 251] {
        let half = pow2(k - 1);
        for (v, ok) in [
            (-half.clone(), true),
            (&half - 1, true),
            (half.clone(), false),
            (-&half - 1, false),
        ] {
            let cs = cs();
            let x = witness(&cs, &v);
            assert_eq!(enforce_signed(&x, k).is_ok(), ok, "k={k} v={v}");
            if ok {
                assert_eq!(cs.num_constraints(), k as usize + 1);
                assert!(cs.is_satisfied().unwrap());
            }
        }
    }
}

#[test]
fn pinned_costs() {
    for k in [1u32, 8, 16, 32, 64, 128, 252] {
        let c = cs();
        enforce_unsigned(&witness(&c, &bi(1)), k).unwrap();
        assert_eq!(c.num_constraints(), k as usize + 1, "unsigned {k}");
        let c = cs();
        enforce_signed(&witness(&c, &bi(-1)), k).unwrap();
        assert_eq!(c.num_constraints(), k as usize + 1, "signed {k}");
        assert_eq!(arkml_gadgets::range::range_cost(k), k as usize + 1);
        assert_eq!(arkml_gadgets::range::bound_cost(k), k as usize + 2);
    }
}

#[test]
fn constants_cost_nothing() {
    let cs = cs();
    let c = ark_r1cs_std::fields::fp::FpVar::Constant(Fr::from(5u64));
    enforce_unsigned(&c, 3).unwrap();
    assert!(enforce_unsigned(&c, 2).is_err());
    assert_eq!(cs.num_constraints(), 0);
}

#[test]
fn too_wide_is_a_typed_error() {
    let cs = cs();
    let x = witness(&cs, &bi(1));
    assert!(matches!(
        enforce_unsigned(&x, 253),
        Err(Error::BoundTooLarge { .. })
    ));
    assert!(matches!(
        enforce_bound(&x, 252),
        Err(Error::BoundTooLarge { .. })
    ));
    assert!(matches!(
        enforce_signed(&x, 0),
        Err(Error::InvalidParameter { .. })
    ));
}

/// The raw decomposition, fed a value outside the range, leaves the system unsatisfied.
#[test]
fn out_of_range_value_is_unsatisfiable() {
    for v in [pow2(16), pow2(16) + 1, bi(-1), bi(-(1 << 20))] {
        let cs = cs();
        let x = witness(&cs, &v);
        decompose(&x, &bi(0), 16).unwrap();
        assert!(!cs.is_satisfied().unwrap(), "{v}");
        assert!(!satisfied(&cs));
    }
}

/// The alias attack on a full-width decomposition: a small positive `x` written as
/// `x + p` bits. Bounded decomposition has no room for it: `x + p` needs 254 bits.
#[test]
fn alias_attack_fails() {
    let x_val = bi(5);
    let alias = BigInt::from(modulus::<Fr>()) + &x_val;
    assert!(alias.bits() > (Fr::MODULUS_BIT_SIZE - 2) as u64);
    // Claim "x is negative" with the bound decomposition of x + 2^b: the honest bits say
    // positive; flipping the sign bit alone must break the system.
    let cs = cs();
    let x = witness(&cs, &x_val);
    enforce_bound(&x, 100).unwrap();
    assert!(cs.is_satisfied().unwrap());
    assert_all_witnesses_pinned(&cs); // includes the sign bit
}
