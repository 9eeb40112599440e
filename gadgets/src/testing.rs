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

/// What a linear equation over boolean unknowns admits.
enum Bits {
    None,
    One(Vec<bool>),
    Many,
}

/// Solves `sum c_i b_i = t` over booleans `b_i` by branch and bound on the coefficients'
/// magnitudes (largest first, pruned by what the rest can still add): a bit decomposition
/// (whatever its signs and offset), or a quotient and remainder decomposed together
/// (`q n + r`), has one or two solutions and is settled in a few steps. More than 10^5 steps
/// is [`Bits::Many`] (undecided: the search branches on a variable instead).
fn solve_bits<F: PrimeField>(vars: &[(F, usize)], t: F) -> Bits {
    use num_bigint::BigUint;
    let half: BigUint = F::MODULUS_MINUS_ONE_DIV_TWO.into();
    // |c_i| and sign; b~_i = b_i for positive c_i, 1 - b_i for negative ones
    let mut target: F = t;
    let mut mags: Vec<(BigUint, usize, bool)> = Vec::with_capacity(vars.len());
    for (k, (c, _)) in vars.iter().enumerate() {
        let u: BigUint = (*c).into();
        if u > half {
            target += -*c;
            mags.push(((-*c).into(), k, true));
        } else {
            mags.push((u, k, false));
        }
    }
    mags.sort_by(|a, b| b.0.cmp(&a.0));
    let total: BigUint = mags.iter().map(|m| &m.0).sum();
    let modulus: BigUint = F::MODULUS.into();
    if total >= modulus {
        return Bits::Many; // sums could wrap around the modulus: not an integer problem
    }
    // suffix[i] = sum of mags[i..]
    let mut suffix = vec![BigUint::from(0u32); mags.len() + 1];
    for i in (0..mags.len()).rev() {
        suffix[i] = &suffix[i + 1] + &mags[i].0;
    }
    let target: BigUint = target.into();
    if target > total {
        return Bits::None;
    }
    struct Dfs<'a> {
        mags: &'a [(BigUint, usize, bool)],
        suffix: &'a [BigUint],
        steps: usize,
        take: Vec<bool>,
        found: Vec<Vec<bool>>,
    }
    impl Dfs<'_> {
        fn go(&mut self, i: usize, rest: &BigUint) -> bool {
            self.steps += 1;
            if self.steps > 100_000 || self.found.len() > 1 {
                return false;
            }
            if i == self.mags.len() {
                if rest == &BigUint::from(0u32) {
                    self.found.push(self.take.clone());
                }
                return true;
            }
            if rest > &self.suffix[i] {
                return true;
            }
            if rest >= &self.mags[i].0 {
                self.take[i] = true;
                let r = rest - &self.mags[i].0;
                if !self.go(i + 1, &r) {
                    return false;
                }
                self.take[i] = false;
            }
            self.go(i + 1, rest)
        }
    }
    let mut d = Dfs {
        mags: &mags,
        suffix: &suffix,
        steps: 0,
        take: vec![false; mags.len()],
        found: Vec::new(),
    };
    let complete = d.go(0, &target);
    if d.found.len() > 1 || !complete {
        return Bits::Many;
    }
    match d.found.pop() {
        None => Bits::None,
        Some(take) => {
            let mut sol = vec![false; vars.len()];
            for (pos, (_, k, neg)) in mags.iter().enumerate() {
                sol[*k] = take[pos] != *neg;
            }
            Bits::One(sol)
        }
    }
}

/// The most boolean variables [`witness_is_unique`] branches on before giving up.
const MAX_BRANCHES: usize = 1 << 12;

/// What the joint search found.
enum Search<F> {
    /// No assignment satisfies the constraints under the current choices.
    None,
    /// Solutions found (stops at two).
    Found(Vec<Vec<F>>),
}

impl<F: PrimeField> R1cs<F> {
    /// Rows of the form `w * (1 - w) = 0` (up to scaling and sides): the boolean variables.
    fn booleans(&self) -> Vec<bool> {
        let mut is_bool = vec![false; self.z.len()];
        for r in 0..self.a.len() {
            let vars: std::collections::BTreeSet<usize> = self.a[r]
                .iter()
                .chain(&self.b[r])
                .chain(&self.c[r])
                .map(|(_, i)| *i)
                .filter(|i| *i != 0)
                .collect();
            if vars.len() != 1 {
                continue;
            }
            let w = *vars.iter().next().expect("one");
            let mut z = vec![F::zero(); self.z.len()];
            z[0] = F::one();
            let holds = |v: u64, z: &mut Vec<F>| {
                z[w] = F::from(v);
                self.row_ok(r, z)
            };
            if holds(0, &mut z) && holds(1, &mut z) && !holds(2, &mut z) && !holds(3, &mut z) {
                is_bool[w] = true;
            }
        }
        is_bool
    }

    /// `(known part, unknown terms)` of a linear combination.
    fn split(row: &[(F, usize)], z: &[Option<F>]) -> (F, Vec<(F, usize)>) {
        let mut known = F::zero();
        let mut unknown = Vec::new();
        for (c, i) in row {
            match z[*i] {
                Some(v) => known += *c * v,
                None => unknown.push((*c, *i)),
            }
        }
        (known, unknown)
    }

    /// Unit propagation: solves every constraint with one unknown appearing linearly, and
    /// every linear constraint whose unknowns are a few booleans with one solution. `false`
    /// on a contradiction.
    fn propagate(&self, z: &mut [Option<F>], is_bool: &[bool]) -> bool {
        loop {
            let mut progress = false;
            for r in 0..self.a.len() {
                let (ka, ua) = Self::split(&self.a[r], z);
                let (kb, ub) = Self::split(&self.b[r], z);
                let (kc, uc) = Self::split(&self.c[r], z);
                match (ua.len(), ub.len(), uc.len()) {
                    (0, 0, 0) if ka * kb != kc => return false,
                    (0, 0, 0) => {}
                    // linear in one side: a * b = c with the other sides known
                    (0, 0, _) | (_, 0, 0) | (0, _, 0) => {
                        let (coef_known, unknowns, target) = if !uc.is_empty() {
                            // sum(uc) = ka*kb - kc
                            (F::one(), uc, ka * kb - kc)
                        } else if !ua.is_empty() {
                            if kb.is_zero() {
                                // 0 = kc: a is unconstrained by this row
                                if !kc.is_zero() {
                                    return false;
                                }
                                continue;
                            }
                            (kb, ua, kc - ka * kb)
                        } else {
                            if ka.is_zero() {
                                if !kc.is_zero() {
                                    return false;
                                }
                                continue;
                            }
                            (ka, ub, kc - ka * kb)
                        };
                        // coef_known * sum(c_i x_i) = target
                        let target = target * coef_known.inverse().expect("non-zero");
                        let mut vars: Vec<(F, usize)> = Vec::new();
                        for (c, i) in unknowns {
                            match vars.iter_mut().find(|(_, j)| *j == i) {
                                Some(e) => e.0 += c,
                                None => vars.push((c, i)),
                            }
                        }
                        vars.retain(|(c, _)| !c.is_zero());
                        if vars.is_empty() {
                            if !target.is_zero() {
                                return false;
                            }
                        } else if vars.len() == 1 {
                            let (c, i) = vars[0];
                            z[i] = Some(target * c.inverse().expect("non-zero"));
                            progress = true;
                        } else if vars.iter().all(|(_, i)| is_bool[*i]) {
                            match solve_bits(&vars, target) {
                                Bits::None => return false,
                                Bits::One(sol) => {
                                    for ((_, i), v) in vars.iter().zip(sol) {
                                        z[*i] = Some(F::from(v as u64));
                                    }
                                    progress = true;
                                }
                                Bits::Many => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            if !progress {
                return true;
            }
        }
    }

    fn search(
        &self,
        z: Vec<Option<F>>,
        is_bool: &[bool],
        budget: &mut usize,
    ) -> Result<Search<F>, String> {
        let mut z = z;
        if !self.propagate(&mut z, is_bool) {
            return Ok(Search::None);
        }
        if z.iter().all(|v| v.is_some()) {
            let full: Vec<F> = z.iter().map(|v| v.expect("known")).collect();
            if (0..self.a.len()).all(|r| self.row_ok(r, &full)) {
                return Ok(Search::Found(vec![full]));
            }
            return Ok(Search::None);
        }
        let Some(branch) = (0..z.len()).find(|&i| z[i].is_none() && is_bool[i]) else {
            let free = (0..z.len())
                .find(|&i| z[i].is_none())
                .expect("some unknown");
            return Err(format!(
                "variable {} is not determined by the constraints once every boolean is fixed",
                free - self.num_instance
            ));
        };
        if *budget == 0 {
            return Err("too many boolean choices to enumerate: use a smaller instance".into());
        }
        *budget -= 1;
        let mut found = Vec::new();
        for bit in [0u64, 1] {
            let mut zz = z.clone();
            zz[branch] = Some(F::from(bit));
            if let Search::Found(s) = self.search(zz, is_bool, budget)? {
                found.extend(s);
                if found.len() > 1 {
                    break;
                }
            }
        }
        Ok(if found.is_empty() {
            Search::None
        } else {
            Search::Found(found)
        })
    }
}

/// Proves, for a small instance, that the witness is the only one consistent with the
/// instance and the first `given` witness variables (the gadget's inputs, allocated first):
/// it enumerates the boolean variables jointly (branching, with unit propagation and every
/// bit decomposition solved as a whole) and solves every other variable from the
/// constraints. Unlike [`free_witnesses`], which moves one variable at a time, this finds a
/// second witness that changes several variables together (circomlib-ml's rescale, whose
/// remainder bits and quotient move together, passes [`free_witnesses`] and fails this).
///
/// `Err` names why: a second satisfying witness (and the first variable where it differs),
/// a variable the constraints leave free, or an instance too large to enumerate.
pub fn witness_is_unique<F: PrimeField>(
    cs: &ConstraintSystemRef<F>,
    given: usize,
) -> Result<(), String> {
    let sys = R1cs::new(cs);
    assert!(sys.all_ok(), "the honest witness must satisfy the system");
    let is_bool = sys.booleans();
    let known = sys.num_instance + given;
    let z: Vec<Option<F>> = sys
        .z
        .iter()
        .enumerate()
        .map(|(i, v)| (i < known).then_some(*v))
        .collect();
    let mut budget = MAX_BRANCHES;
    match sys.search(z, &is_bool, &mut budget)? {
        Search::None => Err("no witness found (the search is incomplete)".into()),
        Search::Found(s) if s.len() == 1 => {
            assert_eq!(s[0], sys.z, "the one witness found is the honest one");
            Ok(())
        }
        Search::Found(s) => {
            let i = (0..s[0].len()).find(|&i| s[0][i] != s[1][i]).unwrap_or(0);
            Err(format!(
                "two witnesses satisfy the constraints; they differ first at witness variable {}",
                i - sys.num_instance
            ))
        }
    }
}

/// Asserts [`witness_is_unique`].
pub fn assert_witness_unique<F: PrimeField>(cs: &ConstraintSystemRef<F>, given: usize) {
    if let Err(e) = witness_is_unique(cs, given) {
        panic!("{e}");
    }
}
