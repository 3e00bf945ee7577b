//! Which lists are worth a prepared statement: those asked for before.
//!
//! A list's values are written into its text (see `crate::sql`), so each distinct list is a
//! distinct statement, and a prepared one keeps its plan (a few hundred KB of backend memory)
//! until the connection's statement cache evicts it. The lists people repeat (the first page,
//! a genre's page, the sorts, the popular searches and pages) gain most from that; a list asked
//! for once (a price typed by hand, a page number nobody else visits) only fills the cache and
//! the backend's memory, and pushes the repeated ones out. So a list's text is prepared from the
//! second time this process sees it within the last [`WINDOW`] distinct lists; before that it
//! runs as an unnamed statement, planned for that call and freed after it.

use std::{
    collections::{HashSet, VecDeque},
    hash::{BuildHasher, RandomState},
    sync::{LazyLock, Mutex},
};

/// How many distinct list texts are remembered (by a 64-bit hash, so a few tens of KB).
pub const WINDOW: usize = 4096;

/// The hashes of the most recent distinct texts, oldest first.
#[derive(Default)]
struct Seen {
    hashes: HashSet<u64>,
    order: VecDeque<u64>,
}

/// Keyed per process, so no one can aim texts at one hash from outside.
static HASHER: LazyLock<RandomState> = LazyLock::new(RandomState::new);
static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(Mutex::default);

/// Whether `sql` was seen recently; it is remembered either way. (A hash collision only
/// prepares a text one call early.)
pub fn seen_before(sql: &str) -> bool {
    let hash = HASHER.hash_one(sql);
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.hashes.contains(&hash) {
        return true;
    }
    if seen.order.len() >= WINDOW
        && let Some(oldest) = seen.order.pop_front()
    {
        seen.hashes.remove(&oldest);
    }
    seen.order.push_back(hash);
    seen.hashes.insert(hash);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_known_from_its_second_time_until_forgotten() {
        let text = "SELECT 'repeats test'";
        assert!(!seen_before(text));
        assert!(seen_before(text));
        assert!(seen_before(text));
        for n in 0..WINDOW {
            seen_before(&format!("SELECT 'repeats test' + {n}"));
        }
        assert!(!seen_before(text), "pushed out by as many newer texts");
    }
}
