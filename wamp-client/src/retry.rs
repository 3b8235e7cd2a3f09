//! How long to wait before connecting again: Autobahn|Python's reconnect policy as a small,
//! pure unit.
//!
//! The first attempt on a transport has no delay. Each retry waits the previous delay times
//! the growth factor, drawn from a normal distribution whose standard deviation is `jitter`
//! times that value, and capped at the maximum; the drawn value becomes the base of the next
//! one. A successful join resets the transport to its first attempt.
//!
//! One difference from Autobahn's code, on purpose: there the delay grows before the first
//! retry too, so with the defaults the first retry comes after about 2.25 s although the
//! setting says 1.5 s. Here the first retry waits `initial_retry_delay`, as its name says.
//!
//! This module is ours rather than the `backoff` crate's: that crate is unmaintained
//! (RUSTSEC-2025-0012) and its uniform randomisation is not Autobahn's normal one.

use std::time::Duration;

use crate::error::ConfigError;

/// Autobahn's default for [`RetryPolicy::max_retries`]: -1, retry forever.
pub const DEFAULT_MAX_RETRIES: i64 = -1;
/// Autobahn's default for [`RetryPolicy::initial_retry_delay`]: 1.5 s.
pub const DEFAULT_INITIAL_RETRY_DELAY: Duration = Duration::from_millis(1500);
/// Autobahn's default for [`RetryPolicy::max_retry_delay`]: 300 s.
pub const DEFAULT_MAX_RETRY_DELAY: Duration = Duration::from_secs(300);
/// Autobahn's default for [`RetryPolicy::retry_delay_growth`]: 1.5.
pub const DEFAULT_RETRY_DELAY_GROWTH: f64 = 1.5;
/// Autobahn's default for [`RetryPolicy::retry_delay_jitter`]: 0.1.
pub const DEFAULT_RETRY_DELAY_JITTER: f64 = 0.1;

/// When and how often a component tries a transport again after a failure.
///
/// The defaults are Autobahn|Python's (and pinned by a test): retry forever, first retry after
/// about 1.5 s, each next delay 1.5 times the previous with 10% jitter, at most 300 s.
///
/// ```
/// use std::time::Duration;
/// use wamp_client::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_retries(5)
///     .initial_retry_delay(Duration::from_millis(200))
///     .max_retry_delay(Duration::from_secs(10));
/// assert!(policy.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_retries: i64,
    initial_retry_delay: Duration,
    max_retry_delay: Duration,
    retry_delay_growth: f64,
    retry_delay_jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: DEFAULT_MAX_RETRIES,
            initial_retry_delay: DEFAULT_INITIAL_RETRY_DELAY,
            max_retry_delay: DEFAULT_MAX_RETRY_DELAY,
            retry_delay_growth: DEFAULT_RETRY_DELAY_GROWTH,
            retry_delay_jitter: DEFAULT_RETRY_DELAY_JITTER,
        }
    }
}

impl RetryPolicy {
    /// How many times to retry after the first attempt; -1 (the default) retries forever and
    /// 0 never retries. Values below -1 are rejected by [`validate`](Self::validate).
    pub fn max_retries(mut self, n: i64) -> Self {
        self.max_retries = n;
        self
    }

    /// The delay before the first retry (before jitter). Default 1.5 s.
    pub fn initial_retry_delay(mut self, d: Duration) -> Self {
        self.initial_retry_delay = d;
        self
    }

    /// The longest delay between two attempts. Default 300 s.
    pub fn max_retry_delay(mut self, d: Duration) -> Self {
        self.max_retry_delay = d;
        self
    }

    /// The factor each delay grows by; at least 1. Default 1.5.
    pub fn retry_delay_growth(mut self, growth: f64) -> Self {
        self.retry_delay_growth = growth;
        self
    }

    /// The standard deviation of each delay, as a fraction of it; from 0 (no jitter) to
    /// below 1. Default 0.1.
    pub fn retry_delay_jitter(mut self, jitter: f64) -> Self {
        self.retry_delay_jitter = jitter;
        self
    }

    /// The configured number of retries (-1: forever).
    pub fn retries(&self) -> i64 {
        self.max_retries
    }

    /// Checks the settings; the error names the offending field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field: &'static str, reason: String| {
            Err(ConfigError::InvalidSetting { field, reason })
        };
        if self.max_retries < -1 {
            return bad(
                "max_retries",
                format!("must be -1 (forever) or more, not {}", self.max_retries),
            );
        }
        if !(self.retry_delay_growth.is_finite() && self.retry_delay_growth >= 1.0) {
            return bad(
                "retry_delay_growth",
                format!(
                    "must be a number of at least 1, not {}",
                    self.retry_delay_growth
                ),
            );
        }
        if !(self.retry_delay_jitter.is_finite() && (0.0..1.0).contains(&self.retry_delay_jitter)) {
            return bad(
                "retry_delay_jitter",
                format!(
                    "must be at least 0 and below 1, not {}",
                    self.retry_delay_jitter
                ),
            );
        }
        if self.max_retry_delay < self.initial_retry_delay {
            return bad(
                "max_retry_delay",
                format!(
                    "must not be below initial_retry_delay ({:?} < {:?})",
                    self.max_retry_delay, self.initial_retry_delay
                ),
            );
        }
        Ok(())
    }
}

/// The retry state of one transport: attempts made since the last successful join, and the
/// base of the next delay.
#[derive(Debug, Clone)]
pub(crate) struct RetryState {
    attempts: u64,
    delay: Duration,
    rng: SplitMix64,
}

impl RetryState {
    pub(crate) fn new(seed: u64) -> Self {
        RetryState {
            attempts: 0,
            delay: Duration::ZERO,
            rng: SplitMix64(seed),
        }
    }

    /// Attempts made since the last reset.
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts
    }

    /// Whether the policy allows another attempt.
    pub(crate) fn can_retry(&self, policy: &RetryPolicy) -> bool {
        policy.max_retries < 0 || self.attempts < policy.max_retries as u64 + 1
    }

    /// Counts an attempt and returns how long to wait before making it: zero for the first,
    /// then the grown, jittered and capped delay.
    pub(crate) fn next_attempt(&mut self, policy: &RetryPolicy) -> Duration {
        self.attempts += 1;
        if self.attempts == 1 {
            return Duration::ZERO;
        }
        let base = if self.attempts == 2 {
            policy.initial_retry_delay.as_secs_f64()
        } else {
            self.delay.as_secs_f64() * policy.retry_delay_growth
        };
        let sd = base * policy.retry_delay_jitter;
        // A normal draw, kept within three standard deviations so that a rare tail value
        // neither retries at once nor stalls.
        let jittered = base + sd * self.rng.standard_normal().clamp(-3.0, 3.0);
        let capped = jittered.clamp(0.0, policy.max_retry_delay.as_secs_f64());
        self.delay = Duration::from_secs_f64(capped);
        self.delay
    }

    /// Back to the first attempt, after a successful join.
    pub(crate) fn reset(&mut self) {
        self.attempts = 0;
        self.delay = Duration::ZERO;
    }
}

/// A small, fast pseudo-random generator (SplitMix64): jitter needs no cryptographic quality.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    fn standard_normal(&mut self) -> f64 {
        let (u1, u2) = (self.unit(), self.unit());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// A seed that differs between processes and calls, so that many clients restarted together
/// do not retry in step.
pub(crate) fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_autobahns() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries, -1);
        assert_eq!(p.initial_retry_delay, Duration::from_millis(1500));
        assert_eq!(p.max_retry_delay, Duration::from_secs(300));
        assert_eq!(p.retry_delay_growth, 1.5);
        assert_eq!(p.retry_delay_jitter, 0.1);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn the_first_attempt_has_no_delay_and_retries_grow_within_the_jitter() {
        let p = RetryPolicy::default();
        for seed in 0..200 {
            let mut s = RetryState::new(seed);
            assert_eq!(s.next_attempt(&p), Duration::ZERO);
            let mut prev = s.next_attempt(&p).as_secs_f64();
            assert!(
                (1.5 * 0.7..=1.5 * 1.3).contains(&prev),
                "first retry {prev}"
            );
            for _ in 0..5 {
                let d = s.next_attempt(&p).as_secs_f64();
                assert!(
                    (prev * 1.5 * 0.7..=prev * 1.5 * 1.3).contains(&d),
                    "{d} after {prev}"
                );
                prev = d;
            }
        }
    }

    #[test]
    fn delays_are_capped_at_the_maximum() {
        let p = RetryPolicy::default().max_retry_delay(Duration::from_secs(5));
        let mut s = RetryState::new(7);
        let delays: Vec<_> = (0..30).map(|_| s.next_attempt(&p)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(5)));
        assert_eq!(delays[29], Duration::from_secs(5));
    }

    #[test]
    fn without_jitter_the_delays_are_exact() {
        let p = RetryPolicy::default()
            .retry_delay_jitter(0.0)
            .initial_retry_delay(Duration::from_secs(1))
            .retry_delay_growth(2.0);
        let mut s = RetryState::new(1);
        let delays: Vec<_> = (0..5).map(|_| s.next_attempt(&p).as_secs_f64()).collect();
        assert_eq!(delays, [0.0, 1.0, 2.0, 4.0, 8.0]);
    }

    #[test]
    fn jitter_spreads_the_delays_around_the_base() {
        let p = RetryPolicy::default().initial_retry_delay(Duration::from_secs(10));
        let draws: Vec<f64> = (0..2000)
            .map(|seed| {
                let mut s = RetryState::new(seed);
                s.next_attempt(&p);
                s.next_attempt(&p).as_secs_f64()
            })
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd =
            (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
        assert!((9.8..10.2).contains(&mean), "mean {mean}");
        assert!((0.8..1.2).contains(&sd), "standard deviation {sd}");
    }

    #[test]
    fn max_retries_bounds_the_attempts_and_a_reset_restores_them() {
        let p = RetryPolicy::default().max_retries(2);
        let mut s = RetryState::new(3);
        let mut made = 0;
        while s.can_retry(&p) && made < 10 {
            s.next_attempt(&p);
            made += 1;
        }
        assert_eq!(made, 3, "one attempt and two retries");
        s.reset();
        assert!(s.can_retry(&p));
        assert_eq!(s.next_attempt(&p), Duration::ZERO);
        let never = RetryPolicy::default().max_retries(0);
        let mut s = RetryState::new(3);
        s.next_attempt(&never);
        assert!(!s.can_retry(&never));
        let forever = RetryPolicy::default();
        let mut s = RetryState::new(3);
        for _ in 0..1000 {
            s.next_attempt(&forever);
        }
        assert!(s.can_retry(&forever));
    }

    #[test]
    fn invalid_settings_name_their_field() {
        let field = |p: RetryPolicy| match p.validate() {
            Err(ConfigError::InvalidSetting { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(RetryPolicy::default().max_retries(-2)), "max_retries");
        assert_eq!(
            field(RetryPolicy::default().retry_delay_growth(0.5)),
            "retry_delay_growth"
        );
        assert_eq!(
            field(RetryPolicy::default().retry_delay_growth(f64::NAN)),
            "retry_delay_growth"
        );
        assert_eq!(
            field(RetryPolicy::default().retry_delay_jitter(-0.1)),
            "retry_delay_jitter"
        );
        assert_eq!(
            field(RetryPolicy::default().retry_delay_jitter(1.0)),
            "retry_delay_jitter"
        );
        assert_eq!(
            field(RetryPolicy::default().max_retry_delay(Duration::from_secs(1))),
            "max_retry_delay"
        );
    }
}
