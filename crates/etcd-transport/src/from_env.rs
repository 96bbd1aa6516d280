//! A client configuration from the environment, with etcdctl's names as fallbacks.

use etcd_core::{Error, InvalidRequest, InvalidRequestKind};

use crate::Config;

/// The endpoints when no variable names any: a local member on etcd's client port.
pub const DEFAULT_ENDPOINTS: &str = "http://127.0.0.1:2379";

impl Config {
    /// A configuration from the process's environment, so that a program is pointed at a cluster the way
    /// `etcdctl` is; add your own settings to it and [`build`](Config::build).
    ///
    /// | variable | fallback (etcdctl v2) | meaning |
    /// | --- | --- | --- |
    /// | `ETCD_ENDPOINTS` | `ETCDCTL_ENDPOINTS`, `ETCDCTL_PEERS` | comma-separated endpoints; default `http://127.0.0.1:2379` |
    /// | `ETCD_CA_FILE` | `ETCDCTL_CA_FILE` | PEM bundle of the CAs to trust for `https://`, instead of the system's roots |
    /// | `ETCD_CERT_FILE` | `ETCDCTL_CERT_FILE` | PEM client certificate, for members run with `--client-cert-auth` |
    /// | `ETCD_KEY_FILE` | `ETCDCTL_KEY_FILE` | its PEM private key |
    /// | `ETCD_USERNAME` | `ETCDCTL_USERNAME` | user for etcd's auth; etcdctl's `user:password` form is understood |
    /// | `ETCD_PASSWORD` | | its password |
    ///
    /// Each `ETCD_*` variable wins over its fallbacks; an empty variable counts as unset. The TLS variables need
    /// the `tls` feature. Files are read, and endpoints checked, when the configuration is built.
    ///
    /// # Examples
    /// ```no_run
    /// # fn run() -> Result<(), etcd_core::Error> {
    /// use std::time::Duration;
    /// // ETCD_ENDPOINTS=https://10.0.0.1:2379,https://10.0.0.2:2379 ETCD_CA_FILE=ca.pem ./my-program
    /// let client = etcd_transport::Config::from_env()?.call_timeout(Duration::from_secs(5)).build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the variables, when one of a pair is set without the other (a
    /// certificate without its key, a user without a password), or TLS files are named in a build without the
    /// `tls` feature.
    pub fn from_env() -> Result<Config, Error> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any source of variables: `lookup` gives a variable's value by name (a map of
    /// your own, a test's table, names with a prefix of yours).
    ///
    /// # Examples
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([("ETCDCTL_ENDPOINTS", "http://10.0.0.1:2379,http://10.0.0.2:2379")]);
    /// let config = etcd_transport::Config::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap();
    /// assert!(format!("{config:?}").contains("http://10.0.0.2:2379"));
    /// ```
    ///
    /// # Errors
    /// As [`Config::from_env`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let var = |names: &[&'static str]| {
            names.iter().find_map(|&name| lookup(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v)))
        };
        let endpoints = var(&["ETCD_ENDPOINTS", "ETCDCTL_ENDPOINTS", "ETCDCTL_PEERS"])
            .map_or_else(|| DEFAULT_ENDPOINTS.to_owned(), |(_, v)| v);
        let mut config = Config::new(endpoints.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned));

        let ca = var(&["ETCD_CA_FILE", "ETCDCTL_CA_FILE"]);
        let identity =
            pair(var(&["ETCD_CERT_FILE", "ETCDCTL_CERT_FILE"]), var(&["ETCD_KEY_FILE", "ETCDCTL_KEY_FILE"]))?;
        config = tls(config, ca, identity)?;

        // etcdctl's `--username user:password`; a password variable of ours wins over the one in the user's.
        let (user, password) = match var(&["ETCD_USERNAME", "ETCDCTL_USERNAME"]) {
            Some((name, value)) => match value.split_once(':') {
                Some((user, password)) if name == "ETCDCTL_USERNAME" => {
                    (Some((name, user.to_owned())), var(&["ETCD_PASSWORD"]).or(Some((name, password.to_owned()))))
                }
                _ => (Some((name, value)), var(&["ETCD_PASSWORD"])),
            },
            None => (None, var(&["ETCD_PASSWORD"])),
        };
        if let Some((username, password)) = pair(user, password)? {
            config = config.basic_auth(username, password);
        }
        Ok(config)
    }
}

/// The CA and client identity, when the `tls` feature can use them.
#[cfg(feature = "tls")]
fn tls(config: Config, ca: Option<(&str, String)>, identity: Option<(String, String)>) -> Result<Config, Error> {
    if ca.is_none() && identity.is_none() {
        return Ok(config);
    }
    let mut tls = crate::TlsConfig::new();
    if let Some((_, ca)) = ca {
        tls = tls.ca_pem_file(ca);
    }
    if let Some((cert, key)) = identity {
        tls = tls.client_identity_pem_files(cert, key);
    }
    Ok(config.tls(tls))
}

#[cfg(not(feature = "tls"))]
fn tls(config: Config, ca: Option<(&str, String)>, identity: Option<(String, String)>) -> Result<Config, Error> {
    match (ca, identity) {
        (None, None) => Ok(config),
        (Some((name, _)), _) => Err(no_tls(name)),
        (None, Some(_)) => Err(no_tls("the client certificate variables")),
    }
}

#[cfg(not(feature = "tls"))]
fn no_tls(what: &str) -> Error {
    InvalidRequest::new(InvalidRequestKind::Config, format!("{what} is set, but this build has no TLS (feature `tls`)"))
        .into()
}

/// Both values or neither; the error names the variable that is set and the one missing.
fn pair(
    a: Option<(&'static str, String)>,
    b: Option<(&'static str, String)>,
) -> Result<Option<(String, String)>, Error> {
    match (a, b) {
        (Some((_, a)), Some((_, b))) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        (Some((set, _)), None) | (None, Some((set, _))) => {
            let reason = format!("{set} is set but not its pair (see Config::from_env); set both or neither");
            Err(InvalidRequest::new(InvalidRequestKind::Config, reason).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration from a table, never from the process's environment, which tests running in parallel
    /// would share.
    fn config(vars: &[(&str, &str)]) -> Result<Config, Error> {
        Config::from_lookup(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    fn debug(vars: &[(&str, &str)]) -> String {
        format!("{:?}", config(vars).unwrap())
    }

    #[test]
    fn endpoints_default_and_fall_back_to_etcdctls_names() {
        assert!(debug(&[]).contains(&format!("[{DEFAULT_ENDPOINTS:?}]")), "{}", debug(&[]));
        let listed = debug(&[("ETCD_ENDPOINTS", " http://a:1, http://b:2 ,")]);
        assert!(listed.contains(r#"["http://a:1", "http://b:2"]"#), "{listed}");
        let etcdctl = debug(&[("ETCDCTL_ENDPOINTS", "http://c:3"), ("ETCDCTL_PEERS", "http://d:4")]);
        assert!(etcdctl.contains(r#"["http://c:3"]"#), "{etcdctl}");
        let peers = debug(&[("ETCDCTL_PEERS", "http://d:4"), ("ETCD_ENDPOINTS", " ")]);
        assert!(peers.contains(r#"["http://d:4"]"#), "{peers}");
        let ours_win = debug(&[("ETCDCTL_ENDPOINTS", "http://c:3"), ("ETCD_ENDPOINTS", "http://a:1")]);
        assert!(ours_win.contains(r#"["http://a:1"]"#), "{ours_win}");
    }

    #[test]
    fn credentials_come_in_pairs_in_either_form_and_the_password_is_not_shown() {
        let ours = debug(&[("ETCD_USERNAME", "root"), ("ETCD_PASSWORD", "s3cret")]);
        assert!(ours.contains("root") && !ours.contains("s3cret"), "{ours}");
        let etcdctl = debug(&[("ETCDCTL_USERNAME", "admin:pa:ss")]);
        assert!(etcdctl.contains("admin") && !etcdctl.contains("pa:ss"), "{etcdctl}");
        assert!(!debug(&[("ETCDCTL_USERNAME", "admin:x")]).contains("admin:x"));
        let mixed = debug(&[("ETCDCTL_USERNAME", "admin"), ("ETCD_PASSWORD", "s3cret")]);
        assert!(mixed.contains("admin"), "{mixed}");
        for vars in [
            &[("ETCD_USERNAME", "root")][..],
            &[("ETCD_PASSWORD", "s3cret")],
            &[("ETCDCTL_USERNAME", "admin")],
            &[("ETCD_CERT_FILE", "c.pem")],
            &[("ETCDCTL_KEY_FILE", "k.pem"), ("ETCD_CERT_FILE", "")],
        ] {
            let err = config(vars).unwrap_err();
            assert!(err.is_invalid_request() && err.to_string().contains("set both or neither"), "{err}");
            assert!(err.to_string().contains(vars[0].0), "names the variable: {err}");
        }
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_files_are_read_when_the_client_is_built() {
        let vars = [
            ("ETCD_ENDPOINTS", "https://127.0.0.1:2379"),
            ("ETCDCTL_CA_FILE", "/nonexistent/ca.pem"),
            ("ETCD_CERT_FILE", "/nonexistent/client.pem"),
            ("ETCDCTL_KEY_FILE", "/nonexistent/client-key.pem"),
        ];
        let err = config(&vars).unwrap().build().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_files_without_tls_are_refused() {
        let err = config(&[("ETCD_CA_FILE", "ca.pem")]).unwrap_err();
        assert!(err.to_string().contains("feature `tls`"), "{err}");
    }
}
