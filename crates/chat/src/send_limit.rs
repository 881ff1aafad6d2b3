//! How fast a member may send messages: a token bucket per member (`governor`), shared by the socket
//! and REST, `send_rate_per_second` sustained with bursts up to `send_rate_burst`. Each node counts
//! its own senders. A send over the limit is refused (`send_rate_limited`, 429), never dropped.
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use qixie_kernel::error::{AppError, AppResult, ErrorKind, Hint};

/// Checks between two sweeps of the members that are back to a full bucket.
const SWEEP_EVERY: u64 = 4_096;

pub struct SendLimit {
    limiter: Option<DefaultKeyedRateLimiter<i64>>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl Default for SendLimit {
    fn default() -> Self {
        SendLimit::new(20, 50)
    }
}

impl SendLimit {
    /// `per_second` 0 turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> SendLimit {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        SendLimit {
            limiter,
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// Takes one send from `member`'s allowance, or says how long to wait.
    pub fn check(&self, member: i64) -> AppResult<()> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        match limiter.check_key(&member) {
            Ok(()) => Ok(()),
            Err(not_until) => Err(throttled(not_until.wait_time_from(self.clock.now()))),
        }
    }
}

/// `send_rate_limited`, with how long to wait (`details.retry_after_ms`, and `Retry-After` over REST).
fn throttled(wait: Duration) -> AppError {
    let ms = wait.as_millis().clamp(1, u128::from(u32::MAX)) as u64;
    let mut e = AppError::new(ErrorKind::SendRateLimited);
    e.hint = Some(Hint {
        zh: format!("{ms} 毫秒后可再发送"),
        en: format!("try again in {ms} ms"),
        data: json!({ "retry_after_ms": ms }),
    });
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_sends_are_refused_with_a_wait_per_member() {
        let l = SendLimit::new(1, 5);
        for _ in 0..5 {
            l.check(1).unwrap();
        }
        let e = l.check(1).unwrap_err();
        assert_eq!(e.kind, ErrorKind::SendRateLimited);
        let wait = e.hint.as_ref().unwrap().data["retry_after_ms"]
            .as_u64()
            .unwrap();
        assert!(wait > 0 && wait <= 1000, "{wait}");
        // Another member has an allowance of their own.
        l.check(2).unwrap();
    }

    #[test]
    fn a_zero_rate_is_no_limit() {
        let l = SendLimit::new(0, 0);
        for _ in 0..10_000 {
            l.check(1).unwrap();
        }
    }
}
