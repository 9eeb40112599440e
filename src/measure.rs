//! Process measurements for examples and benchmarks (Linux `/proc`; `None` elsewhere):
//! CPU-seconds (user + system, all threads) and peak resident memory. The machines these
//! run on are shared, so CPU-seconds are reported beside wall time.

/// User + system CPU time of this process so far, in seconds.
pub fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the command name (which may hold spaces) start at state, field 3
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux ABI that arkworks targets
    Some((utime + stime) / 100.0)
}

/// Peak resident memory of this process so far, in MB (`VmHWM`).
pub fn peak_rss_mb() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak-memory mark (`VmHWM`) to the current resident size, so that
/// [`peak_rss_mb`] then reports the peak of what follows (Linux: writes `5` to
/// `/proc/self/clear_refs`). Returns whether it worked.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Wall and CPU seconds of `f`, with its result.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let cpu0 = cpu_seconds();
    let t = std::time::Instant::now();
    let v = f();
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    (v, wall, cpu)
}

/// Runs `f` `iters` times for a criterion `iter_custom`: returns the wall time and adds
/// the CPU-seconds spent and the iterations to `cpu` (a running total, so a bench can
/// report CPU-seconds per iteration beside criterion's wall time).
pub fn iterations(iters: u64, cpu: &mut (f64, u64), mut f: impl FnMut()) -> std::time::Duration {
    let c0 = cpu_seconds().unwrap_or(0.0);
    let t = std::time::Instant::now();
    for _ in 0..iters {
        f();
    }
    let wall = t.elapsed();
    cpu.0 += cpu_seconds().unwrap_or(0.0) - c0;
    cpu.1 += iters;
    wall
}

#[cfg(test)]
mod tests {
    #[test]
    fn measures_this_process() {
        if cfg!(target_os = "linux") {
            let (_, wall, cpu) = super::timed(|| {
                let mut x = 0u64;
                for i in 0..50_000_000u64 {
                    x = x.wrapping_mul(31).wrapping_add(i);
                }
                std::hint::black_box(x)
            });
            assert!(wall > 0.0);
            assert!(cpu.unwrap() >= 0.0);
            assert!(super::peak_rss_mb().unwrap() > 1.0);
        }
    }
}
