//! The environment block at the start of every launch template's user data:
//! where the application is, where its database is and which secret holds
//! the credentials. Nothing secret: the instance reads the secret itself
//! with its role.

use warmstandby_api::RegionRole;

use crate::families::instance_roles::{DesiredRole, ObservedRoles, role_of};
use crate::families::secrets::{DesiredSecret, ObservedSecret};
use crate::field::ValidationErrors;

/// What a tier's launch template needs from the access families in `role`'s
/// region: its instance profile and the environment block; `Err` says what
/// it waits for.
pub fn launch_settings(
    (secret, seen): (&DesiredSecret, Option<&ObservedSecret>),
    (roles, observed): (&[DesiredRole], &ObservedRoles),
    tier: &str,
    role: RegionRole,
    active: bool,
    urls: (&str, &str),
) -> Result<(String, Environment), String> {
    let want = role_of(roles, tier).ok_or_else(|| format!("no role for the {tier} tier"))?;
    let ready = observed.profile(&want.profile_name).is_some_and(|p| p.roles.contains(&want.name))
        && observed.role(&want.name).is_some_and(|r| r.ours);
    if !ready {
        return Err(format!("the {tier} launch template waits for instance profile {}", want.profile_name));
    }
    let region = secret.region(role).to_string();
    let db = if want.reads_secret {
        let home = seen
            .filter(|s| s.is_live())
            .ok_or_else(|| format!("the {tier} launch template waits for secret {}", secret.name))?;
        Some((secret.fields.host.clone(), secret.arn_in(&home.arn, &region)))
    } else {
        None
    };
    let environment = Environment {
        api_url: format!("https://{}", urls.0),
        web_url: format!("https://{}", urls.1),
        db,
        region,
        role: if active { "active" } else { "standby" },
    };
    Ok((want.profile_name.clone(), environment))
}

/// Every variable the block defines.
pub const VARIABLES: [&str; 6] = [
    "WARMSTANDBY_API_URL",
    "WARMSTANDBY_WEB_URL",
    "WARMSTANDBY_DB_HOST",
    "WARMSTANDBY_DB_SECRET_ARN",
    "WARMSTANDBY_REGION",
    "WARMSTANDBY_ROLE",
];
/// Where the block also writes the variables, for services (`EnvironmentFile=`).
pub const ENV_FILE: &str = "/etc/warmstandby/env";

/// The values of one tier in one region. The web tier gets no database
/// variables: it never talks to the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub api_url: String,
    pub web_url: String,
    pub db: Option<(String, String)>,
    pub region: String,
    /// `active` or `standby`, when the instance was launched.
    pub role: &'static str,
}

impl Environment {
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![("WARMSTANDBY_API_URL", self.api_url.as_str()), ("WARMSTANDBY_WEB_URL", &self.web_url)];
        if let Some((host, arn)) = &self.db {
            pairs.push(("WARMSTANDBY_DB_HOST", host));
            pairs.push(("WARMSTANDBY_DB_SECRET_ARN", arn));
        }
        pairs.push(("WARMSTANDBY_REGION", &self.region));
        pairs.push(("WARMSTANDBY_ROLE", self.role));
        pairs
    }

    /// The user data: the user's script with the block right after its
    /// `#!` line (a `#!/bin/sh` script of its own without one).
    pub fn user_data(&self, user: Option<&str>) -> String {
        let lines: Vec<String> = self.pairs().iter().map(|(k, v)| format!("{k}='{v}'")).collect();
        let block = format!(
            "{BLOCK_START}\
             mkdir -p {dir}\n\
             cat > {ENV_FILE} <<'WARMSTANDBY_ENV'\n{vars}\nWARMSTANDBY_ENV\n\
             set -a; . {ENV_FILE}; set +a\n\
             {BLOCK_END}",
            dir = ENV_FILE.rsplit_once('/').map(|(d, _)| d).unwrap_or("/etc"),
            vars = lines.join("\n"),
        );
        match user {
            Some(script) => match script.split_once('\n') {
                Some((shebang, rest)) => format!("{shebang}\n{block}{rest}"),
                None => format!("{script}\n{block}"),
            },
            None => format!("#!/bin/sh\n{block}"),
        }
    }
}

/// The user's part of a launch template's user data (base64): what is the
/// same in both regions. `None` when it is not text.
pub fn user_part(user_data_base64: &str) -> Option<String> {
    let text = String::from_utf8(crate::base64::decode(user_data_base64)?).ok()?;
    let Some((before, rest)) = text.split_once(BLOCK_START) else { return Some(text) };
    let after = rest.split_once(BLOCK_END).map(|(_, a)| a).unwrap_or_default();
    Some(format!("{before}{}", after.trim_start_matches('\n')))
}

const BLOCK_START: &str = "# --- warmstandby environment (written by the operator) ---\n";
const BLOCK_END: &str = "# --- end of the warmstandby environment ---\n";

/// The user's data must be a script (the block goes after its `#!` line)
/// and must not define the block's variables itself.
pub fn validate_user_data(errors: &mut ValidationErrors, path: &str, user_data: Option<&str>) {
    let Some(script) = user_data else { return };
    if !script.starts_with("#!") {
        errors.push(
            path.to_string(),
            "must be a script starting with #! (the operator's environment block goes right after that line)",
        );
    }
    for line in script.lines() {
        let line = line.trim_start().trim_start_matches("export ").trim_start();
        if let Some(name) = VARIABLES.iter().find(|v| line.starts_with(&format!("{v}="))) {
            errors.push(path.to_string(), format!("defines {name}, which the operator writes; remove it"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(db: bool) -> Environment {
        Environment {
            api_url: "https://api.example.com".into(),
            web_url: "https://www.example.com".into(),
            db: db.then(|| ("book.internal".into(), "arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf".into())),
            region: "us-east-1".into(),
            role: "active",
        }
    }

    #[test]
    fn the_block_follows_the_shebang_and_keeps_the_script() {
        let data = env(true).user_data(Some("#!/bin/bash\necho hi\n"));
        assert!(data.starts_with("#!/bin/bash\n# --- warmstandby environment"), "{data}");
        assert!(data.ends_with("# --- end of the warmstandby environment ---\necho hi\n"), "{data}");
        for v in VARIABLES {
            assert!(data.contains(&format!("{v}='")), "{v} missing");
        }
        let encoded = crate::base64::encode(data.as_bytes());
        assert_eq!(user_part(&encoded).unwrap(), "#!/bin/bash\necho hi\n", "the block is what differs by region");
        let web = env(false).user_data(None);
        assert!(web.starts_with("#!/bin/sh\n"));
        assert!(!web.contains("WARMSTANDBY_DB_"), "{web}");
    }

    #[test]
    fn user_data_defining_a_variable_or_not_a_script_is_refused() {
        let mut errors = ValidationErrors::default();
        validate_user_data(&mut errors, "spec.api.userData", Some("#!/bin/sh\nexport WARMSTANDBY_DB_HOST=x\n"));
        validate_user_data(&mut errors, "spec.web.userData", Some("#cloud-config\n"));
        validate_user_data(&mut errors, "spec.web.userData", Some("#!/bin/sh\nMY_WARMSTANDBY_ROLE=1\n"));
        let text = errors.to_message();
        assert!(text.contains("spec.api.userData: defines WARMSTANDBY_DB_HOST"), "{text}");
        assert!(text.contains("spec.web.userData: must be a script"), "{text}");
        assert_eq!(errors.0.len(), 2, "{text}");
    }
}
