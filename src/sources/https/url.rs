//! Which URLs an SNS message may make the function fetch: its `SigningCertURL` and `SubscribeURL` (pure).
//!
//! Both come from the message, so from whoever sent the request: a URL that is not SNS's own is refused before
//! anything is fetched. [`SnsUrlPolicy::aws`], the only policy the function builds, accepts
//! - scheme `https` (exactly; no `http`, no other scheme);
//! - host `sns.<region>.amazonaws.com`, or `sns.<region>.amazonaws.com.cn` for a `cn-` region, where the region
//!   is a label like `us-east-1` or `us-gov-west-1` (lower case, as SNS writes it);
//! - no user information (`user@`), no port other than 443, no fragment, no backslash, space, control or
//!   non-ASCII character anywhere;
//! - for a certificate, the path SNS serves its signing certificates at, `/SimpleNotificationService-<hex>.pem`
//!   (32 to 64 hex digits; no query); for a SubscribeURL, any path and query;
//! - a region of the shapes AWS names them (`us-east-1`, `us-gov-west-1`, `cn-northwest-1`): a known
//!   geography prefix, an optional `gov`, a direction, a number. A made-up host therefore costs no DNS query.
//!
//! The check is done on the text by hand, then the text is parsed as the HTTP client will parse it and the two
//! must agree on scheme, host and port: no trick that one parser reads differently from the other gets through.
//!
//! [`SnsUrlPolicy::loopback_for_tests`] instead accepts one `http://127.0.0.1:PORT` origin (and nothing else),
//! for the tests' stand-in certificate host. Nothing in the function's configuration reaches it.

use hyper::Uri;

/// Where SNS URLs may point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsUrlPolicy {
    origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// `https://sns.<region>.amazonaws.com[.cn]`.
    Aws,
    /// `http://127.0.0.1:<port>`: tests only.
    Loopback { port: u16 },
}

/// A URL the policy accepted: the only thing the fetcher takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    text: String,
    uri: Uri,
}

impl CheckedUrl {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn uri(&self) -> &Uri {
        &self.uri
    }
}

/// Why a URL was refused. No variant carries the URL: the caller decides what of it to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlRejected {
    #[error("scheme is not https")]
    Scheme,
    #[error("the URL has characters an SNS URL never has")]
    Characters,
    #[error("the URL has user information")]
    UserInfo,
    #[error("the URL names a port other than 443")]
    Port,
    #[error("host is not sns.<region>.amazonaws.com")]
    Host,
    #[error("a certificate URL must be a path ending in .pem, without query")]
    CertificatePath,
}

/// [`SnsUrlPolicy::loopback_for_tests`] was given something other than `http://127.0.0.1:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a test origin must be http://127.0.0.1:PORT, not {0:?}")]
pub struct NotALoopbackOrigin(pub String);

/// What the URL is for: certificate URLs have a stricter path rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Certificate,
    Subscribe,
}

impl Default for SnsUrlPolicy {
    fn default() -> Self {
        SnsUrlPolicy::aws()
    }
}

impl SnsUrlPolicy {
    /// The production policy: SNS's own HTTPS hosts only.
    pub fn aws() -> SnsUrlPolicy {
        SnsUrlPolicy {
            origin: Origin::Aws,
        }
    }

    /// Tests only: URLs on `origin`, which must be `http://127.0.0.1:PORT` (a trailing `/` is allowed), and
    /// nowhere else, not even SNS. The function never builds this policy.
    pub fn loopback_for_tests(origin: &str) -> Result<SnsUrlPolicy, NotALoopbackOrigin> {
        let refuse = || NotALoopbackOrigin(origin.to_owned());
        let port = origin
            .strip_prefix("http://127.0.0.1:")
            .map(|rest| rest.strip_suffix('/').unwrap_or(rest))
            .filter(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|port| port.parse::<u16>().ok())
            .filter(|port| *port != 0)
            .ok_or_else(refuse)?;
        Ok(SnsUrlPolicy {
            origin: Origin::Loopback { port },
        })
    }

    /// Whether this policy lets plain `http` through (the test policy only).
    pub(crate) fn allows_plain_http(&self) -> bool {
        matches!(self.origin, Origin::Loopback { .. })
    }

    /// A `SigningCertURL` the function may fetch.
    pub(crate) fn signing_cert_url(&self, url: &str) -> Result<CheckedUrl, UrlRejected> {
        self.check(url, Purpose::Certificate)
    }

    /// A `SubscribeURL` the function may GET to confirm a subscription.
    pub fn subscribe_url(&self, url: &str) -> Result<CheckedUrl, UrlRejected> {
        self.check(url, Purpose::Subscribe)
    }

    fn check(&self, url: &str, purpose: Purpose) -> Result<CheckedUrl, UrlRejected> {
        if url.contains('@') {
            return Err(UrlRejected::UserInfo);
        }
        if !url.bytes().all(is_allowed_byte) {
            return Err(UrlRejected::Characters);
        }
        let scheme = match self.origin {
            Origin::Aws => "https",
            Origin::Loopback { .. } => "http",
        };
        let rest = url
            .strip_prefix(scheme)
            .and_then(|rest| rest.strip_prefix("://"))
            .ok_or(UrlRejected::Scheme)?;
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(authority_end);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port = Some(port)
                    .filter(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|port| port.parse::<u16>().ok())
                    .ok_or(UrlRejected::Port)?;
                (host, Some(port))
            }
            None => (authority, None),
        };
        match self.origin {
            Origin::Aws => {
                if !is_sns_host(host) {
                    return Err(UrlRejected::Host);
                }
                if port.is_some_and(|port| port != 443) {
                    return Err(UrlRejected::Port);
                }
            }
            Origin::Loopback { port: allowed } => {
                if host != "127.0.0.1" {
                    return Err(UrlRejected::Host);
                }
                if port != Some(allowed) {
                    return Err(UrlRejected::Port);
                }
            }
        }
        if purpose == Purpose::Certificate {
            let sns_shaped = match self.origin {
                Origin::Aws => is_sns_certificate_path(path_and_query),
                Origin::Loopback { .. } => true,
            };
            if !sns_shaped || !is_certificate_path(path_and_query) {
                return Err(UrlRejected::CertificatePath);
            }
        }
        // The HTTP client's own reading must agree with the one above.
        let uri: Uri = url.parse().map_err(|_| UrlRejected::Characters)?;
        if uri.scheme_str() != Some(scheme) {
            return Err(UrlRejected::Scheme);
        }
        if uri.host() != Some(host) {
            return Err(UrlRejected::Host);
        }
        if uri.port_u16() != port {
            return Err(UrlRejected::Port);
        }
        Ok(CheckedUrl {
            text: url.to_owned(),
            uri,
        })
    }
}

/// Printable ASCII other than what no SNS URL has and parsers disagree about: space, `"`, `#` (fragment),
/// `<`, `>`, `[`, `]` (IPv6 literals), `\`, `^`, `` ` ``, `{`, `|`, `}`.
fn is_allowed_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"\"#<>[]\\^`{|}".contains(&byte)
}

/// `sns.<region>.amazonaws.com`, or `sns.cn-<…>.amazonaws.com.cn`.
fn is_sns_host(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("sns.") else {
        return false;
    };
    if let Some(region) = rest.strip_suffix(".amazonaws.com") {
        is_region(region)
    } else if let Some(region) = rest.strip_suffix(".amazonaws.com.cn") {
        region.starts_with("cn-") && is_region(region)
    } else {
        false
    }
}

/// The geographies AWS region names start with.
const REGION_PREFIXES: [&str; 10] = ["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us"];
/// The directions that follow them.
const REGION_DIRECTIONS: [&str; 9] = [
    "central",
    "east",
    "north",
    "northeast",
    "northwest",
    "south",
    "southeast",
    "southwest",
    "west",
];

/// A region label as AWS names regions: a known geography, an optional `gov`, a direction, a number
/// (`us-east-1`, `us-gov-west-1`, `ap-southeast-5`, `cn-northwest-1`).
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let (prefix, direction, number) = match parts.as_slice() {
        [prefix, direction, number] => (prefix, direction, number),
        [prefix, "gov", direction, number] => (prefix, direction, number),
        _ => return false,
    };
    REGION_PREFIXES.contains(prefix)
        && REGION_DIRECTIONS.contains(direction)
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// `/SimpleNotificationService-<hex>.pem`, the path SNS serves its signing certificates at.
fn is_sns_certificate_path(path: &str) -> bool {
    path.strip_prefix("/SimpleNotificationService-")
        .and_then(|rest| rest.strip_suffix(".pem"))
        .is_some_and(|hex| {
            (32..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// `/name.pem` or `/dir/name.pem`: letters, digits, `-`, `_`, `.`; no query, no `..`, no empty segment.
fn is_certificate_path(path: &str) -> bool {
    let Some(segments) = path.strip_prefix('/') else {
        return false;
    };
    path.ends_with(".pem")
        && segments.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str =
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";

    #[test]
    fn aws_policy_accepts_sns_certificate_urls() {
        let policy = SnsUrlPolicy::aws();
        for url in [
            CERT,
            "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
            "https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
            "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
            "https://sns.ap-southeast-5.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
            "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
            "https://sns.us-east-1.amazonaws.com:443/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem",
        ] {
            let checked = policy.signing_cert_url(url).expect(url);
            assert_eq!(checked.as_str(), url);
            assert_eq!(checked.uri().scheme_str(), Some("https"));
        }
    }

    #[test]
    fn aws_policy_refuses_certificate_paths_and_regions_sns_does_not_use() {
        let policy = SnsUrlPolicy::aws();
        for (url, why) in [
            ("https://sns.us-east-1.amazonaws.com/x.pem", UrlRejected::CertificatePath),
            ("https://sns.us-east-1.amazonaws.com/a/b_c-d.pem", UrlRejected::CertificatePath),
            ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem", UrlRejected::CertificatePath),
            ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfdz.pem", UrlRejected::CertificatePath),
            ("https://sns.us-east-1.amazonaws.com/x/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem", UrlRejected::CertificatePath),
            ("https://sns.zz-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem", UrlRejected::Host),
            ("https://sns.us-made-up-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem", UrlRejected::Host),
            ("https://sns.us-junk-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem", UrlRejected::Host),
        ] {
            assert_eq!(policy.signing_cert_url(url).map(|_| ()), Err(why), "{url}");
        }
        // A SubscribeURL keeps its own path and query.
        assert!(policy
            .subscribe_url(
                "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x"
            )
            .is_ok());
    }

    #[test]
    fn aws_policy_refuses_everything_else_as_a_certificate_url() {
        use UrlRejected::*;
        let policy = SnsUrlPolicy::aws();
        let cases: &[(&str, UrlRejected)] = &[
            // Scheme.
            ("http://sns.us-east-1.amazonaws.com/x.pem", Scheme),
            ("HTTPS://sns.us-east-1.amazonaws.com/x.pem", Scheme),
            ("ftp://sns.us-east-1.amazonaws.com/x.pem", Scheme),
            ("//sns.us-east-1.amazonaws.com/x.pem", Scheme),
            ("https:/sns.us-east-1.amazonaws.com/x.pem", Scheme),
            ("file:///etc/passwd.pem", Scheme),
            ("", Scheme),
            // Other hosts, lookalikes.
            ("https://evil.com/x.pem", Host),
            ("https://sns.us-east-1.amazonaws.com.evil.com/x.pem", Host),
            ("https://evil.com/sns.us-east-1.amazonaws.com/x.pem", Host),
            ("https://evil.com?sns.us-east-1.amazonaws.com/x.pem", Host),
            ("https://snsXus-east-1.amazonaws.com/x.pem", Host),
            ("https://sns.us-east-1.amazonaws.co/x.pem", Host),
            ("https://sns.us-east-1.amazonaws.com./x.pem", Host),
            ("https://sns.us-east-1.evilamazonaws.com/x.pem", Host),
            ("https://sns.evil.com.amazonaws.com/x.pem", Host),
            ("https://sns.us-east-1.s3.amazonaws.com/x.pem", Host),
            ("https://s3.us-east-1.amazonaws.com/x.pem", Host),
            ("https://sqs.us-east-1.amazonaws.com/x.pem", Host),
            ("https://sns.amazonaws.com/x.pem", Host),
            ("https://sns..amazonaws.com/x.pem", Host),
            ("https://sns.us-east-1.amazonaws.com.cn/x.pem", Host),
            ("https://sns.US-EAST-1.amazonaws.com/x.pem", Host),
            ("https://SNS.us-east-1.amazonaws.com/x.pem", Host),
            ("https://sns.us-east-123.amazonaws.com/x.pem", Host),
            ("https://sns.us-1.amazonaws.com/x.pem", Host),
            ("https://sns.u-east-1.amazonaws.com/x.pem", Host),
            ("https://127.0.0.1/x.pem", Host),
            ("https://[::1]/x.pem", Characters),
            ("https:///x.pem", Host),
            // User information, ports.
            (
                "https://evil.com@sns.us-east-1.amazonaws.com/x.pem",
                UserInfo,
            ),
            (
                "https://sns.us-east-1.amazonaws.com@evil.com/x.pem",
                UserInfo,
            ),
            (
                "https://sns.us-east-1.amazonaws.com:443@evil.com/x.pem",
                UserInfo,
            ),
            (
                "https://user:pass@sns.us-east-1.amazonaws.com/x.pem",
                UserInfo,
            ),
            (
                "https://sns.us-east-1.amazonaws.com/x.pem@evil.com",
                UserInfo,
            ),
            ("https://sns.us-east-1.amazonaws.com:8443/x.pem", Port),
            ("https://sns.us-east-1.amazonaws.com:/x.pem", Port),
            ("https://sns.us-east-1.amazonaws.com:0443x/x.pem", Port),
            ("https://sns.us-east-1.amazonaws.com:99999/x.pem", Port),
            // Characters parsers read differently.
            (
                "https://sns.us-east-1.amazonaws.com\\@evil.com/x.pem",
                UserInfo,
            ),
            (
                "https://evil.com\\sns.us-east-1.amazonaws.com/x.pem",
                Characters,
            ),
            (
                "https://evil.com#sns.us-east-1.amazonaws.com/x.pem",
                Characters,
            ),
            ("https://sns.us-east-1.amazonaws.com/x.pem#frag", Characters),
            ("https://sns.us-east-1.amazonaws.com /x.pem", Characters),
            ("https://sns.us-east-1.amazonaws.com/x\t.pem", Characters),
            ("https://sns.us-east-1.amazonaws.com/x\n.pem", Characters),
            ("https://sns.us-east-1.amazonaws.com/é.pem", Characters),
            (" https://sns.us-east-1.amazonaws.com/x.pem", Characters),
            ("https://sns%2Eus-east-1.amazonaws.com/x.pem", Host),
            // Paths.
            (
                "https://sns.us-east-1.amazonaws.com/x.pem?x=1",
                CertificatePath,
            ),
            (
                "https://sns.us-east-1.amazonaws.com/x.pem/",
                CertificatePath,
            ),
            ("https://sns.us-east-1.amazonaws.com/x.txt", CertificatePath),
            ("https://sns.us-east-1.amazonaws.com/", CertificatePath),
            ("https://sns.us-east-1.amazonaws.com", CertificatePath),
            ("https://sns.us-east-1.amazonaws.com?a.pem", CertificatePath),
            (
                "https://sns.us-east-1.amazonaws.com//x.pem",
                CertificatePath,
            ),
            (
                "https://sns.us-east-1.amazonaws.com/../x.pem",
                CertificatePath,
            ),
            (
                "https://sns.us-east-1.amazonaws.com/%2e%2e/x.pem",
                CertificatePath,
            ),
            (
                "https://sns.us-east-1.amazonaws.com/?Action=x.pem",
                CertificatePath,
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(policy.signing_cert_url(url), Err(*expected), "{url:?}");
        }
    }

    #[test]
    fn aws_policy_refuses_loopback_and_plain_http() {
        let policy = SnsUrlPolicy::aws();
        assert!(!policy.allows_plain_http());
        for url in [
            "http://127.0.0.1:8080/cert.pem",
            "http://127.0.0.1/cert.pem",
            "https://127.0.0.1:8080/cert.pem",
            "http://localhost:8080/cert.pem",
        ] {
            assert!(policy.signing_cert_url(url).is_err(), "{url}");
            assert!(policy.subscribe_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn aws_policy_accepts_subscribe_urls_on_sns_hosts_only() {
        let policy = SnsUrlPolicy::aws();
        let genuine = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736";
        assert_eq!(
            policy.subscribe_url(genuine).expect("genuine").as_str(),
            genuine
        );
        assert!(policy
            .subscribe_url(
                "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=a%2Fb"
            )
            .is_ok());
        for url in [
            "http://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
            "https://evil.com/?Action=ConfirmSubscription",
            "https://sns.us-west-2.amazonaws.com.evil.com/?Action=ConfirmSubscription",
            "https://evil.com@sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
            "https://sns.us-west-2.amazonaws.com:444/?Action=ConfirmSubscription",
            "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription#x",
        ] {
            assert!(policy.subscribe_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn loopback_policy_accepts_its_one_origin_only() {
        let policy = SnsUrlPolicy::loopback_for_tests("http://127.0.0.1:4567").expect("loopback");
        assert!(policy.allows_plain_http());
        assert!(policy
            .signing_cert_url("http://127.0.0.1:4567/cert.pem")
            .is_ok());
        assert!(policy
            .subscribe_url("http://127.0.0.1:4567/confirm?Token=x")
            .is_ok());
        for (url, expected) in [
            (CERT, UrlRejected::Scheme),
            ("https://127.0.0.1:4567/cert.pem", UrlRejected::Scheme),
            ("http://127.0.0.1:4568/cert.pem", UrlRejected::Port),
            ("http://127.0.0.1/cert.pem", UrlRejected::Port),
            ("http://localhost:4567/cert.pem", UrlRejected::Host),
            ("http://127.0.0.2:4567/cert.pem", UrlRejected::Host),
            ("http://127.0.0.1.evil.com:4567/cert.pem", UrlRejected::Host),
            (
                "http://evil.com@127.0.0.1:4567/cert.pem",
                UrlRejected::UserInfo,
            ),
            (
                "http://127.0.0.1:4567/cert.txt",
                UrlRejected::CertificatePath,
            ),
        ] {
            assert_eq!(policy.signing_cert_url(url), Err(expected), "{url}");
        }
    }

    #[test]
    fn loopback_policy_needs_a_loopback_origin() {
        assert!(SnsUrlPolicy::loopback_for_tests("http://127.0.0.1:1/").is_ok());
        for origin in [
            "http://127.0.0.1",
            "http://127.0.0.1:",
            "http://127.0.0.1:0",
            "http://127.0.0.1:70000",
            "http://127.0.0.1:80/path",
            "https://127.0.0.1:443",
            "http://10.0.0.1:80",
            "http://localhost:80",
            "http://evil.com:80",
            "http://127.0.0.1.evil.com:80",
            "https://sns.us-east-1.amazonaws.com",
        ] {
            assert_eq!(
                SnsUrlPolicy::loopback_for_tests(origin),
                Err(NotALoopbackOrigin(origin.to_owned())),
                "{origin}"
            );
        }
    }

    #[test]
    fn the_default_policy_is_the_aws_one() {
        assert_eq!(SnsUrlPolicy::default(), SnsUrlPolicy::aws());
    }
}
