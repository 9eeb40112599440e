//! Tree ensembles: the circuit equals the native walk on random forests and inputs (edges
//! of the bound, thresholds outside it, strict and non-strict tests, shared comparisons),
//! the cost formula counts exactly what synthesis writes, no witness moves alone, the
//! witness is unique at small sizes, malformed forests are refused by name.
mod common;
use common::*;

use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::ConstraintSystem;
use arkml_gadgets::testing::{assert_all_witnesses_pinned, witness_is_unique};
use arkml_gadgets::tree::{forest, forest_cost, Branch, Forest};
use arkml_gadgets::{fixed::from_field, Error};
use ndarray::{Array1, Array2};
use num_bigint::BigInt;
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// A random forest over `features` inputs with bound `b`: trees of depth up to 3, a
/// single-leaf tree now and then, thresholds around and beyond the bound, repeated tests.
fn random_forest(rng: &mut StdRng, features: usize, b: u32, targets: usize) -> Forest<BigInt> {
    let trees = rng.gen_range(1..4);
    let edge = 1i64 << b;
    // nodes in pre-order: (feature, threshold, strict) or a leaf, with child links fixed up
    enum N {
        B(usize, i64, bool, usize, usize),
        L(Vec<i64>),
    }
    fn grow(
        rng: &mut StdRng,
        depth: u32,
        f: usize,
        edge: i64,
        t: usize,
        out: &mut Vec<N>,
    ) -> usize {
        let me = out.len();
        if depth == 0 || rng.gen_bool(0.25) {
            out.push(N::L((0..t).map(|_| rng.gen_range(-40..=40)).collect()));
            return me;
        }
        let thr = match rng.gen_range(0..6) {
            0 => edge + rng.gen_range(-1..=2),
            1 => -edge + rng.gen_range(-2..=1),
            // a few thresholds only, so tests repeat across branches and trees
            _ => [0, 3, -5, 7][rng.gen_range(0..4)],
        };
        out.push(N::B(rng.gen_range(0..f), thr, rng.gen_bool(0.5), 0, 0));
        let yes = grow(rng, depth - 1, f, edge, t, out);
        let no = grow(rng, depth - 1, f, edge, t, out);
        if let N::B(_, _, _, y, n) = &mut out[me] {
            (*y, *n) = (yes, no);
        }
        me
    }
    let mut nodes = Vec::new();
    let mut roots = Vec::new();
    for _ in 0..trees {
        roots.push(grow(rng, 3, features, edge, targets, &mut nodes));
    }
    // renumber: branches first (in order), then leaves
    let mut id = vec![0; nodes.len()];
    let nb = nodes.iter().filter(|n| matches!(n, N::B(..))).count();
    let (mut bi_, mut li) = (0, nb);
    for (i, n) in nodes.iter().enumerate() {
        id[i] = match n {
            N::B(..) => {
                bi_ += 1;
                bi_ - 1
            }
            N::L(_) => {
                li += 1;
                li - 1
            }
        };
    }
    let mut branches = Vec::new();
    let mut leaves = Vec::new();
    for n in &nodes {
        match n {
            N::B(f, t, s, y, no) => branches.push(Branch {
                feature: *f,
                threshold: BigInt::from(*t),
                strict: *s,
                yes: id[*y],
                no: id[*no],
            }),
            N::L(v) => leaves.extend(v.iter().map(|&v| BigInt::from(v))),
        }
    }
    Forest {
        branches,
        leaves: Array2::from_shape_vec((nodes.len() - nb, targets), leaves).unwrap(),
        roots: roots.iter().map(|&r| id[r]).collect(),
        base: Array1::from_iter((0..targets).map(|_| BigInt::from(rng.gen_range(-9..=9)))),
    }
}

fn value(rng: &mut StdRng, b: u32) -> BigInt {
    let edge = 1i64 << b;
    BigInt::from(match rng.gen_range(0..5) {
        0 => -edge,
        1 => edge - 1,
        2 => [0, 3, -5, 7, 4, -4, -8][rng.gen_range(0..7)],
        _ => rng.gen_range(-edge..edge),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn circuit_equals_the_native_walk_and_costs_what_it_says(seed in any::<u64>()) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (features, b, targets) = (rng.gen_range(1..4), rng.gen_range(3..6), rng.gen_range(1..3));
        let f = random_forest(&mut rng, features, b, targets);
        f.check(features).unwrap();
        let x: Vec<BigInt> = (0..features).map(|_| value(&mut rng, b)).collect();
        let native = f.native(&x).unwrap();
        let cs = cs();
        let xv: Vec<_> = x.iter().map(|v| input(&cs, v)).collect();
        let before = cs.num_constraints();
        let y = forest(&f, &xv, b).unwrap();
        prop_assert_eq!(cs.num_constraints() - before, forest_cost(&f, b));
        prop_assert!(cs.is_satisfied().unwrap());
        let got: Vec<BigInt> = y.iter().map(|v| from_field(v.value().unwrap())).collect();
        prop_assert_eq!(got, native.to_vec());
        // the bound holds every score
        let bound = f.bound().unwrap();
        prop_assert!(native.iter().all(|v| arkml_gadgets::fixed::fits_signed(v, bound)));
        if f.nonnegative() {
            prop_assert!(native.iter().all(|v| *v >= BigInt::from(0)));
        }
        assert_all_witnesses_pinned(&cs);
    }
}

/// A depth-2 tree: the witness is the only one for its input, at each side of each test.
#[test]
fn the_witness_is_unique() {
    let leaf = |v: i64| BigInt::from(v);
    let f = Forest {
        branches: vec![
            Branch {
                feature: 0,
                threshold: leaf(2),
                strict: false,
                yes: 1,
                no: 2,
            },
            Branch {
                feature: 1,
                threshold: leaf(-1),
                strict: true,
                yes: 3,
                no: 4,
            },
            Branch {
                feature: 1,
                threshold: leaf(5),
                strict: false,
                yes: 5,
                no: 6,
            },
        ],
        leaves: Array2::from_shape_vec((4, 1), vec![leaf(1), leaf(2), leaf(3), leaf(4)]).unwrap(),
        roots: vec![0],
        base: Array1::from_vec(vec![leaf(0)]),
    };
    for (a, b) in [(2, -1), (3, -2), (-8, 5), (7, 6), (2, -2)] {
        let cs = cs();
        let x = [witness(&cs, &bi(a)), witness(&cs, &bi(b))];
        let y = forest(&f, &x, 3).unwrap();
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(
            from_field(y[0].value().unwrap()),
            f.native(&[bi(a), bi(b)]).unwrap()[0]
        );
        witness_is_unique(&cs, 2).unwrap_or_else(|e| panic!("({a}, {b}): {e}"));
    }
}

/// A prover who claims another leaf's score leaves the system unsatisfied: the score is a
/// linear combination of pinned indicators, so an output bound to another value fails.
#[test]
fn a_lying_score_is_refused() {
    use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
    let f = Forest {
        branches: vec![Branch {
            feature: 0,
            threshold: bi(0),
            strict: false,
            yes: 1,
            no: 2,
        }],
        leaves: Array2::from_shape_vec((2, 1), vec![bi(10), bi(20)]).unwrap(),
        roots: vec![0],
        base: Array1::from_vec(vec![bi(0)]),
    };
    for (x, claim, ok) in [
        (-3, 10, true),
        (-3, 20, false),
        (4, 20, true),
        (4, 10, false),
    ] {
        let cs = ConstraintSystem::new_ref();
        let xv = witness(&cs, &bi(x));
        let y = forest(&f, &[xv], 3).unwrap();
        let c = FpVar::new_input(cs.clone(), || Ok(ark_bn254::Fr::from(claim as u64))).unwrap();
        y[0].enforce_equal(&c).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), ok, "x {x}, claimed {claim}");
    }
}

#[test]
fn malformed_forests_are_refused_by_name() {
    let good = || Forest {
        branches: vec![Branch {
            feature: 0,
            threshold: bi(0),
            strict: false,
            yes: 1,
            no: 2,
        }],
        leaves: Array2::from_shape_vec((2, 1), vec![bi(1), bi(2)]).unwrap(),
        roots: vec![0],
        base: Array1::from_vec(vec![bi(0)]),
    };
    good().check(1).unwrap();
    let why = |f: Forest<BigInt>, features: usize| match f.check(features) {
        Err(Error::InvalidParameter { what, why }) => format!("{what}: {why}"),
        Err(Error::ShapeMismatch { what, .. }) => what,
        other => panic!("expected a typed refusal, got {other:?}"),
    };
    assert!(why(good(), 0).contains("tree feature"));
    let mut f = good();
    f.branches[0].yes = 0; // a cycle
    assert!(why(f, 1).contains("breaks the order"));
    let mut f = good();
    f.branches[0].no = 1; // a node reached twice, one in no tree
    assert!(why(f, 1).contains("reached twice"));
    let mut f = good();
    f.roots.push(7);
    assert!(why(f, 1).contains("breaks the order"));
    let mut f = good();
    f.base = Array1::from_vec(vec![bi(0), bi(0)]);
    assert!(why(f, 1).contains("leaf values"));
    let mut f = good();
    f.roots.clear();
    assert!(why(f, 1).contains("in no tree"));
}
