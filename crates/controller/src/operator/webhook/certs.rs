//! The webhook's serving certificate. Either cert-manager's (files in a
//! directory, re-read when they change), or the operator's own: a CA and a
//! serving certificate kept in a Secret of its namespace, shared by every
//! replica, and the CA written into the webhook configuration's `caBundle`
//! (again whenever an install or upgrade has emptied it).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// The CA's and the serving certificate's lifetimes; a serving certificate
/// this close to its end is issued again.
const CA_DAYS: i64 = 3650;
const SERVING_DAYS: i64 = 365;
const RENEW_BEFORE_DAYS: i64 = 30;

pub const CA_KEY: &str = "ca.crt";
pub const CERT_KEY: &str = "tls.crt";
pub const KEY_KEY: &str = "tls.key";

/// PEM of a CA and of a serving certificate it signed, with its key.
#[derive(Clone, PartialEq, Eq)]
pub struct Issued {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    /// The names the serving certificate is for, and its end (Unix seconds),
    /// kept beside it so it is judged without parsing it.
    pub hosts: Vec<String>,
    pub not_after: i64,
}

impl std::fmt::Debug for Issued {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("ca_pem", &self.ca_pem.len()).finish_non_exhaustive()
    }
}

/// A new CA and a serving certificate for `hosts` (DNS names or IP addresses).
pub fn issue(hosts: &[String]) -> Result<Issued, String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(DnType::CommonName, "warmstandby admission webhook CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = now - time::Duration::hours(1);
    ca.not_after = now + time::Duration::days(CA_DAYS);
    let ca_key = KeyPair::generate().map_err(|e| e.to_string())?;
    let ca_cert = ca.self_signed(&ca_key).map_err(|e| e.to_string())?;

    let mut serving = CertificateParams::new(hosts.to_vec()).map_err(|e| e.to_string())?;
    serving.distinguished_name.push(DnType::CommonName, hosts.first().cloned().unwrap_or_default());
    serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    serving.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    serving.not_before = now - time::Duration::hours(1);
    serving.not_after = now + time::Duration::days(SERVING_DAYS);
    let not_after = serving.not_after.unix_timestamp();
    let key = KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = serving.signed_by(&key, &ca_cert, &ca_key).map_err(|e| e.to_string())?;
    Ok(Issued {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        hosts: hosts.to_vec(),
        not_after,
    })
}

/// Whether `issued` still serves `hosts` for long enough.
fn still_good(issued: &Issued, hosts: &[String]) -> bool {
    let renew_at = time::OffsetDateTime::now_utc() + time::Duration::days(RENEW_BEFORE_DAYS);
    hosts.iter().all(|h| issued.hosts.contains(h)) && issued.not_after > renew_at.unix_timestamp()
}

/// Annotations of the Secret: what the certificate is for, and until when.
const HOSTS_ANNOTATION: &str = "warmstandby.dev/webhook-hosts";
const NOT_AFTER_ANNOTATION: &str = "warmstandby.dev/webhook-not-after";

fn from_secret(secret: &Secret) -> Option<Issued> {
    let data = secret.data.as_ref()?;
    let text = |key: &str| data.get(key).and_then(|b| String::from_utf8(b.0.clone()).ok());
    let annotations = secret.metadata.annotations.as_ref()?;
    Some(Issued {
        ca_pem: text(CA_KEY)?,
        cert_pem: text(CERT_KEY)?,
        key_pem: text(KEY_KEY)?,
        hosts: annotations.get(HOSTS_ANNOTATION)?.split(',').map(str::to_string).collect(),
        not_after: annotations.get(NOT_AFTER_ANNOTATION)?.parse().ok()?,
    })
}

fn secret_of(name: &str, issued: &Issued) -> Secret {
    let data = [(CA_KEY, &issued.ca_pem), (CERT_KEY, &issued.cert_pem), (KEY_KEY, &issued.key_pem)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), ByteString(v.clone().into_bytes())))
        .collect();
    let annotations = [
        (HOSTS_ANNOTATION.to_string(), issued.hosts.join(",")),
        (NOT_AFTER_ANNOTATION.to_string(), issued.not_after.to_string()),
    ];
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            annotations: Some(annotations.into_iter().collect()),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(data),
        ..Default::default()
    }
}

/// The certificate in Secret `name`, issued (and stored) when it is missing,
/// does not name every host, or ends soon. Replicas starting together
/// agree: the first to create the Secret wins and the others read it.
pub async fn ensure_in_secret(secrets: &Api<Secret>, name: &str, hosts: &[String]) -> Result<Issued, kube::Error> {
    for _ in 0..3 {
        let current = secrets.get_opt(name).await?;
        if let Some(issued) = current.as_ref().and_then(from_secret).filter(|i| still_good(i, hosts)) {
            return Ok(issued);
        }
        let issued = issue(hosts).map_err(|e| kube::Error::Service(e.into()))?;
        let result = match current {
            None => secrets.create(&PostParams::default(), &secret_of(name, &issued)).await,
            Some(old) => {
                let mut new = secret_of(name, &issued);
                new.metadata.resource_version = old.metadata.resource_version.clone();
                secrets.replace(name, &PostParams::default(), &new).await
            }
        };
        match result {
            Ok(_) => {
                tracing::info!(secret = name, hosts = ?hosts, "issued the webhook's serving certificate");
                return Ok(issued);
            }
            // Another replica wrote it first: take theirs.
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    let current = secrets.get(name).await?;
    from_secret(&current).ok_or_else(|| {
        kube::Error::Service(format!("Secret {name} keeps changing without a usable certificate").into())
    })
}

/// Writes `ca_pem` into every webhook of configuration `name` that lacks it.
/// Returns whether it changed anything.
pub async fn ensure_ca_bundle(
    configurations: &Api<ValidatingWebhookConfiguration>,
    name: &str,
    ca_pem: &str,
) -> Result<bool, kube::Error> {
    for _ in 0..3 {
        let Some(mut config) = configurations.get_opt(name).await? else { return Ok(false) };
        let want = ByteString(ca_pem.as_bytes().to_vec());
        let mut changed = false;
        for hook in config.webhooks.iter_mut().flatten() {
            if hook.client_config.ca_bundle.as_ref() != Some(&want) {
                hook.client_config.ca_bundle = Some(want.clone());
                changed = true;
            }
        }
        if !changed {
            return Ok(false);
        }
        match configurations.replace(name, &PostParams::default(), &config).await {
            Ok(_) => {
                tracing::info!(configuration = name, "wrote the webhook CA into the configuration's caBundle");
                return Ok(true);
            }
            Err(kube::Error::Api(e)) if e.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// The key pair rustls serves, from PEM.
pub fn certified_key(cert_pem: &str, key_pem: &str) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate: {e}"))?;
    if chain.is_empty() {
        return Err("no certificate in the PEM".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| format!("the key: {e}"))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| format!("the key: {e}"))?;
    Ok(CertifiedKey::new(chain, signing))
}

/// The certificate being served, replaced in place when it is renewed.
#[derive(Debug, Default)]
pub struct Serving(RwLock<Option<Arc<CertifiedKey>>>);

impl Serving {
    pub fn set(&self, key: CertifiedKey) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(key));
    }

    pub fn is_set(&self) -> bool {
        self.0.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }
}

impl ResolvesServerCert for Serving {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Where the serving certificate comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// cert-manager's (or any) `tls.crt` and `tls.key` in a directory.
    Directory(std::path::PathBuf),
    /// The operator's own, in Secret `secret` of `namespace`, for `hosts`;
    /// its CA written into ValidatingWebhookConfiguration `configuration`.
    SelfManaged { namespace: String, secret: String, configuration: String, hosts: Vec<String> },
}

/// How often the source is looked at again (a renewed file, an emptied caBundle).
pub const REFRESH: Duration = Duration::from_secs(30);

/// Loads the certificate from `source` into `serving` (self-managed: issued
/// or read from its Secret, and its CA written into the configuration).
pub async fn load(client: &kube::Client, source: &Source, serving: &Serving) -> Result<(), String> {
    match source {
        Source::Directory(dir) => {
            let read =
                |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{}: {e}", dir.join(f).display()));
            serving.set(certified_key(&read(CERT_KEY)?, &read(KEY_KEY)?)?);
            Ok(())
        }
        Source::SelfManaged { namespace, secret, configuration, hosts } => {
            let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
            let issued = ensure_in_secret(&secrets, secret, hosts)
                .await
                .map_err(|e| format!("the webhook certificate in Secret {namespace}/{secret}: {e}"))?;
            serving.set(certified_key(&issued.cert_pem, &issued.key_pem)?);
            let configurations: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
            ensure_ca_bundle(&configurations, configuration, &issued.ca_pem)
                .await
                .map_err(|e| format!("the caBundle of ValidatingWebhookConfiguration {configuration}: {e}"))?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_certificate_names_its_hosts_serves_and_is_renewed_for_new_hosts() {
        crate::install_crypto_provider();
        let hosts = vec!["warmstandby-webhook.warmstandby-system.svc".to_string(), "127.0.0.1".to_string()];
        let issued = issue(&hosts).expect("a certificate");
        assert!(issued.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(still_good(&issued, &hosts), "it names every host");
        assert!(!still_good(&issued, &["other.svc".to_string()]), "another host needs another certificate");
        assert!(certified_key(&issued.cert_pem, &issued.key_pem).is_ok(), "rustls can serve it");
        let secret = secret_of("webhook-tls", &issued);
        assert_eq!(from_secret(&secret), Some(issued.clone()), "what is stored is read back");
        assert!(!format!("{issued:?}").contains("PRIVATE KEY"), "the key is never printed");
    }
}
