//! The database master password: never printed, serialized or tagged.

use std::fmt;

/// A secret value. It has no `Display` or `Serialize`, and its `Debug` is
/// redacted, so it cannot reach a log line, status or tag by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    /// The only way to read the value: at the AWS call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// What the dereference step found for the password reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordLookup {
    Found(Password),
    /// No Secret with that name in the namespace.
    SecretMissing,
    /// The Secret exists but lacks the key.
    KeyMissing,
    /// The Secret's value is not UTF-8.
    NotText,
    /// The spec has no `passwordSecretRef`.
    NotReferenced,
}

/// Reads `key` of a Kubernetes Secret from `data` (already base64-decoded)
/// or `stringData` (as in a manifest that was not applied yet).
pub fn from_secret(secret: &k8s_openapi::api::core::v1::Secret, key: &str) -> PasswordLookup {
    if let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return match String::from_utf8(bytes.0.clone()) {
            Ok(s) => PasswordLookup::Found(Password::new(s)),
            Err(_) => PasswordLookup::NotText,
        };
    }
    match secret.string_data.as_ref().and_then(|d| d.get(key)) {
        Some(s) => PasswordLookup::Found(Password::new(s.clone())),
        None => PasswordLookup::KeyMissing,
    }
}
