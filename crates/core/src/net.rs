//! Address math: CIDR parsing with specific messages, default subnet layout.

use ipnet::Ipv4Net;

/// Parses `a.b.c.d/n` and insists the host bits are zero, since AWS would
/// otherwise silently use a different block than the user wrote.
pub fn parse_cidr(s: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = s.parse().map_err(|_| format!("{s:?} is not an IPv4 CIDR block (a.b.c.d/n)"))?;
    if net.trunc() != net {
        return Err(format!("{s} has host bits set; did you mean {}?", net.trunc()));
    }
    Ok(net)
}

/// The `index`-th block of `prefix` length inside `vpc`.
pub fn nth_subnet(vpc: Ipv4Net, prefix: u8, index: usize) -> Option<Ipv4Net> {
    vpc.subnets(prefix).ok()?.nth(index)
}

pub fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_host_bits_with_a_hint() {
        assert!(parse_cidr("172.20.0.0/16").is_ok());
        let e = parse_cidr("172.20.1.0/16").unwrap_err();
        assert!(e.contains("did you mean 172.20.0.0/16"), "{e}");
        assert!(parse_cidr("172.20.0.0").is_err());
        assert!(parse_cidr("300.1.1.0/24").is_err());
    }

    #[test]
    fn nth_and_overlap() {
        let vpc = parse_cidr("10.0.0.0/16").unwrap();
        assert_eq!(nth_subnet(vpc, 24, 3).unwrap().to_string(), "10.0.3.0/24");
        assert!(nth_subnet(parse_cidr("10.0.0.0/23").unwrap(), 24, 2).is_none());
        assert!(overlaps(vpc, parse_cidr("10.0.5.0/24").unwrap()));
        assert!(!overlaps(vpc, parse_cidr("10.1.0.0/16").unwrap()));
    }
}
