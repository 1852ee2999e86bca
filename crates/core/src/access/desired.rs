//! What a stack's instances need to find and log into the database.

use serde_json::{Value, json};
use warmstandby_api::RegionRole;

use crate::validate::ValidatedStack;

/// Path of every role and instance profile the operator creates; the
/// operator's own `iam:PassRole` is scoped to it.
pub const ROLE_PATH: &str = "/warmstandby/";
/// Every secret of ours is named under this prefix.
pub const SECRET_PREFIX: &str = "warmstandby/";
/// The api role's only inline policy.
pub const SECRET_READ_POLICY: &str = "read-database-credentials";

/// The non-secret part of the credentials secret's value; the password is
/// added by the adapter at the one call that writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretFields {
    pub username: String,
    /// Region-independent: each region's private zone resolves it to its own database.
    pub host: String,
    pub port: i32,
    pub dbname: String,
    pub engine: String,
}

impl SecretFields {
    /// The value's JSON keys and their wanted values (all but the password).
    pub fn fields(&self) -> [(&'static str, Value); 5] {
        [
            ("username", json!(self.username)),
            ("host", json!(self.host)),
            ("port", json!(self.port)),
            ("dbname", json!(self.dbname)),
            ("engine", json!(self.engine)),
        ]
    }

    /// The whole value as Secrets Manager stores it.
    pub fn value_with(&self, password: &str) -> String {
        let mut value: serde_json::Map<String, Value> =
            self.fields().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        value.insert("password".into(), json!(password));
        Value::Object(value).to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSecret {
    pub name: String,
    /// The primary region's; the secret never moves (a failover changes nothing for it).
    pub home_region: String,
    pub replica_region: String,
    pub description: String,
    pub fields: SecretFields,
    /// Days a deleted secret stays recoverable; 0 deletes it at once.
    pub recovery_window_days: i32,
}

impl DesiredSecret {
    pub fn region(&self, role: RegionRole) -> &str {
        match role {
            RegionRole::Primary => &self.home_region,
            RegionRole::Standby => &self.replica_region,
        }
    }

    /// The ARN of the secret in `region`: a replica has the primary's name
    /// and suffix in its own region.
    pub fn arn_in(&self, home_arn: &str, region: &str) -> String {
        home_arn.replacen(&format!(":{}:", self.home_region), &format!(":{region}:"), 1)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredRole {
    pub tier: &'static str,
    pub name: String,
    /// The instance profile has the role's name.
    pub profile_name: String,
    /// The api reads the credentials; the web tier gets no policy at all.
    pub reads_secret: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredAccess {
    pub secret: DesiredSecret,
    pub roles: Vec<DesiredRole>,
}

impl DesiredAccess {
    pub fn role(&self, tier: &str) -> Option<&DesiredRole> {
        self.roles.iter().find(|r| r.tier == tier)
    }
}

pub fn desired_access(stack: &ValidatedStack) -> DesiredAccess {
    let db = &stack.spec.database;
    let role = |tier: &'static str, reads_secret: bool| {
        let name = stack.aws_name(tier, 64);
        DesiredRole { tier, profile_name: name.clone(), name, reads_secret }
    };
    DesiredAccess {
        secret: DesiredSecret {
            name: secret_name(stack),
            home_region: stack.pair.region(RegionRole::Primary).region.clone(),
            replica_region: stack.pair.region(RegionRole::Standby).region.clone(),
            description: format!("database credentials of {}/{}", stack.namespace, stack.name),
            fields: SecretFields {
                username: db.master_username.clone(),
                host: format!("{}.{}", db.private_dns.record_name, db.private_dns.zone_name),
                port: db.port,
                dbname: db.database_name.clone(),
                engine: "mysql".into(),
            },
            recovery_window_days: db.credentials.recovery_window_days,
        },
        roles: vec![role("api", true), role("web", false)],
    }
}

/// `warmstandby/<namespace>/<name>/database-<uid>`: a deleted secret stays
/// recoverable for days, so a stack created again under the same name gets
/// a secret of its own rather than its predecessor's.
pub fn secret_name(stack: &ValidatedStack) -> String {
    let uid: String = stack.uid.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    let base = format!("{SECRET_PREFIX}{}/{}/database", stack.namespace, stack.name);
    if uid.is_empty() { base } else { format!("{base}-{uid}") }
}

/// EC2 may assume the roles, nothing else.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Reading exactly the credentials secret, in both regions.
pub fn secret_read_policy(arns: &[String]) -> Value {
    let mut arns = arns.to_vec();
    arns.sort();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadDatabaseCredentials",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": arns
        }]
    })
}

/// Policy documents compared as JSON, whatever their formatting, with a
/// single string and a one-element list taken as equal (as IAM does).
pub fn same_policy(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => normalize(&items[0]),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// A policy document as IAM returns it (URL-encoded JSON), parsed.
pub fn parse_policy(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok().or_else(|| serde_json::from_str(&percent_decode(text)).ok())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_as_json_and_decode_from_iam() {
        let doc = secret_read_policy(&["arn:b".into(), "arn:a".into()]);
        let encoded = doc.to_string().replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace(':', "%3A");
        assert!(same_policy(&parse_policy(&encoded).unwrap(), &doc));
        let single = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}});
        assert!(same_policy(&single, &trust_policy()));
        let wider = secret_read_policy(&["*".into()]);
        assert!(!same_policy(&wider, &doc));
    }

    #[test]
    fn the_value_carries_every_key() {
        let f = SecretFields {
            username: "admin".into(),
            host: "book.internal".into(),
            port: 3306,
            dbname: "app".into(),
            engine: "mysql".into(),
        };
        let v: Value = serde_json::from_str(&f.value_with("pw")).unwrap();
        for key in ["username", "password", "host", "port", "dbname", "engine"] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
