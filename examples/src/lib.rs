//! Runnable examples of the etcd v2 client; each file under `examples/` is one program:
//! `cargo run -p examples --example quickstart`.
//!
//! Every example that talks to etcd builds its client from the environment with [`config_from_env`]:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `ETCD_ENDPOINTS` | comma-separated endpoints, default `http://127.0.0.1:2379` |
//! | `ETCD_CA_FILE` | PEM bundle of the CAs to trust for `https://` endpoints, instead of the system's roots |
//! | `ETCD_CERT_FILE`, `ETCD_KEY_FILE` | PEM client certificate and key, for members run with `--client-cert-auth` |
//! | `ETCD_USERNAME`, `ETCD_PASSWORD` | credentials for etcd's auth (basic auth on every request) |
//!
//! `cargo xtask quickstart` starts a local etcd and runs the quickstart against it.

use etcd_keys::{Client, Config, Error, InvalidRequest, InvalidRequestKind};
use etcd_transport::TlsConfig;

/// The endpoints used when `ETCD_ENDPOINTS` is unset.
pub const DEFAULT_ENDPOINTS: &str = "http://127.0.0.1:2379";

/// A client configuration from the environment (see the [crate docs](crate)); add your own settings to it and
/// build.
///
/// # Errors
/// [`Error::InvalidRequest`] naming the variable, when one of a pair is set without the other
/// (`ETCD_CERT_FILE` and `ETCD_KEY_FILE`, `ETCD_USERNAME` and `ETCD_PASSWORD`). Unreadable files and bad
/// endpoints are reported when the configuration is built.
pub fn config_from_env() -> Result<Config, Error> {
    config_from(|name| std::env::var(name).ok())
}

/// [`config_from_env`], built.
///
/// # Errors
/// As [`config_from_env`], and [`Config::build`]'s errors (a bad endpoint, an unreadable certificate file).
pub fn client_from_env() -> Result<Client, Error> {
    config_from_env()?.build()
}

/// [`config_from_env`] over any source of variables; an empty variable counts as unset.
fn config_from(var: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
    let var = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let endpoints = var("ETCD_ENDPOINTS").unwrap_or_else(|| DEFAULT_ENDPOINTS.to_owned());
    let mut config = Client::builder(endpoints.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned));

    let ca = var("ETCD_CA_FILE");
    let identity = pair(var("ETCD_CERT_FILE"), var("ETCD_KEY_FILE"), "ETCD_CERT_FILE", "ETCD_KEY_FILE")?;
    if ca.is_some() || identity.is_some() {
        let mut tls = TlsConfig::new();
        if let Some(ca) = ca {
            tls = tls.ca_pem_file(ca);
        }
        if let Some((cert, key)) = identity {
            tls = tls.client_identity_pem_files(cert, key);
        }
        config = config.tls(tls);
    }
    if let Some((username, password)) =
        pair(var("ETCD_USERNAME"), var("ETCD_PASSWORD"), "ETCD_USERNAME", "ETCD_PASSWORD")?
    {
        config = config.basic_auth(username, password);
    }
    Ok(config)
}

/// Both values or neither.
fn pair(a: Option<String>, b: Option<String>, a_name: &str, b_name: &str) -> Result<Option<(String, String)>, Error> {
    let missing = |set: &str, unset: &str| {
        InvalidRequest::new(InvalidRequestKind::Config, format!("{set} is set but {unset} is not; set both or neither"))
    };
    match (a, b) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(missing(a_name, b_name).into()),
        (None, Some(_)) => Err(missing(b_name, a_name).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        config_from(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults_and_endpoint_lists() {
        let debug = format!("{:?}", config(&[]).unwrap());
        assert!(debug.contains(DEFAULT_ENDPOINTS) && debug.contains("credentials: None"), "{debug}");
        let debug = format!("{:?}", config(&[("ETCD_ENDPOINTS", " http://a:1, http://b:2 ,")]).unwrap());
        assert!(debug.contains(r#"["http://a:1", "http://b:2"]"#), "{debug}");
    }

    #[test]
    fn credentials_come_in_pairs_and_the_password_is_not_shown() {
        let debug = format!("{:?}", config(&[("ETCD_USERNAME", "root"), ("ETCD_PASSWORD", "s3cret")]).unwrap());
        assert!(debug.contains("root") && !debug.contains("s3cret"), "{debug}");
        for vars in [
            &[("ETCD_USERNAME", "root")][..],
            &[("ETCD_PASSWORD", "s3cret")],
            &[("ETCD_CERT_FILE", "c.pem")],
            &[("ETCD_KEY_FILE", "k.pem"), ("ETCD_CERT_FILE", "")],
        ] {
            let err = config(vars).unwrap_err();
            assert!(err.is_invalid_request() && err.to_string().contains("set both or neither"), "{err}");
        }
    }

    #[test]
    fn tls_files_are_read_when_the_client_is_built() {
        let vars = [
            ("ETCD_ENDPOINTS", "https://127.0.0.1:2379"),
            ("ETCD_CA_FILE", "/nonexistent/ca.pem"),
            ("ETCD_CERT_FILE", "/nonexistent/client.pem"),
            ("ETCD_KEY_FILE", "/nonexistent/client-key.pem"),
        ];
        let err = config(&vars).unwrap().build().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
