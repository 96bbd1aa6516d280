//! The features reach the crates behind this one: each check names an item that exists only when the feature
//! reached the crate that defines it, so a broken propagation fails to compile.

#[cfg(feature = "tls")]
#[test]
fn tls_reaches_the_transport() {
    // `etcd_transport::tls` exists only with etcd-transport's own `tls` feature.
    let tls: etcd_v2::transport::tls::TlsConfig = etcd_v2::TlsConfig::new().ca_pem(b"not a certificate".to_vec());
    let error = etcd_v2::Client::builder(["https://127.0.0.1:2379"]).tls(tls).build().unwrap_err();
    assert!(error.is_invalid_request(), "{error}");
}

#[cfg(feature = "srv")]
#[test]
fn srv_reaches_the_members_crate() {
    let _discovery: etcd_v2::members::SrvDiscovery = etcd_v2::members::SrvDiscovery::with_name_servers(&[]);
}

/// The same `Error` whichever module names it, so that `?` across the APIs needs no conversion.
#[test]
fn the_crates_behind_share_their_types() {
    let error: etcd_v2::Error = etcd_v2::Client::builder(["not a url"]).build().unwrap_err();
    let as_members: etcd_v2::members::Error = error;
    let as_auth: etcd_v2::auth::Error = as_members;
    let as_transport: etcd_v2::transport::Error = as_auth;
    assert!(as_transport.is_invalid_request(), "{as_transport}");
}
