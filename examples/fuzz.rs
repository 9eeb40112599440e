//! The long fuzz runs: `cargo run --release --example fuzz -- [INPUTS] [NAME]` feeds INPUTS
//! (default 1,000,000) mutated inputs to every loader (or those whose name contains NAME,
//! e.g. `ONNX`) and reports inputs, time and panics.
//! A panic prints the seed that reproduces it (arbtest) and fails the run.
#[path = "../tests/fuzz_targets/mod.rs"]
mod fuzz_targets;

fn main() {
    let want: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // panics are what we look for: keep their messages short
    std::panic::set_hook(Box::new(|info| eprintln!("PANIC: {info}")));
    let only = std::env::args().nth(2);
    for t in fuzz_targets::targets() {
        if only.as_ref().is_some_and(|o| !t.name.contains(o.as_str())) {
            continue;
        }
        let start = std::time::Instant::now();
        let mut n = 0u64;
        while n < want {
            arbtest::arbtest(|u| {
                n += 1;
                fuzz_targets::one(&t, u)
            })
            .budget_ms(10_000);
        }
        println!(
            "{:<34} {n:>9} inputs  {:>7.1} s  no panic",
            t.name,
            start.elapsed().as_secs_f64()
        );
    }
}
