//! A map that remembers only its most recent entries: per-environment memory that must stay bounded.

use std::borrow::Borrow;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

pub(crate) struct RecentMap<K, V> {
    capacity: usize,
    entries: HashMap<K, V>,
    /// Keys in insertion order, oldest first.
    order: VecDeque<K>,
}

impl<K: Eq + Hash + Clone, V> RecentMap<K, V> {
    pub fn new(capacity: usize) -> Self {
        RecentMap {
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Inserts or replaces; beyond capacity the oldest entries are forgotten.
    pub fn insert(&mut self, key: K, value: V) {
        if self.entries.insert(key.clone(), value).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.entries.remove(&oldest);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.contains_key(key)
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries.get(key)
    }

    pub fn take(&mut self, key: &K) -> Option<V> {
        let value = self.entries.remove(key)?;
        self.order.retain(|k| k != key);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl<K, V> RecentMap<K, V> {
        fn len(&self) -> usize {
            self.entries.len()
        }
    }

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let mut recent = RecentMap::new(3);
        for key in 0..5 {
            recent.insert(key, ());
        }
        assert_eq!(recent.len(), 3);
        assert!(!recent.contains(&0) && !recent.contains(&1));
        assert!(recent.contains(&2) && recent.contains(&4));
    }

    #[test]
    fn reinserting_does_not_grow_and_take_removes() {
        let mut recent = RecentMap::new(2);
        recent.insert("a", 1);
        recent.insert("a", 2);
        recent.insert("b", 3);
        assert_eq!(recent.get(&"a"), Some(&2));
        assert_eq!(recent.take(&"a"), Some(2));
        assert_eq!(recent.get(&"a"), None);
        assert_eq!(recent.take(&"a"), None);
        recent.insert("c", 4);
        assert!(recent.contains(&"b") && recent.contains(&"c"));
        assert_eq!(recent.len(), 2);
    }
}
