//! Which addresses and schemes a feed may make aiwire connect to.
//!
//! By default no connection goes to loopback, private, link-local (which holds the cloud
//! metadata address 169.254.169.254), unique-local, unspecified, multicast or otherwise
//! special-purpose addresses. The check runs on the *resolved* address inside the DNS
//! resolver that reqwest connects with ([`SafeResolver`]), so a host name that resolves to
//! 127.0.0.1 is refused at connect time, and on every hop of a redirect chain (the client
//! follows redirects itself and calls [`check_url`] before each hop, which also covers
//! IP-literal hosts that never reach a resolver). Proxies are disabled in the client, so the
//! resolver always sees the feed's own host.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// Why a URL or address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "scheme {0:?} is not allowed here; only http and https (and file for configured feeds)"
    )]
    Scheme(String),
    #[error(
        "{} is a loopback/private/link-local address; refused (set [fetch] allow_private_addresses = true to allow)",
        describe(host, addr)
    )]
    PrivateAddress { host: String, addr: IpAddr },
    #[error("{0} has no host")]
    NoHost(String),
}

fn describe(host: &str, addr: &IpAddr) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare == addr.to_string() {
        addr.to_string()
    } else {
        format!("{host} resolves to {addr}, which")
    }
}

/// Whether aiwire may connect to `ip` when private addresses are not allowed.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0                               // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT, RFC 6598
        || (a == 192 && b == 0 && c == 0)       // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19))   // benchmarking, RFC 2544
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00      // unique local fc00::/7
        || (seg[0] & 0xffc0) == 0xfe80      // link local fe80::/10
        || (seg[0] & 0xffc0) == 0xfec0      // deprecated site local
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || (seg[0] == 0x64 && seg[1] == 0xff9b)   // NAT64 can reach IPv4 private space
        || (seg[0] == 0 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0 && seg[4] == 0 && seg[5] == 0)) // IPv4-compatible
}

/// Checks one hop before it is requested: the scheme must be http or https, and an
/// IP-literal host must be public unless `allow_private`. Host names are checked after
/// resolution by [`SafeResolver`].
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Scheme(url.scheme().to_string()));
    }
    let ip = match url.host() {
        None => return Err(Refusal::NoHost(url.to_string())),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(Refusal::PrivateAddress {
            host: url.host_str().unwrap_or_default().to_string(),
            addr: ip,
        })
    }
}

/// Fixed answers for host names, used by tests to point made-up names at a 127.0.0.1
/// server. A `Checked` name is still subject to the address check; a `Trusted` one is not
/// (the one knob that lets a test make a "public" first hop on loopback).
#[derive(Debug, Clone, Default)]
pub struct HostOverrides {
    names: HashMap<String, (IpAddr, Trust)>,
}

/// Whether an overridden name bypasses the address check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    Checked,
    Trusted,
}

impl HostOverrides {
    /// Resolves `name` to `addr`; the address check still applies.
    pub fn resolve(mut self, name: &str, addr: IpAddr) -> Self {
        self.names
            .insert(name.to_ascii_lowercase(), (addr, Trust::Checked));
        self
    }

    /// Resolves `name` to `addr` and exempts it from the address check (tests only).
    pub fn trust(mut self, name: &str, addr: IpAddr) -> Self {
        self.names
            .insert(name.to_ascii_lowercase(), (addr, Trust::Trusted));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// The DNS resolver reqwest connects with: system resolution (or a test override), then the
/// address check on every resolved address. Only addresses that pass are handed to the
/// connector, so what is checked is exactly what is connected to.
#[derive(Debug, Clone)]
pub struct SafeResolver {
    allow_private: bool,
    overrides: Arc<HostOverrides>,
}

impl SafeResolver {
    pub fn new(allow_private: bool, overrides: HostOverrides) -> Self {
        SafeResolver {
            allow_private,
            overrides: Arc::new(overrides),
        }
    }
}

/// Keeps the addresses aiwire may connect to; an error names the first refused one.
pub fn filter_addrs(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Refusal> {
    if allow_private {
        return Ok(addrs);
    }
    let first = addrs.first().copied();
    let kept: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
    match (kept.is_empty(), first) {
        (true, Some(addr)) => Err(Refusal::PrivateAddress {
            host: host.to_string(),
            addr: addr.ip(),
        }),
        _ => Ok(kept),
    }
}

impl reqwest::dns::Resolve for SafeResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let this = self.clone();
        Box::pin(async move {
            if let Some((addr, trust)) = this.overrides.names.get(&host).copied() {
                let addrs = vec![SocketAddr::new(addr, 0)];
                let allow = this.allow_private || trust == Trust::Trusted;
                let kept = filter_addrs(&host, addrs, allow)?;
                return Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs);
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = filter_addrs(&host, addrs, this.allow_private)?;
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.215.14", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(good.parse().unwrap()), "{good}");
        }
    }

    #[test]
    fn check_url_refuses_private_literals_and_other_schemes() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(check_url(&u("http://example.org/feed"), false).is_ok());
        assert!(matches!(
            check_url(&u("http://127.0.0.1:8080/feed"), false),
            Err(Refusal::PrivateAddress { .. })
        ));
        assert!(matches!(
            check_url(&u("http://[::1]/feed"), false),
            Err(Refusal::PrivateAddress { .. })
        ));
        assert!(check_url(&u("http://127.0.0.1:8080/feed"), true).is_ok());
        assert!(matches!(
            check_url(&u("file:///etc/passwd"), true),
            Err(Refusal::Scheme(_))
        ));
        assert!(matches!(
            check_url(&u("ftp://example.org/"), true),
            Err(Refusal::Scheme(_))
        ));
    }

    #[test]
    fn filter_keeps_public_and_refuses_all_private() {
        let a = |s: &str| -> SocketAddr { s.parse().unwrap() };
        let kept = filter_addrs("mixed.test", vec![a("10.0.0.1:0"), a("1.1.1.1:0")], false);
        assert_eq!(kept, Ok(vec![a("1.1.1.1:0")]));
        let refused = filter_addrs("evil.test", vec![a("127.0.0.1:0")], false);
        assert!(matches!(refused, Err(Refusal::PrivateAddress { .. })));
        let allowed = filter_addrs("evil.test", vec![a("127.0.0.1:0")], true);
        assert_eq!(allowed, Ok(vec![a("127.0.0.1:0")]));
    }

    #[tokio::test]
    async fn resolver_refuses_a_name_that_resolves_to_loopback() {
        use reqwest::dns::Resolve;
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let overrides = HostOverrides::default()
            .resolve("evil.test", lo)
            .trust("trusted.test", lo);
        let r = SafeResolver::new(false, overrides);
        let err = match r.resolve("evil.test".parse().unwrap()).await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("evil.test must be refused"),
        };
        assert!(err.contains("127.0.0.1"), "{err}");
        let ok: Vec<_> = r
            .resolve("trusted.test".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(ok, vec![SocketAddr::new(lo, 0)]);
        // The system resolver's answer for localhost is checked too.
        assert!(r.resolve("localhost".parse().unwrap()).await.is_err());
    }
}
