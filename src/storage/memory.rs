//! The memory of what was stored: per execution environment, so a redelivery is not written twice.

use std::sync::Mutex;

use crate::recent::RecentMap;

/// The keys of the messages this execution environment has stored (or that needed no storing), so a
/// redelivery or a retry is not written twice. Bounded: the oldest are forgotten first.
pub(crate) struct StoredMessages(Mutex<RecentMap<String, ()>>);

impl StoredMessages {
    pub fn new(capacity: usize) -> Self {
        StoredMessages(Mutex::new(RecentMap::new(capacity)))
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.lock().is_ok_and(|stored| stored.contains(key))
    }

    pub(crate) fn remember<'k>(&self, keys: impl Iterator<Item = &'k String>) {
        if let Ok(mut stored) = self.0.lock() {
            for key in keys {
                stored.insert(key.clone(), ());
            }
        }
    }
}
