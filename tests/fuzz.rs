//! A short fuzz run of every loader (the long runs: `cargo run --release --example fuzz`):
//! mutated near-valid files never panic. `ARKML_FUZZ_MS` sets the budget per target
//! (default 1500 ms).
mod fuzz_targets;

#[test]
fn every_loader_survives_mutated_input() {
    let ms: u64 = std::env::var("ARKML_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    for t in fuzz_targets::targets() {
        let mut n = 0u64;
        arbtest::arbtest(|u| {
            n += 1;
            fuzz_targets::one(&t, u)
        })
        .budget_ms(ms);
        println!("{}: {n} inputs, no panic", t.name);
    }
}
