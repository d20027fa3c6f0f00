//! When a failed job runs again: exponential backoff with jitter, capped.

use std::time::Duration;

/// The delay before run number `attempts + 1`, after `attempts` failed runs: 2 s, 4 s, 8 s, ...
/// capped at one hour, each spread by up to ±20 % (from `jitter` in `[0, 1)`) so that jobs that
/// failed together do not retry together.
pub fn backoff(attempts: i64, jitter: f64) -> Duration {
    let exp = attempts.clamp(1, 32) as u32 - 1;
    let base = 2u64.saturating_mul(1u64 << exp.min(20)).min(3600);
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(base as f64 * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(2, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(5, 0.5), Duration::from_secs(32));
        assert_eq!(backoff(30, 0.5), Duration::from_secs(3600));
        assert_eq!(backoff(i64::MAX, 0.5), Duration::from_secs(3600));
    }

    #[test]
    fn jitter_spreads_by_a_fifth() {
        assert_eq!(backoff(3, 0.0), Duration::from_secs_f64(6.4));
        assert!(backoff(3, 0.999) < Duration::from_secs_f64(9.6));
        assert!(backoff(3, 0.999) > Duration::from_secs_f64(9.5));
    }
}
