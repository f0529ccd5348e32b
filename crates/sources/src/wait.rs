//! Waiting until something is so, for what has no event to block on (a socket that starts to
//! answer, a process that goes, a line in another program's log): the one polling loop with a
//! deadline, instead of one in every crate. Where there is an event (a channel, a child's exit
//! that can be waited for), block on it instead.

use std::time::{Duration, Instant};

/// A timeout that never passes: [`until`] asks until its check says so.
pub const FOREVER: Duration = Duration::MAX;

/// What [`until`] returns when its deadline passed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("still waiting after {}", seconds(*waited))]
#[non_exhaustive]
pub struct TimedOut {
    /// How long it waited.
    pub waited: Duration,
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Asks `ready` every `interval` until it returns a value, for at most `timeout` ([`FOREVER`]
/// for no limit); asks once more at the deadline before giving up. A check that can also tell
/// it will never be so returns that as its value (an `Err` in a `Result`), which ends the wait.
pub fn until<T>(
    timeout: Duration,
    interval: Duration,
    mut ready: impl FnMut() -> Option<T>,
) -> Result<T, TimedOut> {
    let started = Instant::now();
    let deadline = started.checked_add(timeout);
    loop {
        if let Some(value) = ready() {
            return Ok(value);
        }
        let now = Instant::now();
        let pause = match deadline {
            Some(deadline) if now >= deadline => {
                return Err(TimedOut {
                    waited: now - started,
                });
            }
            Some(deadline) => interval.min(deadline - now),
            None => interval,
        };
        std::thread::sleep(pause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_first_value_and_asks_no_more() {
        let mut asked = 0;
        let got = until(Duration::from_secs(5), Duration::from_millis(1), || {
            asked += 1;
            (asked == 3).then_some(asked * 10)
        });
        assert_eq!((got, asked), (Ok(30), 3));
    }

    #[test]
    fn gives_up_at_the_deadline_after_a_last_look() {
        let started = Instant::now();
        let mut asked = 0;
        let got: Result<(), TimedOut> =
            until(Duration::from_millis(50), Duration::from_secs(10), || {
                asked += 1;
                None
            });
        let waited = got.unwrap_err().waited;
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        // Not the ten seconds of its interval: the pause is cut at the deadline.
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(asked, 2, "once at the start, once at the deadline");
    }

    #[test]
    fn forever_does_not_overflow() {
        let mut asked = 0;
        let got = until(FOREVER, Duration::ZERO, || {
            asked += 1;
            (asked > 2).then_some(())
        });
        assert_eq!(got, Ok(()));
    }
}
