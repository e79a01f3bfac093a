//! When background work that failed is tried again: exponential backoff with jitter, capped,
//! a server's `Retry-After` honoured, and a last attempt after which the work is dead.

/// How failed work is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failure, in milliseconds.
    pub first_ms: i64,
    /// The longest wait between attempts.
    pub cap_ms: i64,
    /// Work older than this (from when it was enqueued) is dead rather than retried.
    pub max_age_ms: i64,
}

impl Default for RetryPolicy {
    /// 5 s, doubling, at most 1 h apart, for 3 days.
    fn default() -> Self {
        Self {
            first_ms: 5_000,
            cap_ms: 3_600_000,
            max_age_ms: 3 * 24 * 3_600_000,
        }
    }
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (Unix milliseconds).
    RetryAt(i64),
    /// Give up: too old, or the failure is permanent.
    Dead,
}

impl RetryPolicy {
    /// After the `attempts`-th failed attempt (1 for the first) at `now`, of work enqueued at
    /// `created`: the next attempt's time, `jitter` (0.0..1.0) spreading it over the upper
    /// half of the backoff so that retries of many items do not arrive together. A server's
    /// `retry_after_ms` is a floor.
    pub fn after_failure(
        &self,
        attempts: u32,
        created: i64,
        now: i64,
        jitter: f64,
        retry_after_ms: Option<i64>,
        permanent: bool,
    ) -> AfterFailure {
        if permanent {
            return AfterFailure::Dead;
        }
        let exp = attempts.saturating_sub(1).min(30);
        let backoff = self
            .first_ms
            .saturating_mul(1i64 << exp)
            .min(self.cap_ms)
            .max(1);
        let jitter = jitter.clamp(0.0, 1.0);
        let wait = backoff / 2 + ((backoff / 2) as f64 * jitter) as i64;
        let wait = wait.max(retry_after_ms.unwrap_or(0));
        let at = now.saturating_add(wait);
        if at - created > self.max_age_ms {
            AfterFailure::Dead
        } else {
            AfterFailure::RetryAt(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let p = RetryPolicy::default();
        let at = |n, j| match p.after_failure(n, 0, 0, j, None, false) {
            AfterFailure::RetryAt(t) => t,
            AfterFailure::Dead => -1,
        };
        assert_eq!(at(1, 0.0), 2_500);
        assert_eq!(at(1, 1.0), 5_000);
        assert_eq!(at(2, 0.0), 5_000);
        assert_eq!(at(3, 1.0), 20_000);
        assert_eq!(at(30, 1.0), 3_600_000);
        assert!(at(3, 0.5) > at(3, 0.0) && at(3, 0.5) < at(3, 1.0));
    }

    #[test]
    fn retry_after_is_a_floor_and_old_or_permanent_failures_are_dead() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.after_failure(1, 0, 1_000, 0.0, Some(60_000), false),
            AfterFailure::RetryAt(61_000)
        );
        assert_eq!(
            p.after_failure(1, 0, 0, 0.0, None, true),
            AfterFailure::Dead
        );
        let old = p.max_age_ms;
        assert_eq!(
            p.after_failure(1, 0, old, 0.0, None, false),
            AfterFailure::Dead
        );
    }
}
