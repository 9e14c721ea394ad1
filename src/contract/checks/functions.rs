//! The functions protovalidate adds to CEL (`isEmail`, `isHostname`, `isIp`, `isIpPrefix`,
//! `isUri`, `isUriRef`, `isHostAndPort`, `unique`, `isNan`, `isInf`, `getField`), registered
//! on each evaluation's context, with the checks they stand for.

use cel::extractors::{Arguments, This};
use cel::objects::Key;
use cel::{Context, ExecutionError, Value};
use regex::Regex;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, LazyLock};

/// Registers every protovalidate function on `context`.
pub(super) fn register(context: &mut Context<'_, '_>) {
    // None of these names is a standard CEL function, so registering cannot conflict.
    let _ = context.add_function("isEmail", |This(s): This<Arc<String>>| is_email(&s));
    let _ = context.add_function("isHostname", |This(s): This<Arc<String>>| is_hostname(&s));
    let _ = context.add_function(
        "isIp",
        |This(s): This<Arc<String>>, Arguments(a): Arguments| ip_version(&a).map(|v| is_ip(&s, v)),
    );
    let _ = context.add_function(
        "isIpPrefix",
        |This(s): This<Arc<String>>, Arguments(a): Arguments| {
            let (version, strict) = match a.as_slice() {
                [] => (0, false),
                [Value::Bool(strict)] => (0, *strict),
                [Value::Int(v)] => (*v, false),
                [Value::Int(v), Value::Bool(strict)] => (*v, *strict),
                _ => return Err(bad_arguments("isIpPrefix")),
            };
            Ok(is_ip_prefix(&s, version, strict))
        },
    );
    let _ = context.add_function("isUri", |This(s): This<Arc<String>>| is_uri(&s));
    let _ = context.add_function("isUriRef", |This(s): This<Arc<String>>| is_uri_ref(&s));
    let _ = context.add_function(
        "isHostAndPort",
        |This(s): This<Arc<String>>, port_required: bool| is_host_and_port(&s, port_required),
    );
    let _ = context.add_function("unique", |This(list): This<Arc<Vec<Value>>>| unique(&list));
    let _ = context.add_function("isNan", |This(f): This<f64>| f.is_nan());
    let _ = context.add_function(
        "isInf",
        |This(f): This<f64>, Arguments(a): Arguments| match a.as_slice() {
            [] => Ok(f.is_infinite()),
            [Value::Int(sign)] => Ok(match sign {
                0 => f.is_infinite(),
                s if *s > 0 => f == f64::INFINITY,
                _ => f == f64::NEG_INFINITY,
            }),
            _ => Err(bad_arguments("isInf")),
        },
    );
    let _ = context.add_function("getField", |map: Value, name: Arc<String>| match map {
        Value::Map(map) => Ok(map
            .map
            .get(&Key::String(name.clone()))
            .cloned()
            .unwrap_or(Value::Null)),
        _ => Err(bad_arguments("getField")),
    });
}

fn bad_arguments(function: &str) -> ExecutionError {
    ExecutionError::function_error(function, "unexpected arguments")
}

fn ip_version(args: &[Value]) -> Result<i64, ExecutionError> {
    match args {
        [] => Ok(0),
        [Value::Int(v)] => Ok(*v),
        _ => Err(bad_arguments("isIp")),
    }
}

/// The HTML5 definition of an email address, which protovalidate follows.
pub(super) fn is_email(s: &str) -> bool {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@",
            r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?",
            r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
        ))
        .expect("the email pattern compiles")
    });
    EMAIL.is_match(s)
}

/// RFC 1034 host names: dot-separated labels of letters, digits and inner hyphens, at most 63
/// characters each and 253 in all, an optional trailing dot, the last label not all digits.
pub(super) fn is_hostname(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    labels.iter().all(label_ok)
        && !labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
}

/// An IPv4 address in dotted decimal, or an IPv6 address (with an optional zone id);
/// `version` 0 takes either.
pub(super) fn is_ip(s: &str, version: i64) -> bool {
    let v4 = || s.parse::<Ipv4Addr>().is_ok();
    let v6 = || {
        let (address, zone) = match s.split_once('%') {
            Some((a, z)) => (a, Some(z)),
            None => (s, None),
        };
        zone.is_none_or(|z| !z.is_empty()) && address.parse::<Ipv6Addr>().is_ok()
    };
    match version {
        0 => v4() || v6(),
        4 => v4(),
        6 => v6(),
        _ => false,
    }
}

/// An address with a prefix length (`10.0.0.0/8`); `strict` also wants the host bits zero.
pub(super) fn is_ip_prefix(s: &str, version: i64, strict: bool) -> bool {
    let Some((address, length)) = s.split_once('/') else {
        return false;
    };
    if length.is_empty() || length.len() > 3 || !length.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if length.len() > 1 && length.starts_with('0') {
        return false;
    }
    let Ok(length) = length.parse::<u32>() else {
        return false;
    };
    let v4 = || match address.parse::<Ipv4Addr>() {
        Ok(a) if length <= 32 => {
            !strict || length == 32 || u32::from(a) & (u32::MAX >> length) == 0
        }
        _ => false,
    };
    let v6 = || match address.parse::<Ipv6Addr>() {
        Ok(a) if length <= 128 => {
            !strict || length == 128 || u128::from(a) & (u128::MAX >> length) == 0
        }
        _ => false,
    };
    match version {
        0 => v4() || v6(),
        4 => v4(),
        6 => v6(),
        _ => false,
    }
}

/// RFC 3986 URI-reference parts, as one pattern each: an absolute URI needs a scheme.
static URI_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let unreserved = r"A-Za-z0-9\-._~";
    let sub_delims = r"!$&'()*+,;=";
    let pct = r"%[0-9A-Fa-f]{2}";
    let pchar = format!(r"(?:[{unreserved}{sub_delims}:@]|{pct})");
    let userinfo = format!(r"(?:[{unreserved}{sub_delims}:]|{pct})*");
    let reg_name = format!(r"(?:[{unreserved}{sub_delims}]|{pct})*");
    let ip_literal = r"\[[0-9A-Fa-f:.]+(?:%25(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})+)?\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]";
    let host = format!(r"(?:{ip_literal}|{reg_name})");
    let authority = format!(r"(?:{userinfo}@)?{host}(?::[0-9]*)?");
    let query = format!(r"(?:{pchar}|[/?])*");
    let pattern = format!(
        r"^(?:(?P<scheme>[A-Za-z][A-Za-z0-9+\-.]*):)?(?://{authority}(?:/{pchar}*)*|/?(?:{pchar}+(?:/{pchar}*)*)?)(?:\?{query})?(?:#{query})?$"
    );
    Regex::new(&pattern).expect("the URI pattern compiles")
});

/// An absolute URI (RFC 3986 `URI`).
pub(super) fn is_uri(s: &str) -> bool {
    URI_REFERENCE
        .captures(s)
        .is_some_and(|c| c.name("scheme").is_some())
}

/// A URI or a relative reference (RFC 3986 `URI-reference`).
pub(super) fn is_uri_ref(s: &str) -> bool {
    if URI_REFERENCE
        .captures(s)
        .is_some_and(|c| c.name("scheme").is_some())
    {
        return true;
    }
    // A relative reference's first segment holds no colon, or it would read as a scheme.
    let first = s.split(['/', '?', '#']).next().unwrap_or_default();
    !first.contains(':') && URI_REFERENCE.is_match(s)
}

/// `host:port`, with an IPv6 host in brackets; the port is required when `port_required`.
pub(super) fn is_host_and_port(s: &str, port_required: bool) -> bool {
    let port_ok = |p: &str| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && (p == "0" || !p.starts_with('0'))
            && p.parse::<u32>().is_ok_and(|n| n <= 65535)
    };
    if let Some(rest) = s.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return false;
        };
        return is_ip(host, 6)
            && match after.strip_prefix(':') {
                Some(port) => port_ok(port),
                None => after.is_empty() && !port_required,
            };
    }
    match s.rsplit_once(':') {
        Some((host, port)) => (is_hostname(host) || is_ip(host, 4)) && port_ok(port),
        None => !port_required && (is_hostname(s) || is_ip(s, 4)),
    }
}

/// Whether no two elements of a list are equal.
fn unique(list: &[Value]) -> bool {
    list.iter()
        .enumerate()
        .all(|(i, a)| list[i + 1..].iter().all(|b| a != b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_follow_html5() {
        assert!(is_email("ada@example.com"));
        assert!(is_email("a.b+c@x"));
        assert!(!is_email("not an email"));
        assert!(!is_email("<ada@example.com>"));
        assert!(!is_email("ada@-example.com"));
    }

    #[test]
    fn hostnames_ips_and_prefixes() {
        assert!(is_hostname("example.com."));
        assert!(!is_hostname("example.123"));
        assert!(!is_hostname("-a.com"));
        assert!(is_ip("127.0.0.1", 4) && !is_ip("127.0.0.1", 6));
        assert!(is_ip("::1", 0) && is_ip("fe80::1%eth0", 6));
        assert!(!is_ip("127.0.0.01", 0));
        assert!(is_ip_prefix("10.0.0.0/8", 4, true));
        assert!(!is_ip_prefix("10.0.0.1/8", 4, true));
        assert!(is_ip_prefix("10.0.0.1/8", 0, false));
    }

    #[test]
    fn uris_and_references() {
        assert!(is_uri("https://example.com/a?b=c#d"));
        assert!(is_uri("urn:isbn:0451450523"));
        assert!(!is_uri("/relative/path"));
        assert!(!is_uri("https://exa mple.com"));
        assert!(is_uri_ref("/relative/path"));
        assert!(is_uri_ref("./a:b"));
        assert!(!is_uri_ref("a:b c"));
    }

    #[test]
    fn host_and_port() {
        assert!(is_host_and_port("example.com:443", true));
        assert!(is_host_and_port("[::1]:80", true));
        assert!(!is_host_and_port("example.com", true));
        assert!(is_host_and_port("example.com", false));
        assert!(!is_host_and_port("example.com:99999", true));
    }
}
