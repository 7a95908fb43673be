//! Optional pseudonymisation of addresses: `hmac-sha256(key, lowercased address)` in hex, so the same address
//! always maps to the same token (queries and dedupe still work) while the log never holds the address.

use std::borrow::Cow;
use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct AddressHasher {
    /// The keyed state, cloned per address: cheaper than keying again.
    keyed: HmacSha256,
}

#[derive(Debug, thiserror::Error)]
#[error("the address hash key is empty")]
pub struct EmptyKey;

impl AddressHasher {
    pub fn new(key: &[u8]) -> Result<Self, EmptyKey> {
        if key.is_empty() {
            return Err(EmptyKey);
        }
        HmacSha256::new_from_slice(key)
            .map(|keyed| AddressHasher { keyed })
            .map_err(|_| EmptyKey)
    }

    /// The hex HMAC of the lowercased address.
    pub fn hash(&self, address: &str) -> String {
        let mut mac = self.keyed.clone();
        mac.update(address.to_lowercase().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(digest.len() * 2);
        for byte in digest {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }

    /// `text` with every occurrence of `address` (ignoring ASCII case) replaced by `hashed`, e.g. a
    /// diagnosticCode that quotes the recipient.
    pub(crate) fn redact_address<'a>(
        &self,
        text: &'a str,
        address: &str,
        hashed: &str,
    ) -> Cow<'a, str> {
        if address.is_empty() || text.len() < address.len() {
            return text.into();
        }
        let haystack = text.to_ascii_lowercase();
        let needle = address.to_ascii_lowercase();
        if !haystack.contains(&needle) {
            return text.into();
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for (at, _) in haystack.match_indices(&needle) {
            out.push_str(&text[copied..at]);
            out.push_str(hashed);
            copied = at + needle.len();
        }
        out.push_str(&text[copied..]);
        out.into()
    }

    /// `text` with everything shaped like an address replaced by its hash: for messages kept verbatim, whose
    /// addresses the function cannot otherwise know.
    pub(crate) fn redact_all_addresses<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut copied = 0;
        let mut search = 0;
        while let Some(offset) = text[search..].find('@') {
            let at = search + offset;
            let start = (0..at)
                .rev()
                .take_while(|&i| is_local_part_byte(bytes[i]))
                .last()
                .unwrap_or(at);
            let end = (at + 1..bytes.len())
                .take_while(|&i| is_domain_byte(bytes[i]))
                .last()
                .map_or(at + 1, |i| i + 1);
            let domain = text[at + 1..end].trim_end_matches('.');
            let end = at + 1 + domain.len();
            search = end.max(at + 1);
            if start < at && domain.contains('.') && start >= copied {
                out.push_str(&text[copied..start]);
                out.push_str(&self.hash(&text[start..end]));
                copied = end;
            }
        }
        if copied == 0 {
            return text.into();
        }
        out.push_str(&text[copied..]);
        out.into()
    }
}

fn is_local_part_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&byte)
}

fn is_domain_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-'
}

/// The part after the last `@`, lowercased: what per-domain analysis needs.
pub(crate) fn domain_of(address: &str) -> Option<String> {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_lowercase())
        .filter(|d| !d.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> AddressHasher {
        AddressHasher::new(b"test-key").unwrap()
    }

    #[test]
    fn hashes_are_hmac_sha256_hex_of_the_lowercased_address() {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        let rfc = AddressHasher::new(b"Jefe").unwrap();
        assert_eq!(
            rfc.hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hasher().hash("Bob@Example.ORG"),
            hasher().hash("bob@example.org")
        );
        assert_ne!(
            hasher().hash("bob@example.org"),
            AddressHasher::new(b"other")
                .unwrap()
                .hash("bob@example.org")
        );
        assert_eq!(hasher().hash("a@b.c").len(), 64);
    }

    #[test]
    fn an_empty_key_is_refused() {
        assert!(AddressHasher::new(b"").is_err());
    }

    #[test]
    fn quoted_addresses_are_replaced_in_any_case() {
        let h = hasher();
        let text = "smtp; 550 5.1.1 <Bob@Example.org>: user unknown (bob@example.org)";
        assert_eq!(
            h.redact_address(text, "bob@example.org", "H"),
            "smtp; 550 5.1.1 <H>: user unknown (H)"
        );
        assert_eq!(
            h.redact_address("nothing here", "bob@example.org", "H"),
            "nothing here"
        );
    }

    #[test]
    fn every_address_shaped_token_is_replaced_in_verbatim_text() {
        let h = hasher();
        let redacted = h.redact_all_addresses(
            "to bob@example.org, \"Jane\" <jane.doe+x@mail.example.com>. @ a@b end@.",
        );
        assert!(
            !redacted.contains("bob@example.org") && !redacted.contains("jane.doe"),
            "{redacted}"
        );
        assert!(redacted.contains(&h.hash("bob@example.org")));
        assert!(redacted.contains(&h.hash("jane.doe+x@mail.example.com")));
        assert!(redacted.ends_with(". @ a@b end@."), "{redacted}");
        assert_eq!(h.redact_all_addresses("no address"), "no address");
    }

    #[test]
    fn domains_are_lowercased() {
        assert_eq!(domain_of("bob@Example.ORG").as_deref(), Some("example.org"));
        assert_eq!(domain_of("nobody"), None);
    }
}
