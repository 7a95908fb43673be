//! Which of a fixed set of literal strings occur in a text: the search under the reason tables and the
//! SMTP-command signs. Written by hand (a hash of each literal's first four bytes, checked at every position
//! of the text) because aho-corasick, the crate that does this well, takes about 1.3 ms of CPU to build its
//! automaton over the tables' ~700 parts, paid on the first bounce after every cold start; this index builds
//! in a few microseconds and searches a diagnostic as fast (docs/performance.md).

/// How many leading bytes of a literal are hashed: the shortest table part is four bytes long.
const KEY_BYTES: usize = 4;

/// The end of a chain of literals.
const NONE: u32 = u32::MAX;

/// A set of literals, each known by its index in the list it was built from.
pub(super) struct Literals {
    literals: Vec<&'static str>,
    /// Each literal's key: its first [`KEY_BYTES`] bytes, little-endian.
    keys: Vec<u32>,
    /// Per hash slot, the first literal whose key falls there ([`NONE`] for none); at most half are taken,
    /// so most positions of a text are passed over after one look-up.
    slots: Vec<u32>,
    /// Per literal, the next literal in the same slot.
    next: Vec<u32>,
    /// Right shift that turns a multiplied key into a slot.
    shift: u32,
    /// Literals shorter than a key, looked for one by one (none in today's tables).
    short: Vec<usize>,
}

impl Literals {
    /// An empty set with room for about `capacity` literals (more still work, with longer chains).
    pub(super) fn with_capacity(capacity: usize) -> Literals {
        let bits = (2 * capacity).next_power_of_two().trailing_zeros().max(4);
        Literals {
            literals: Vec::with_capacity(capacity),
            keys: Vec::with_capacity(capacity),
            slots: vec![NONE; 1 << bits],
            next: Vec::with_capacity(capacity),
            shift: u32::BITS - bits,
            short: Vec::new(),
        }
    }

    /// Adds `literal` if it is not in the set yet, and returns its id: ids count up from 0 in the order
    /// literals were first added.
    pub(super) fn add(&mut self, literal: &'static str) -> usize {
        let id = self.literals.len();
        let Some(key) = key_at(literal.as_bytes()) else {
            if let Some(&known) = self.short.iter().find(|&&i| self.literals[i] == literal) {
                return known;
            }
            self.short.push(id);
            self.literals.push(literal);
            self.keys.push(0);
            self.next.push(NONE);
            return id;
        };
        let slot = self.slot(key);
        let mut known = self.slots[slot];
        while known != NONE {
            let i = known as usize;
            if self.literals[i] == literal {
                return i;
            }
            known = self.next[i];
        }
        self.literals.push(literal);
        self.keys.push(key);
        self.next.push(self.slots[slot]);
        // Fewer than 2^32 literals: the tables have a few hundred.
        self.slots[slot] = u32::try_from(id).unwrap_or(NONE);
        id
    }

    pub(super) fn len(&self) -> usize {
        self.literals.len()
    }

    /// Calls `found` with the index of every literal that occurs in `text` (at least once each).
    pub(super) fn find_all(&self, text: &str, mut found: impl FnMut(usize)) {
        for &id in &self.short {
            if text.contains(self.literals[id]) {
                found(id);
            }
        }
        let bytes = text.as_bytes();
        for at in 0..bytes.len().saturating_sub(KEY_BYTES - 1) {
            let Some(key) = key_at(&bytes[at..]) else {
                break;
            };
            let mut id = self.slots[self.slot(key)];
            while id != NONE {
                let i = id as usize;
                if self.keys[i] == key && bytes[at..].starts_with(self.literals[i].as_bytes()) {
                    found(i);
                }
                id = self.next[i];
            }
        }
    }

    /// A multiplicative (Fibonacci) hash: the key's high product bits pick the slot.
    fn slot(&self, key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B9) >> self.shift) as usize
    }
}

/// The key of the bytes starting here, if there are enough of them.
fn key_at(bytes: &[u8]) -> Option<u32> {
    let head: [u8; KEY_BYTES] = bytes.get(..KEY_BYTES)?.try_into().ok()?;
    Some(u32::from_le_bytes(head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(list: &[&'static str]) -> Literals {
        let mut index = Literals::with_capacity(list.len());
        for (id, literal) in list.iter().enumerate() {
            assert_eq!(index.add(literal), id);
        }
        index
    }

    fn found(index: &Literals, text: &str) -> Vec<usize> {
        let mut ids = Vec::new();
        index.find_all(text, |id| ids.push(id));
        ids.sort_unstable();
        ids
    }

    #[test]
    fn finds_every_literal_that_occurs_and_only_those() {
        let index = literals(&[
            "user unknown",
            "user",
            "unknown user",
            "no",
            "x",
            "abc",
            "boîte",
            "ящик",
            "known",
        ]);
        assert_eq!(index.len(), 9);
        // Overlapping occurrences, each reported; a literal at the very end; short literals.
        assert_eq!(found(&index, "550 user unknown user"), [0, 1, 1, 2, 3, 8]);
        assert_eq!(found(&index, "no"), [3]);
        assert_eq!(found(&index, "abc x"), [4, 5]);
        assert_eq!(found(&index, "la boîte est pleine"), [6]);
        assert_eq!(found(&index, "ящик переполнен"), [7]);
        assert_eq!(found(&index, ""), Vec::<usize>::new());
        assert_eq!(found(&index, "use"), Vec::<usize>::new());
        // The same first four bytes, different literals: only the one that is there.
        assert_eq!(found(&index, "a user named"), [1]);
    }

    #[test]
    fn a_literal_added_again_keeps_its_first_id() {
        let mut index = Literals::with_capacity(1);
        let ids: Vec<usize> = [
            "user",
            "no",
            "user unknown",
            "no",
            "user",
            "ab",
            "more than asked for",
        ]
        .into_iter()
        .map(|literal| index.add(literal))
        .collect();
        assert_eq!(ids, [0, 1, 2, 1, 0, 3, 4]);
        assert_eq!(index.len(), 5);
        assert_eq!(
            found(&index, "no user unknown, more than asked for"),
            [0, 1, 2, 4]
        );
    }

    #[test]
    fn agrees_with_a_plain_substring_search() {
        let list = [
            "mailbox full",
            "mailbox unavailable",
            "mailbox",
            "mail",
            " not ",
            "does not exist",
            "not exist",
            "ist",
            "5.1.1",
        ];
        let index = literals(&list);
        for text in [
            "smtp; 550 5.1.1 mailbox unavailable: user does not exist",
            "mailbox full mailbox",
            "mai",
            "the mail is not delivered",
            "existing list",
        ] {
            let expected: Vec<usize> = (0..list.len())
                .filter(|&id| text.contains(list[id]))
                .collect();
            let mut got = found(&index, text);
            got.dedup();
            assert_eq!(got, expected, "{text}");
        }
    }
}
