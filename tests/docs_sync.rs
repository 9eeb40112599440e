//! `docs/gadgets.md` holds the generated constraint table; this fails when it drifts.

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
fn table_matches_documented_formulas() {
    for row in arkml::report::gadget_rows() {
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
