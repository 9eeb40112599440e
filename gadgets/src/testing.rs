//! Test support: check a synthesised constraint system against perturbed witnesses.
//!
//! [`free_witnesses`] evaluates the R1CS matrices itself (arkworks caches linear-combination
//! values at allocation time, so editing an assignment in place and calling
//! `is_satisfied()` would check stale sums). For every witness variable alone it tries
//! several perturbations and reports the variables for which some perturbation still
//! satisfies every constraint: those the circuit does not pin down. For a sound gadget whose
//! outputs are uniquely determined by its inputs, that list is empty.

use ark_ff::PrimeField;
use ark_relations::gr1cs::{ConstraintSystemRef, R1CS_PREDICATE_LABEL};

/// Rows of `A`, `B`, `C` touching each column, and the full assignment `z = (instance, witness)`.
struct R1cs<F: PrimeField> {
    a: Vec<Vec<(F, usize)>>,
    b: Vec<Vec<(F, usize)>>,
    c: Vec<Vec<(F, usize)>>,
    rows_of: Vec<Vec<usize>>,
    z: Vec<F>,
    num_instance: usize,
}

fn eval<F: PrimeField>(row: &[(F, usize)], z: &[F]) -> F {
    row.iter().map(|(c, i)| *c * z[*i]).sum()
}

impl<F: PrimeField> R1cs<F> {
    fn new(cs: &ConstraintSystemRef<F>) -> Self {
        cs.finalize();
        let mut m = cs.to_matrices().expect("matrices");
        let mut abc = m.remove(R1CS_PREDICATE_LABEL).unwrap_or_default();
        assert!(m.is_empty(), "only R1CS predicates are supported");
        if abc.is_empty() {
            abc = vec![vec![], vec![], vec![]];
        }
        let c = abc.pop().unwrap();
        let b = abc.pop().unwrap();
        let a = abc.pop().unwrap();
        let inst = cs.instance_assignment().expect("prove mode");
        let wit = cs.witness_assignment().expect("prove mode");
        let num_instance = inst.len();
        let z: Vec<F> = inst.into_iter().chain(wit).collect();
        let mut rows_of = vec![Vec::new(); z.len()];
        for (r, (ra, (rb, rc))) in a.iter().zip(b.iter().zip(c.iter())).enumerate() {
            for (_, col) in ra.iter().chain(rb).chain(rc) {
                if rows_of[*col].last() != Some(&r) {
                    rows_of[*col].push(r);
                }
            }
        }
        R1cs {
            a,
            b,
            c,
            rows_of,
            z,
            num_instance,
        }
    }

    fn row_ok(&self, r: usize, z: &[F]) -> bool {
        eval(&self.a[r], z) * eval(&self.b[r], z) == eval(&self.c[r], z)
    }

    fn all_ok(&self) -> bool {
        (0..self.a.len()).all(|r| self.row_ok(r, &self.z))
    }
}

/// Whether every R1CS constraint holds, evaluated from the matrices.
pub fn satisfied<F: PrimeField>(cs: &ConstraintSystemRef<F>) -> bool {
    R1cs::new(cs).all_ok()
}

/// The indices of witness variables that can be changed alone (by `+1`, `-1`, `+2`, `x2` or
/// to `-x`) while every constraint still holds. Panics if the honest assignment does not
/// satisfy the system.
pub fn free_witnesses<F: PrimeField>(cs: &ConstraintSystemRef<F>) -> Vec<usize> {
    let sys = R1cs::new(cs);
    assert!(sys.all_ok(), "the honest witness must satisfy the system");
    let mut z = sys.z.clone();
    let mut free = Vec::new();
    for w in 0..z.len() - sys.num_instance {
        let col = sys.num_instance + w;
        let orig = z[col];
        let tries = [
            orig + F::one(),
            orig - F::one(),
            orig + F::from(2u64),
            orig.double(),
            -orig,
        ];
        let mut pinned = true;
        for t in tries.into_iter().filter(|t| *t != orig) {
            z[col] = t;
            if sys.rows_of[col].iter().all(|&r| sys.row_ok(r, &z)) {
                pinned = false;
                break;
            }
        }
        z[col] = orig;
        if !pinned {
            free.push(w);
        }
    }
    free
}

/// Asserts that no witness variable can be perturbed alone: see [`free_witnesses`].
pub fn assert_all_witnesses_pinned<F: PrimeField>(cs: &ConstraintSystemRef<F>) {
    let free = free_witnesses(cs);
    assert!(
        free.is_empty(),
        "witness variables {free:?} of {} can be changed without breaking a constraint",
        cs.num_witness_variables()
    );
}
