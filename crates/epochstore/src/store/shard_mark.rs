//! The write-shard high-water mark: how many shards records were ever
//! written to, so that listings cover every one of them even after
//! `WRITE_SHARDS` is lowered, or while two regions run different values
//! during a rollout. Each writer records its own count in the table (an item
//! per count, so no write can undo another's) before its first write (see
//! `DynamoStore`); readers take the highest and keep it for a while.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a reader trusts the mark it read: a writer that recorded a
/// higher count is seen by every listing at most this much later.
pub(crate) const MARK_REFRESH: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct ShardMark {
    /// This process recorded its `WRITE_SHARDS` in the table (once is enough:
    /// the item is never lowered or overwritten by another count).
    raised: AtomicBool,
    /// The mark last read, and when.
    read: Mutex<Option<(u16, Instant)>>,
}

impl ShardMark {
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    pub(crate) fn set_raised(&self) {
        self.raised.store(true, Ordering::Release);
    }

    /// The mark read less than `MARK_REFRESH` before `now`, if any.
    pub(crate) fn fresh(&self, now: Instant) -> Option<u16> {
        let read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.filter(|(_, at)| now.duration_since(*at) < MARK_REFRESH)
            .map(|(mark, _)| mark)
    }

    pub(crate) fn remember(&self, mark: u16, now: Instant) {
        *self.read.lock().unwrap_or_else(PoisonError::into_inner) = Some((mark, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_mark_is_trusted_for_the_refresh_period_only() {
        let mark = ShardMark::default();
        let t0 = Instant::now();
        assert_eq!(mark.fresh(t0), None);
        mark.remember(8, t0);
        assert_eq!(mark.fresh(t0 + MARK_REFRESH / 2), Some(8));
        assert_eq!(mark.fresh(t0 + MARK_REFRESH), None);
        assert!(!mark.is_raised());
        mark.set_raised();
        assert!(mark.is_raised());
    }
}
