//! Login throttling: after too many failures within a window, a key (an account or an address)
//! is locked for a while. Pure arithmetic over a small counter; the store keeps the counter.

use jiff::{SignedDuration, Timestamp};

/// The failure counter of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: i64,
    pub window_started_at: Timestamp,
    pub locked_until: Option<Timestamp>,
}

/// How many failures within how long lock a key, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub max_failures: i64,
    pub window: SignedDuration,
    pub lockout: SignedDuration,
}

impl ThrottlePolicy {
    /// Ten wrong passwords for one account within 15 minutes lock it for 15 minutes.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 10,
        window: SignedDuration::from_mins(15),
        lockout: SignedDuration::from_mins(15),
    };
    /// One address may fail more often (a shared office NAT), but not without limit.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 50,
        window: SignedDuration::from_mins(15),
        lockout: SignedDuration::from_mins(15),
    };

    /// Password-reset requests for one address: every request counts (the answer is the same
    /// whether the account exists), five an hour are plenty for a person, and the limit stops
    /// a script from flooding someone's mailbox.
    pub const RESET_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        max_failures: 5,
        window: SignedDuration::from_hours(1),
        lockout: SignedDuration::from_mins(15),
    };
    /// Reset requests from one client address, for any accounts.
    pub const RESET_ADDRESS: ThrottlePolicy = ThrottlePolicy {
        max_failures: 20,
        window: SignedDuration::from_mins(15),
        lockout: SignedDuration::from_mins(15),
    };

    /// `Some(wait)` when the key is locked at `now`.
    pub fn locked_for(&self, count: Option<&FailureCount>, now: Timestamp) -> Option<SignedDuration> {
        let until = count?.locked_until?;
        (until > now).then(|| until.duration_since(now))
    }

    /// The counter after one more failure at `now`; a full window locks the key.
    pub fn after_failure(&self, count: Option<&FailureCount>, now: Timestamp) -> FailureCount {
        let fresh = FailureCount { failures: 0, window_started_at: now, locked_until: None };
        let mut c = match count {
            Some(c) if now.duration_since(c.window_started_at) < self.window => *c,
            _ => fresh,
        };
        if c.locked_until.is_some_and(|u| u <= now) {
            c = fresh;
        }
        c.failures += 1;
        if c.failures >= self.max_failures {
            c.locked_until = Some(now + self.lockout);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn ten_failures_lock_the_account() {
        let p = ThrottlePolicy::ACCOUNT;
        let mut c = None;
        for i in 0..9 {
            c = Some(p.after_failure(c.as_ref(), t(i)));
            assert_eq!(p.locked_for(c.as_ref(), t(i)), None, "not locked after {} failures", i + 1);
        }
        c = Some(p.after_failure(c.as_ref(), t(9)));
        assert_eq!(p.locked_for(c.as_ref(), t(10)), Some(SignedDuration::from_secs(15 * 60 - 1)));
        assert_eq!(p.locked_for(c.as_ref(), t(9 + 15 * 60)), None, "the lock ends");
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let p = ThrottlePolicy::ACCOUNT;
        let mut c = None;
        for i in 0..9 {
            c = Some(p.after_failure(c.as_ref(), t(i)));
        }
        let later = p.after_failure(c.as_ref(), t(16 * 60));
        assert_eq!(later.failures, 1);
        assert_eq!(later.locked_until, None);
    }

    #[test]
    fn a_failure_after_an_expired_lock_starts_over() {
        let p = ThrottlePolicy::ACCOUNT;
        let locked = FailureCount { failures: 10, window_started_at: t(0), locked_until: Some(t(60)) };
        let next = p.after_failure(Some(&locked), t(61));
        assert_eq!(next.failures, 1);
        assert_eq!(p.locked_for(Some(&next), t(61)), None);
    }
}
