//! Shape checks for AWS and DNS names, and bounded AWS resource names.

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-5`.
pub fn is_region(s: &str) -> bool {
    const DIRECTIONS: [&str; 9] =
        ["north", "south", "east", "west", "central", "northeast", "southeast", "northwest", "southwest"];
    let parts: Vec<&str> = s.split('-').collect();
    let (geo, dir, num) = match parts.as_slice() {
        [geo, dir, num] => (*geo, *dir, *num),
        [geo, "gov" | "iso" | "isob", dir, num] => (*geo, *dir, *num),
        _ => return false,
    };
    geo.len() == 2
        && geo.bytes().all(|b| b.is_ascii_lowercase())
        && DIRECTIONS.contains(&dir)
        && !num.is_empty()
        && num.len() <= 2
        && !num.starts_with('0')
        && num.bytes().all(|b| b.is_ascii_digit())
}

/// An availability zone name of `region`: the region plus one letter.
pub fn is_zone_of(zone: &str, region: &str) -> bool {
    zone.strip_prefix(region).is_some_and(|rest| rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_lowercase()))
}

/// A DNS label: 1-63 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A fully qualified DNS name with at least two labels (a trailing dot is allowed).
pub fn is_dns_zone(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    s.len() <= 253 && s.split('.').count() >= 2 && s.split('.').all(is_dns_label)
}

/// A record name relative to its zone: one or more labels.
pub fn is_relative_record(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// EC2 instance type shape: `t3.micro`, `m7g.2xlarge`, `c6gn.metal`.
pub fn is_instance_type(s: &str) -> bool {
    match s.split_once('.') {
        Some((family, size)) => {
            family.len() >= 2
                && family.as_bytes()[0].is_ascii_lowercase()
                && family.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && family.bytes().any(|b| b.is_ascii_digit())
                && !size.is_empty()
                && size.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

/// RDS instance class shape: `db.` plus an instance type, e.g. `db.t3.micro`.
pub fn is_db_instance_class(s: &str) -> bool {
    s.strip_prefix("db.").is_some_and(is_instance_type)
}

/// `ami-` plus 8 or 17 hex digits.
pub fn is_ami_id(s: &str) -> bool {
    s.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A name for an AWS resource with a length limit (ALB and target group names
/// allow 32 characters of `[A-Za-z0-9-]`). Too long a name keeps its head and
/// gets a short stable hash of the whole, so two stacks never collide.
pub fn bounded_name(full: &str, max_len: usize) -> String {
    let clean: String = full.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    if clean.len() <= max_len {
        return clean;
    }
    let hash = format!("{:08x}", fnv1a32(full.as_bytes()));
    let head_len = max_len.saturating_sub(hash.len() + 1);
    let head = clean[..head_len].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// FNV-1a, 32 bit: tiny, stable across releases and platforms.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5", "il-central-1"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["us-east", "us-est-1", "US-EAST-1", "us-east-01", "useast1", "us-east-1a", ""] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn zones() {
        assert!(is_zone_of("us-east-1a", "us-east-1"));
        assert!(!is_zone_of("us-west-2a", "us-east-1"));
        assert!(!is_zone_of("us-east-1", "us-east-1"));
        assert!(!is_zone_of("us-east-1ab", "us-east-1"));
    }

    #[test]
    fn dns() {
        assert!(is_dns_zone("example.com"));
        assert!(is_dns_zone("example.com."));
        assert!(!is_dns_zone("example"));
        assert!(!is_dns_zone("-bad.example.com"));
        assert!(!is_dns_zone("bad_label.example.com"));
        assert!(is_relative_record("api"));
        assert!(is_relative_record("api.eu"));
        assert!(!is_relative_record("api."));
    }

    #[test]
    fn instance_shapes() {
        assert!(is_instance_type("t3.micro"));
        assert!(is_instance_type("m7g.2xlarge"));
        assert!(!is_instance_type("micro"));
        assert!(!is_instance_type("t3."));
        assert!(!is_instance_type("db.t3.micro"));
        assert!(is_db_instance_class("db.t3.micro"));
        assert!(!is_db_instance_class("t3.micro"));
        assert!(is_ami_id("ami-0123456789abcdef0"));
        assert!(is_ami_id("ami-12345678"));
        assert!(!is_ami_id("ami-xyz"));
    }

    #[test]
    fn bounded_names_are_stable_and_short() {
        assert_eq!(bounded_name("shop-web", 32), "shop-web");
        let long = "a-very-long-namespace-bookstore-production-web";
        let n = bounded_name(long, 32);
        assert!(n.len() <= 32, "{n}");
        assert_eq!(n, bounded_name(long, 32));
        assert_ne!(n, bounded_name("a-very-long-namespace-bookstore-production-api", 32));
    }
}
