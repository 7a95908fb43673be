//! Address hashing, computed here independently of the function's own code, to check the hashes it writes.

use hmac::{Hmac, KeyInit, Mac};

/// HMAC-SHA256 of `message` under `key`, in hex.
pub fn hmac_sha256_hex(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
