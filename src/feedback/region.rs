//! Which AWS region an ARN names, and `mail.sourceArn`'s region read without copying the ARN.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Longer than any region AWS has named (`ap-southeast-5`, `us-isob-east-1`: 14), so a real one always fits.
const MAX_REGION_LEN: usize = 24;

/// Whether `name` has the shape of an AWS region name: lowercase words joined by `-`, the last a number
/// (`us-east-1`, `us-gov-west-1`, `cn-north-1`). One pass over the bytes: it runs for every notification.
pub fn is_region_name(name: &str) -> bool {
    let (mut joins, mut word_len, mut only_digits) = (0, 0, true);
    for byte in name.bytes() {
        match byte {
            b'-' if word_len > 0 => (joins, word_len, only_digits) = (joins + 1, 0, true),
            b'a'..=b'z' => (word_len, only_digits) = (word_len + 1, false),
            // Digits only after the first word.
            b'0'..=b'9' if joins > 0 => word_len += 1,
            _ => return false,
        }
    }
    name.len() <= MAX_REGION_LEN && joins > 0 && word_len > 0 && only_digits
}

/// The region of `arn` when it is an ARN of `service` (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`) whose
/// region field is a region name; else None.
pub fn arn_region<'a>(arn: &'a str, service: &str) -> Option<&'a str> {
    // The first five `:` end the fields before the resource (which may hold more of them).
    let mut ends = arn
        .bytes()
        .enumerate()
        .filter_map(|(at, byte)| (byte == b':').then_some(at));
    let (Some(3), Some(partition_end), Some(service_end), Some(region_end), Some(_)) = (
        ends.next(),
        ends.next(),
        ends.next(),
        ends.next(),
        ends.next(),
    ) else {
        return None;
    };
    let region = &arn[service_end + 1..region_end];
    (arn.starts_with("arn:")
        && &arn[partition_end + 1..service_end] == service
        && is_region_name(region))
    .then_some(region)
}

/// The region of `mail.sourceArn` (the sending identity's ARN, `arn:aws:ses:REGION:…`), kept inline: the
/// ARN itself is not needed, so reading it costs no allocation. Read leniently like every scalar: anything
/// but an SES ARN with a region is no region.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceRegion {
    bytes: [u8; MAX_REGION_LEN],
    len: u8,
}

impl SourceRegion {
    fn from_arn(arn: &str) -> Self {
        let mut read = SourceRegion::default();
        if let Some(region) = arn_region(arn, "ses") {
            read.bytes[..region.len()].copy_from_slice(region.as_bytes());
            // At most MAX_REGION_LEN (24) bytes: is_region_name checked.
            read.len = region.len() as u8;
        }
        read
    }

    pub fn as_str(&self) -> Option<&str> {
        let region = self.bytes.get(..usize::from(self.len))?;
        std::str::from_utf8(region)
            .ok()
            .filter(|region| !region.is_empty())
    }
}

impl<'de> Deserialize<'de> for SourceRegion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ArnVisitor;
        impl<'de> Visitor<'de> for ArnVisitor {
            type Value = SourceRegion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an SES ARN")
            }
            fn visit_str<E: de::Error>(self, arn: &str) -> Result<SourceRegion, E> {
                Ok(SourceRegion::from_arn(arn))
            }
            // Whatever else SES may put here names no region, and must not make the message unreadable.
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<SourceRegion, E> {
                Ok(SourceRegion::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<SourceRegion, E> {
                Ok(SourceRegion::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<SourceRegion, E> {
                Ok(SourceRegion::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<SourceRegion, E> {
                Ok(SourceRegion::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<SourceRegion, E> {
                Ok(SourceRegion::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SourceRegion, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(SourceRegion::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SourceRegion, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(SourceRegion::default())
            }
        }
        deserializer.deserialize_any(ArnVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_of_every_partition_are_recognised_and_junk_is_not() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "ap-southeast-5",
            "us-gov-west-1",
            "cn-north-1",
            "us-isob-east-1",
        ] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "",
            "us",
            "US-EAST-1",
            "us-east-",
            "-east-1",
            "us--east-1",
            "us-east-1a",
            "us east 1",
            "us-east-1\"",
            &format!("{}-1", "a".repeat(30)),
        ] {
            assert!(!is_region_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_region_is_read_from_an_arn_of_the_named_service_only() {
        let identity = "arn:aws:ses:eu-west-1:123456789012:identity/example.com";
        assert_eq!(arn_region(identity, "ses"), Some("eu-west-1"));
        assert_eq!(arn_region(identity, "sns"), None);
        assert_eq!(
            arn_region("arn:aws-cn:sns:cn-north-1:123456789012:feedback", "sns"),
            Some("cn-north-1")
        );
        // The resource may be empty or hold more `:`.
        assert_eq!(
            arn_region("arn:aws:ses:eu-west-1:1:", "ses"),
            Some("eu-west-1")
        );
        assert_eq!(
            arn_region("arn:aws:sns:us-east-1:1:topic:sub:id", "sns"),
            Some("us-east-1")
        );
        for bad in [
            "arnx:aws:ses:eu-west-1:123456789012:identity/x",
            "arn:aws:ses:eu-west-1:123456789012",
            "arn:aws:ses::123456789012:identity/example.com",
            "arn:aws:ses:eu-west-1",
            "arn:aws:ses:not a region:123456789012:identity/x",
            "urn:aws:ses:eu-west-1:123456789012:identity/x",
            "",
        ] {
            assert_eq!(arn_region(bad, "ses"), None, "{bad:?}");
        }
    }

    #[test]
    fn source_arn_is_read_leniently_into_its_region() {
        let read = |json: &str| serde_json::from_str::<SourceRegion>(json).unwrap();
        assert_eq!(
            read(r#""arn:aws:ses:ap-southeast-2:123456789012:identity/example.com""#).as_str(),
            Some("ap-southeast-2")
        );
        assert_eq!(
            read(r#""arn:aws:ses:eu\u002dwest-1:123456789012:identity/x""#).as_str(),
            Some("eu-west-1"),
            "escaped text reads as its value"
        );
        for other in [r#""not an arn""#, "42", "true", "null", "[1]", r#"{"a":1}"#] {
            assert_eq!(read(other).as_str(), None, "{other}");
        }
    }
}
