//! Finding a cluster's client endpoints in DNS SRV records, as the Go client's `SRVDiscover` does.

use std::fmt;
use std::net::SocketAddr;

use etcd_core::BoxError;
use hickory_resolver::config::{NameServerConfig, NameServerConfigGroup, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{Name, TokioResolver};

/// Looks up the client endpoints of the etcd cluster of `domain` with the system's DNS configuration; see
/// [`SrvDiscovery::discover`].
///
/// # Errors
/// As [`SrvDiscovery::system`] and [`SrvDiscovery::discover`].
///
/// # Examples
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let endpoints = etcd_members::discover_srv("example.com", None).await?;
/// let client = etcd_transport::Client::builder(endpoints).build()?;
/// # Ok(()) }
/// ```
pub async fn discover_srv(domain: &str, service_name: Option<&str>) -> Result<Vec<String>, DiscoveryError> {
    SrvDiscovery::system()?.discover(domain, service_name).await
}

/// Looks up a cluster's client endpoints in DNS SRV records through a resolver of its own (hickory-resolver):
/// the system's, or name servers you name.
#[derive(Clone)]
pub struct SrvDiscovery {
    resolver: TokioResolver,
}

impl SrvDiscovery {
    /// A discovery through the system's DNS configuration (`/etc/resolv.conf` on Unix).
    ///
    /// # Errors
    /// [`DiscoveryError::SystemConfig`] when the configuration cannot be read.
    pub fn system() -> Result<Self, DiscoveryError> {
        let builder = TokioResolver::builder_tokio().map_err(|e| DiscoveryError::SystemConfig(e.into()))?;
        Ok(SrvDiscovery { resolver: builder.build() })
    }

    /// A discovery asking these name servers (over UDP, and TCP for long answers), and no other: a DNS server of
    /// your own, or a test's.
    pub fn with_name_servers(name_servers: &[SocketAddr]) -> Self {
        let configs: Vec<NameServerConfig> = name_servers
            .iter()
            .flat_map(|&address| {
                [Protocol::Udp, Protocol::Tcp].map(|protocol| NameServerConfig::new(address, protocol))
            })
            .collect();
        let config = ResolverConfig::from_parts(None, Vec::new(), NameServerConfigGroup::from(configs));
        let builder = TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        SrvDiscovery { resolver: builder.build() }
    }

    /// The client endpoints of the etcd cluster of `domain`: `https://` for the targets of
    /// `_etcd-client-ssl._tcp.<domain>`, then `http://` for those of `_etcd-client._tcp.<domain>` (with a
    /// service name, `_etcd-client-ssl-<name>._tcp.<domain>` and `_etcd-client-<name>._tcp.<domain>`), each
    /// set by priority then weight, as the Go client builds them. Either record set may be missing.
    ///
    /// # Errors
    /// [`DiscoveryError::InvalidName`] for a domain or service name DNS cannot carry;
    /// [`DiscoveryError::NotFound`] when neither record set gives an endpoint.
    pub async fn discover(&self, domain: &str, service_name: Option<&str>) -> Result<Vec<String>, DiscoveryError> {
        let mut endpoints = Vec::new();
        let mut failures = Vec::new();
        for (scheme, service) in [("https", "etcd-client-ssl"), ("http", "etcd-client")] {
            let service = match service_name {
                Some(name) => format!("_{service}-{name}"),
                None => format!("_{service}"),
            };
            let text = format!("{service}._tcp.{}.", domain.trim_end_matches('.'));
            let name = Name::from_ascii(&text)
                .map_err(|e| DiscoveryError::InvalidName { name: text.clone(), source: e.into() })?;
            match self.resolver.srv_lookup(name).await {
                Ok(lookup) => {
                    let mut records: Vec<_> = lookup.iter().cloned().collect();
                    records.sort_by_key(|srv| (srv.priority(), std::cmp::Reverse(srv.weight())));
                    if records.is_empty() {
                        failures.push((text, "no SRV record".into()));
                    }
                    endpoints.extend(records.iter().map(|srv| {
                        let target = srv.target().to_ascii();
                        format!("{scheme}://{}:{}", target.trim_end_matches('.'), srv.port())
                    }));
                }
                Err(error) => failures.push((text, error.into())),
            }
        }
        if endpoints.is_empty() {
            return Err(DiscoveryError::NotFound { lookups: failures });
        }
        Ok(endpoints)
    }
}

impl fmt::Debug for SrvDiscovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SrvDiscovery").field("name_servers", &self.resolver.config().name_servers()).finish()
    }
}

/// Why SRV discovery found no endpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The system's DNS configuration could not be read.
    #[error("cannot read the system's DNS configuration")]
    SystemConfig(#[source] BoxError),
    /// The domain or service name makes a name DNS cannot carry.
    #[error("{name:?} is not a DNS name")]
    InvalidName {
        /// The SRV name built from the domain and service name.
        name: String,
        /// What is wrong with it.
        #[source]
        source: BoxError,
    },
    /// Neither SRV name gave an endpoint: each name looked up with its failure.
    #[error("no etcd client SRV records: {}", lookups.iter().map(|(name, e)| format!("{name}: {e}")).collect::<Vec<_>>().join("; "))]
    NotFound {
        /// Each SRV name looked up, with why it gave nothing.
        lookups: Vec<(String, BoxError)>,
    },
}
