//! Under ark-relations' `ConstraintLayer`, an unsatisfied constraint names the gadget that
//! wrote it. Alone in its test binary: tracing caches each call site's interest globally, so
//! gadgets hit first on other test threads (with no subscriber) would hide the span.
mod common;
use common::*;

use arkml_gadgets::fixed::floor_div;
use arkml_gadgets::rescale::rescale_with_claim;
use num_bigint::BigUint;

/// Every gadget carries `#[tracing::instrument(target = "gr1cs")]`.
#[test]
fn an_unsatisfied_constraint_names_its_gadget() {
    use ark_relations::gr1cs::ConstraintLayer;
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::Registry::default().with(ConstraintLayer::default());
    tracing::subscriber::with_default(subscriber, || {
        let cs = cs();
        let x = witness(&cs, &bi(-1001));
        let (q, r) = floor_div(&bi(-1001), &BigUint::from(1000u32));
        rescale_with_claim(&x, 12, &BigUint::from(1000u32), || Ok((q + 1, r - 1000))).unwrap();
        let which = cs
            .which_is_unsatisfied()
            .unwrap()
            .expect("a constraint fails");
        assert!(which.contains("rescale_with_claim"), "{which}");
    });
}
