//! Enough randomness to spread clients over members, without a dependency: the standard library's per-process
//! random hash keys, stirred with the time.

use std::hash::{BuildHasher, RandomState};

/// Shuffles `items` in place (Fisher-Yates).
pub(crate) fn shuffle<T>(items: &mut [T]) {
    let mut state = RandomState::new().hash_one(std::time::SystemTime::now()) | 1;
    for i in (1..items.len()).rev() {
        // xorshift64: cheap and plenty for picking a member.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = usize::try_from(state % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_every_item_and_does_not_always_give_the_same_order() {
        let original: Vec<u32> = (0..8).collect();
        let mut orders = std::collections::HashSet::new();
        for _ in 0..50 {
            let mut items = original.clone();
            shuffle(&mut items);
            let mut sorted = items.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, original);
            orders.insert(items);
        }
        assert!(orders.len() > 1, "50 shuffles of 8 items gave one order");
        shuffle::<u32>(&mut []);
    }
}
