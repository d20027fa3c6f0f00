//! Due-instant throughput: `BusinessCalendar::add` for 1,000,000 tickets on a Europe/Berlin
//! Mon-Fri 08:00-18:00 calendar with holidays, starts spread over 2026 (both clock changes
//! included) and targets from 30 minutes to 5 business days (50h). Prints the total time
//! and nanoseconds per call. Run with `cargo bench -p opsdesk-domain --bench sla_due`.

use opsdesk_domain::sla::{BusinessCalendar, BusinessDuration, CalendarSpec};
use std::hint::black_box;
use std::time::Instant;

const N: usize = 1_000_000;

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let workweek = ["mon", "tue", "wed", "thu", "fri"];
    let spec = CalendarSpec {
        time_zone: "Europe/Berlin".into(),
        hours: workweek.iter().map(|d| (d.to_string(), vec!["08:00-18:00".to_string()])).collect(),
        holidays: ["01-01", "05-01", "10-03", "12-24", "12-25", "12-26", "12-31"]
            .into_iter()
            .chain(["2026-04-03", "2026-04-06", "2026-05-14", "2026-05-25", "2027-03-26", "2027-03-29"])
            .map(String::from)
            .collect(),
        twenty_four_seven: false,
    };
    let cal = BusinessCalendar::parse(&spec)?;

    let year_start: jiff::Timestamp = "2026-01-01T00:00:00+01:00".parse()?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs = Vec::with_capacity(N);
    for _ in 0..N {
        let start = year_start.checked_add(jiff::SignedDuration::from_secs(rng.below(365 * 86_400) as i64))?;
        // 30 minutes to 50 hours, in whole minutes.
        let target = BusinessDuration::minutes(30 + rng.below(50 * 60 - 30 + 1) as i64);
        inputs.push((start, target));
    }

    let t0 = Instant::now();
    let mut checksum: i64 = 0;
    for &(start, target) in &inputs {
        let due = cal.add(black_box(start), black_box(target))?;
        checksum = checksum.wrapping_add(due.as_second());
    }
    let add = t0.elapsed();

    let t1 = Instant::now();
    let mut total: i64 = 0;
    for &(start, target) in &inputs {
        let end = start.checked_add(jiff::SignedDuration::from_secs(target.as_secs() * 3))?;
        total = total.wrapping_add(cal.between(black_box(start), black_box(end)).as_secs());
    }
    let between = t1.elapsed();

    println!(
        "add:     {N} due instants in {:.3} s, {:.0} ns/op (checksum {checksum})",
        add.as_secs_f64(),
        add.as_nanos() as f64 / N as f64
    );
    println!(
        "between: {N} spans (3x the target) in {:.3} s, {:.0} ns/op (checksum {total})",
        between.as_secs_f64(),
        between.as_nanos() as f64 / N as f64
    );
    Ok(())
}
