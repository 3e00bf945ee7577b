//! What one process's requests know about the relays they started: how many are still running,
//! and whether the queue failed a moment ago. After a failed queue call the requests of the next
//! few seconds leave their emails to the janitor instead of each paying for a call that will
//! fail and the bookkeeping after it (a circuit breaker): during an outage the queue and the
//! database get one try per rest, not one per request.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// How long requests leave the queue alone after it failed, unless set otherwise.
pub const QUEUE_REST: Duration = Duration::from_secs(5);

/// The instant the rests are measured from (an `Instant` does not fit in an atomic).
static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

fn now_ms() -> u64 {
    EPOCH.elapsed().as_millis() as u64
}

#[derive(Debug)]
pub struct RelayGate {
    rest: Duration,
    /// Milliseconds after [`EPOCH`] until which the queue rests; 0 when it is not resting.
    resting_until_ms: AtomicU64,
    in_flight: AtomicUsize,
}

impl RelayGate {
    pub fn new(rest: Duration) -> Self {
        Self {
            rest,
            resting_until_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Whether the queue failed less than a rest ago.
    pub fn resting(&self) -> bool {
        now_ms() < self.resting_until_ms.load(Ordering::Relaxed)
    }

    /// The queue failed: leave it alone for a rest.
    pub fn rest(&self) {
        let until = now_ms() + self.rest.as_millis() as u64;
        self.resting_until_ms.store(until, Ordering::Relaxed);
    }

    /// Counts a relay as running until the guard drops.
    pub fn start(gate: &std::sync::Arc<Self>) -> InFlight {
        gate.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(gate.clone())
    }

    /// How many relays are running.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// A running relay, counted by its gate until dropped.
pub struct InFlight(std::sync::Arc<RelayGate>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_failure_rests_the_queue_for_the_rest() {
        let gate = RelayGate::new(Duration::from_millis(200));
        assert!(!gate.resting());
        gate.rest();
        assert!(gate.resting());
        std::thread::sleep(Duration::from_millis(250));
        assert!(!gate.resting(), "the next request tries the queue again");
    }

    #[test]
    fn relays_count_while_they_run() {
        let gate = Arc::new(RelayGate::new(QUEUE_REST));
        let first = RelayGate::start(&gate);
        let second = RelayGate::start(&gate);
        assert_eq!(gate.in_flight(), 2);
        drop(first);
        drop(second);
        assert_eq!(gate.in_flight(), 0);
    }
}
