//! A guard on the cluster an answer comes from: each attempt's answer must carry the expected
//! `X-Etcd-Cluster-Id`.
//!
//! A client given endpoints of the wrong cluster, or following a member that has since been moved to another
//! cluster, would otherwise read and write another cluster's keys without a word. With
//! [`Config::expect_cluster_id`](crate::Config::expect_cluster_id), an answer naming another cluster fails the
//! attempt with [`ForeignClusterAnswer`]; the failover layer records it as
//! [`AttemptFailure::ForeignCluster`](etcd_core::AttemptFailure::ForeignCluster) and tries the next endpoint,
//! whatever the request: the request was not applied by the expected cluster.
//!
//! The check happens on the answer, so the request did reach the other cluster, which may have applied it.
//! etcd sends the header with keys and members answers; answers without it (`/version`, `/health`,
//! `/v2/stats/...`, a 404 outside the v2 API) pass unchecked.

mod future;
mod layer;
mod service;

use std::fmt;

use etcd_core::{InvalidRequest, InvalidRequestKind};

pub use future::ResponseFuture;
pub use layer::ClusterIdCheckLayer;
pub use service::ClusterIdCheck;

/// A cluster ID: 64 bits that etcd writes in hexadecimal, without leading zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClusterId(u64);

impl ClusterId {
    /// Parses etcd's spelling (`"cdf818194e3a8c32"`; upper case and leading zeros are accepted).
    ///
    /// # Errors
    /// [`InvalidRequest`] of kind `Config` when `text` is not 1 to 16 hexadecimal digits.
    ///
    /// # Examples
    /// ```
    /// use etcd_transport::cluster_id::ClusterId;
    /// assert_eq!(ClusterId::parse("00CDF818194E3A8C32").unwrap().to_string(), "cdf818194e3a8c32");
    /// assert!(ClusterId::parse("cluster-1").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ClusterId, InvalidRequest> {
        let digits = text.trim().trim_start_matches('0');
        let digits = if digits.is_empty() && !text.trim().is_empty() { "0" } else { digits };
        let valid = !digits.is_empty() && digits.len() <= 16 && digits.bytes().all(|b| b.is_ascii_hexdigit());
        match valid.then(|| u64::from_str_radix(digits, 16)) {
            Some(Ok(id)) => Ok(ClusterId(id)),
            _ => Err(InvalidRequest::new(
                InvalidRequestKind::Config,
                format!("{text:?} is not a cluster ID (etcd writes them as up to 16 hexadecimal digits)"),
            )),
        }
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

/// How much of a foreign cluster ID an error keeps.
const MAX_ANSWERED: usize = 64;

/// An attempt was answered by a member of another cluster than the expected one (its `X-Etcd-Cluster-Id`).
/// The request was not applied by the expected cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignClusterAnswer {
    expected: ClusterId,
    answered: String,
}

impl ForeignClusterAnswer {
    pub(crate) fn new(expected: ClusterId, answered: impl Into<String>) -> Self {
        let mut answered = answered.into();
        // A cluster ID is 16 hexadecimal digits: a server's header of kilobytes is cut, not repeated in full in
        // every error that names it.
        if answered.len() > MAX_ANSWERED {
            let end = (0..=MAX_ANSWERED).rev().find(|&end| answered.is_char_boundary(end)).unwrap_or(0);
            answered.truncate(end);
            answered.push('…');
        }
        ForeignClusterAnswer { expected, answered }
    }

    /// The cluster the client expects.
    pub fn expected(&self) -> ClusterId {
        self.expected
    }

    /// The cluster ID the answer carried, as sent.
    pub fn answered(&self) -> &str {
        &self.answered
    }
}

impl fmt::Display for ForeignClusterAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "answered for cluster {}, not the expected cluster {}", self.answered, self.expected)
    }
}

impl std::error::Error for ForeignClusterAnswer {}

impl From<ForeignClusterAnswer> for etcd_core::AttemptFailure {
    fn from(foreign: ForeignClusterAnswer) -> Self {
        etcd_core::AttemptFailure::ForeignCluster { expected: foreign.expected.to_string(), answered: foreign.answered }
    }
}

#[cfg(test)]
mod tests {
    use http::{Request, Response};
    use tower::{Layer, ServiceExt, service_fn};

    use super::*;
    use crate::{Body, RequestBody};

    #[test]
    fn a_huge_foreign_cluster_id_is_cut_in_the_error() {
        let error = ForeignClusterAnswer::new(ClusterId(1), "é".repeat(10_000));
        assert!(error.answered().len() <= MAX_ANSWERED + '…'.len_utf8(), "{}", error.answered().len());
        assert!(error.to_string().len() < 200, "{error}");
        assert_eq!(ForeignClusterAnswer::new(ClusterId(1), "cdf818194e3a8c32").answered(), "cdf818194e3a8c32");
    }

    async fn answer(check: ClusterIdCheckLayer, header: Option<&'static str>) -> Result<(), etcd_core::BoxError> {
        let service = check.layer(service_fn(move |_: Request<RequestBody>| async move {
            let mut response = Response::builder();
            if let Some(id) = header {
                response = response.header("x-etcd-cluster-id", id);
            }
            Ok::<_, std::convert::Infallible>(response.body(Body::empty()).unwrap())
        }));
        service.oneshot(Request::new(RequestBody::empty())).await.map(drop)
    }

    #[tokio::test]
    async fn answers_of_the_expected_cluster_or_without_the_header_pass_and_others_fail() {
        let check = ClusterIdCheckLayer::new(ClusterId::parse("cdf818194e3a8c32").unwrap());
        answer(check, Some("cdf818194e3a8c32")).await.unwrap();
        answer(check, Some("CDF818194E3A8C32")).await.unwrap();
        answer(check, None).await.unwrap();
        let error = answer(check, Some("a3f1baf6fd4834be")).await.unwrap_err();
        let foreign = error.downcast_ref::<ForeignClusterAnswer>().expect("a foreign cluster's answer");
        assert_eq!(
            (foreign.expected().to_string().as_str(), foreign.answered()),
            ("cdf818194e3a8c32", "a3f1baf6fd4834be")
        );
        assert!(answer(check, Some("not hex")).await.is_err(), "a header that is no ID is no proof of the cluster");
    }

    #[tokio::test]
    async fn a_foreign_answer_sends_even_a_non_idempotent_write_to_the_next_endpoint() {
        use crate::{Client, Idempotency};
        let transport = service_fn(|request: Request<RequestBody>| async move {
            let cluster = if request.uri().port_u16() == Some(1) { "bbbb" } else { "aaaa" };
            let response = Response::builder().header("x-etcd-cluster-id", cluster).body(Body::from("{}")).unwrap();
            Ok::<_, std::convert::Infallible>(response)
        });
        let client = |expected: &str| {
            Client::builder(["http://foreign:1", "http://ours:2"])
                .shuffle_endpoints(false)
                .expect_cluster_id(expected)
                .transport(transport)
                .build()
                .unwrap()
        };
        let create = || {
            let mut request = Request::post("/v2/keys/queue").body(RequestBody::from("value=job")).unwrap();
            request.extensions_mut().insert(Idempotency::NonIdempotentWrite);
            request
        };
        let ours = client("aaaa");
        let response = ours.send(create()).await.unwrap();
        assert_eq!(response.extensions().get::<crate::Endpoint>().unwrap().as_str(), "http://ours:2");
        assert_eq!(ours.endpoints().unwrap().pinned().as_str(), "http://ours:2", "the foreign endpoint is not pinned");

        let error = client("cccc").send(create()).await.unwrap_err();
        let cluster = error.as_cluster().unwrap_or_else(|| panic!("not a cluster error: {error}"));
        assert!(
            cluster.errors().iter().all(|e| matches!(e.failure(), etcd_core::AttemptFailure::ForeignCluster { .. }))
        );
        assert!(
            error.to_string().contains("http://foreign:1: answered for cluster bbbb, not the expected cluster cccc"),
            "{error}"
        );

        let error = Client::builder(["http://ours:2"]).expect_cluster_id("cluster-1").build().unwrap_err();
        assert!(error.is_invalid_request() && error.to_string().contains("cluster-1"), "{error}");
    }

    #[test]
    fn ids_parse_as_etcd_writes_them() {
        assert_eq!(ClusterId::parse("0").unwrap(), ClusterId(0));
        assert_eq!(ClusterId::parse(" a3f1baf6fd4834be ").unwrap(), ClusterId(0xa3f1_baf6_fd48_34be));
        for bad in ["", "  ", "g1", "0x12", "11112222333344445"] {
            let error = ClusterId::parse(bad).unwrap_err();
            assert_eq!(error.kind(), InvalidRequestKind::Config, "{bad:?}");
        }
    }
}
