//! The stack's database: engine, sizes, credentials and the replica.

use super::*;

pub(super) fn validate_database(
    errors: &mut ValidationErrors,
    spec: &ThreeTierStackSpec,
    lookup: PasswordLookup,
) -> Option<Password> {
    let db = &spec.database;
    let p = "spec.database";
    let window = db.credentials.recovery_window_days;
    if window != 0 && !(7..=30).contains(&window) {
        errors.push(
            format!("{p}.credentials.recoveryWindowDays"),
            format!("{window} is not allowed: 0 (delete at once) or 7 to 30 days"),
        );
    }
    if let Some(adopt) = &db.adopt {
        let named = [("writer", Some(&adopt.writer)), ("replica", adopt.replica.as_ref())];
        for (field, id) in named.iter().filter_map(|(f, id)| id.map(|id| (f, id))) {
            if !is_db_instance_identifier(id) {
                errors.push(
                    format!("{p}.adopt.{field}"),
                    format!(
                        "{id:?} is not an RDS DB instance identifier (1-63 lowercase letters, digits and single hyphens, starting with a letter)"
                    ),
                );
            }
        }
    }
    if let Some(adopt) = &db.private_dns.adopt {
        for (role, id) in [("primary", &adopt.primary), ("standby", &adopt.standby)] {
            // Route 53 documents the ID as up to 32 characters (those it issues are capitals and digits).
            let valid =
                (1..=32).contains(&id.len()) && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if !valid {
                errors.push(
                    format!("{p}.privateDns.adopt.{role}"),
                    format!("{id:?} is not a Route 53 hosted zone ID (1-32 capital letters and digits)"),
                );
            }
        }
        if adopt.primary == adopt.standby {
            errors.push(
                format!("{p}.privateDns.adopt.standby"),
                "each region has a private zone of its own (associated with its VPC): name two",
            );
        }
    }
    if db.password.is_some() {
        // The value itself is never echoed.
        errors.push(
            format!("{p}.password"),
            "inline passwords are refused; put the password in a Secret and set spec.database.passwordSecretRef",
        );
    }
    if !names::is_db_instance_class(&db.instance_class) {
        errors.push(
            format!("{p}.instanceClass"),
            format!("{:?} is not an RDS instance class (like db.t3.micro)", db.instance_class),
        );
    }
    check_range(errors, &format!("{p}.allocatedStorageGiB"), db.allocated_storage_gib.into(), 20, 65536);
    if db.backup_retention_days == 0 {
        errors.push(
            format!("{p}.backupRetentionDays"),
            "must be at least 1: the cross-region read replica needs automated backups",
        );
    } else {
        check_range(errors, &format!("{p}.backupRetentionDays"), db.backup_retention_days.into(), 1, 35);
    }
    check_range(errors, &format!("{p}.port"), db.port.into(), 1150, 65535);
    if !(db.engine_version == "8.0"
        || db.engine_version == "8.4"
        || db.engine_version.starts_with("8.0.")
        || db.engine_version.starts_with("8.4."))
    {
        errors.push(
            format!("{p}.engineVersion"),
            format!("{:?} is not a supported MySQL version (8.0, 8.4 or a patch of them)", db.engine_version),
        );
    }
    if !is_identifier(&db.master_username, 16) {
        errors.push(
            format!("{p}.masterUsername"),
            format!("{:?} must start with a letter and have at most 16 letters, digits or '_'", db.master_username),
        );
    } else if RESERVED_MYSQL_USERS.contains(&db.master_username.to_ascii_lowercase().as_str()) {
        errors.push(format!("{p}.masterUsername"), format!("{:?} is reserved by RDS", db.master_username));
    }
    if !is_identifier(&db.database_name, 64) {
        errors.push(
            format!("{p}.databaseName"),
            format!("{:?} must start with a letter and have at most 64 letters, digits or '_'", db.database_name),
        );
    }
    let path = format!("{p}.passwordSecretRef");
    let reference = db.password_secret_ref.as_ref();
    let describe = || reference.map(|r| format!("Secret {:?} key {:?}", r.name, r.key)).unwrap_or_default();
    match lookup {
        PasswordLookup::NotReferenced if db.password.is_some() => None,
        PasswordLookup::NotReferenced => {
            errors.push(path, "is required: the master password is read from a Secret");
            None
        }
        PasswordLookup::SecretMissing => {
            errors.push(format!("{path}.name"), format!("{} not found", describe()));
            None
        }
        PasswordLookup::KeyMissing => {
            errors.push(format!("{path}.key"), format!("{} has no such key", describe()));
            None
        }
        PasswordLookup::NotText => {
            errors.push(format!("{path}.key"), format!("{} is not UTF-8 text", describe()));
            None
        }
        PasswordLookup::Found(password) => match password_problem(password.expose()) {
            // The message describes the rule, never the value.
            Some(problem) => {
                errors.push(path, format!("the password in {} {problem}", describe()));
                None
            }
            None => Some(password),
        },
    }
}

pub(super) const RESERVED_MYSQL_USERS: [&str; 4] = ["rdsadmin", "root", "mysql", "rdsrepladmin"];

pub(super) fn is_identifier(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// RDS for MySQL: 8 to 41 printable ASCII characters except `/`, `"`, `@` and space.
pub(super) fn password_problem(p: &str) -> Option<&'static str> {
    if p.len() < 8 || p.len() > 41 {
        return Some("must be 8 to 41 characters long");
    }
    if !p.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'"' | b'@')) {
        return Some("may contain only printable ASCII characters other than '/', '\"', '@' and space");
    }
    None
}

/// RDS's rule for DB instance identifiers (they are stored in lowercase).
fn is_db_instance_identifier(id: &str) -> bool {
    let bytes = id.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !id.ends_with('-')
        && !id.contains("--")
}

/// `spec.backup.adopt`: vault names and a plan ID as AWS Backup writes them.
pub(super) fn validate_backup(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    let Some(adopt) = &spec.backup.adopt else { return };
    adopted_are_kept(errors, "spec.backup", true, spec.backup.deletion_policy);
    if !spec.backup.enabled {
        errors.push("spec.backup.adopt", "adopting backups needs spec.backup.enabled: true");
    }
    if adopt.primary_vault.is_none() && adopt.standby_vault.is_none() && adopt.plan.is_none() {
        errors.push("spec.backup.adopt", "names nothing: give primaryVault, standbyVault or plan");
    }
    for (field, name) in [("primaryVault", &adopt.primary_vault), ("standbyVault", &adopt.standby_vault)] {
        if let Some(name) = name
            && !((2..=50).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_".contains(c)))
        {
            errors.push(
                format!("spec.backup.adopt.{field}"),
                format!("{name:?} is not a backup vault name (2-50 letters, digits, '-' and '_')"),
            );
        }
    }
    if let Some(id) = &adopt.plan
        && !((1..=50).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    {
        errors.push("spec.backup.adopt.plan", format!("{id:?} is not a backup plan ID (letters, digits and '-')"));
    }
}
