//! `docs/gadgets.md` and `docs/constraints.md` hold generated constraint tables; these fail
//! when they drift.

#[test]
fn gadget_table_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gadgets.md");
    let doc = std::fs::read_to_string(path).expect("docs/gadgets.md");
    let fresh = arkml::report::splice(&doc).expect("generated-table markers");
    assert!(
        doc == fresh,
        "docs/gadgets.md is stale: run `cargo run --example constraint_table -- --write`"
    );
}

#[test]
fn constraint_report_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/constraints.md");
    let doc = std::fs::read_to_string(path).expect("docs/constraints.md");
    assert!(
        doc == arkml::report::constraints_doc(),
        "docs/constraints.md is stale: run `cargo run --example constraint_table -- --write`"
    );
}

#[test]
fn table_matches_documented_formulas() {
    for row in arkml::report::gadget_rows() {
        assert_eq!(
            row.predicted, row.constraints,
            "{} ({}): {} predicts {}, synthesis counts {}",
            row.gadget, row.size, row.cost_fn, row.predicted, row.constraints
        );
        if row.formula == "0" {
            assert_eq!(row.constraints, 0, "{}", row.gadget);
        }
        if let Some(c) = row.circom {
            assert!(
                row.constraints <= c,
                "{} is costlier than circomlib-ml",
                row.gadget
            );
        }
    }
}
