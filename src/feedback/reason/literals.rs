//! Which of a fixed set of literal strings occur in a text: the search under the reason tables and the
//! SMTP-command signs. Written by hand (a hash of each literal's first four bytes, looked up at every
//! position of the text, its first eight compared as one word) because aho-corasick, the crate that does
//! this well, takes about 1.3 ms of CPU to build its automaton over the tables' ~670 parts, paid on the
//! first bounce after every cold start; this index builds in a few microseconds and searches a diagnostic
//! as fast (docs/performance.md).

/// How many leading bytes of a literal are hashed: nearly every table part is at least this long.
const KEY_BYTES: usize = 4;

/// How many leading bytes of a literal are compared as one word before the rest.
const HEAD_BYTES: usize = 8;

/// The end of a chain of literals.
const NONE: u32 = u32::MAX;

/// A set of literals, each known by its index in the list it was built from.
pub(super) struct Literals {
    literals: Vec<&'static str>,
    /// Each literal's first [`HEAD_BYTES`] bytes, little-endian, zero-padded; the low four are its key.
    heads: Vec<u64>,
    /// Which bytes of its head a literal has: a text matches where `head & mask` equals it.
    masks: Vec<u64>,
    /// Per hash slot, the first literal whose key falls there ([`NONE`] for none); at most half are taken,
    /// so most positions of a text are passed over after one look-up.
    slots: Vec<u32>,
    /// Per literal, the next literal in the same slot.
    next: Vec<u32>,
    /// Right shift that turns a multiplied key into a slot.
    shift: u32,
    /// Literals shorter than a key, looked for one by one (today Orange's code prefixes `lpn` and `ofr`).
    short: Vec<usize>,
}

impl Literals {
    /// An empty set with room for about `capacity` literals (more still work, with longer chains).
    pub(super) fn with_capacity(capacity: usize) -> Literals {
        let bits = (2 * capacity).next_power_of_two().trailing_zeros().max(4);
        Literals {
            literals: Vec::with_capacity(capacity),
            heads: Vec::with_capacity(capacity),
            masks: Vec::with_capacity(capacity),
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
        let bytes = literal.as_bytes();
        let head = head_of(bytes);
        let mask = match bytes.len() {
            HEAD_BYTES.. => u64::MAX,
            len => (1 << (8 * len)) - 1,
        };
        let slot = if bytes.len() < KEY_BYTES {
            if let Some(&known) = self.short.iter().find(|&&i| self.literals[i] == literal) {
                return known;
            }
            self.short.push(id);
            None
        } else {
            let slot = self.slot(head);
            let mut known = self.slots[slot];
            while known != NONE {
                let i = known as usize;
                if self.literals[i] == literal {
                    return i;
                }
                known = self.next[i];
            }
            Some(slot)
        };
        self.literals.push(literal);
        self.heads.push(head);
        self.masks.push(mask);
        self.next.push(slot.map_or(NONE, |slot| self.slots[slot]));
        if let Some(slot) = slot {
            // Fewer than 2^32 literals: the tables have a few hundred.
            self.slots[slot] = u32::try_from(id).unwrap_or(NONE);
        }
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
            let rest = &bytes[at..];
            let head = head_of(rest);
            let mut id = self.slots[self.slot(head)];
            while id != NONE {
                let i = id as usize;
                // One word compares the first eight bytes (so a run of one common word, `mail` again
                // and again, costs little), then the rest, if any.
                if head & self.masks[i] == self.heads[i] {
                    let literal = self.literals[i].as_bytes();
                    if rest.len() >= literal.len()
                        && (literal.len() <= HEAD_BYTES
                            || rest[HEAD_BYTES..].starts_with(&literal[HEAD_BYTES..]))
                    {
                        found(i);
                    }
                }
                id = self.next[i];
            }
        }
    }

    /// A multiplicative (Fibonacci) hash of the key (a head's first four bytes) picks the slot.
    fn slot(&self, head: u64) -> usize {
        ((head as u32).wrapping_mul(0x9E37_79B9) >> self.shift) as usize
    }
}

/// The first [`HEAD_BYTES`] bytes, little-endian, zero-padded when there are fewer.
fn head_of(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<HEAD_BYTES>() {
        Some(head) => u64::from_le_bytes(*head),
        None => {
            let mut head = [0; HEAD_BYTES];
            head[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(head)
        }
    }
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
    fn a_literal_cut_off_by_the_end_of_the_text_is_not_found() {
        let index = literals(&["mailbox", "mailbox full", "abcd\0", "tail"]);
        assert_eq!(found(&index, "no mailbo"), Vec::<usize>::new());
        assert_eq!(found(&index, "a mailbox ful"), [0]);
        assert_eq!(found(&index, "a mailbox full"), [0, 1]);
        // Past the end the head is padded with zero bytes, which must not stand in for a literal's.
        assert_eq!(found(&index, "xabcd"), Vec::<usize>::new());
        assert_eq!(found(&index, "xabcd\0"), [2]);
        assert_eq!(found(&index, "mail tail"), [3]);
        // A run of one common prefix: every position looked at, nothing found.
        assert_eq!(found(&index, &"mail".repeat(1000)), Vec::<usize>::new());
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
