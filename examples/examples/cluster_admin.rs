//! A cluster at a glance, as an operator wants it: each member (ID, name, peer and client URLs), which one leads,
//! the health of each member and of the cluster, and the v2 store's operation counts.
//!
//! `ETCD_ENDPOINTS=http://127.0.0.1:2379 cargo run -p examples --example cluster_admin` (`cargo xtask etcd start
//! --members 3` starts a local cluster to look at). Credentials and TLS from `ETCD_USERNAME`, `ETCD_PASSWORD`,
//! `ETCD_CA_FILE`, `ETCD_CERT_FILE`, `ETCD_KEY_FILE` (see the `examples` crate); once auth is enabled, only root
//! may list the members.

use std::process::ExitCode;

use etcd_members::{Error, Health, MembersApi, StatusApi};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error.report());
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let client = examples::for_api(examples::config_from_env()?.build()?);
    let members = MembersApi::new(client.clone());
    let status = StatusApi::new(client);

    let listed = members.list().await?;
    println!("{} members:", listed.len());
    for member in &listed {
        let name = if member.is_started() { member.name.as_str() } else { "(not started)" };
        println!("  {} {name}", member.id);
        println!("    peer URLs:   {}", member.peer_urls.join(", "));
        println!("    client URLs: {}", member.client_urls.join(", "));
    }

    match members.leader().await {
        Ok(leader) => println!("leader: {} ({})", leader.name, leader.id),
        Err(error) => println!("leader: none known ({})", error.report()),
    }

    let health = status.health().await?;
    println!("health:");
    for member in &health.members {
        let said = match &member.health {
            Health::Healthy { endpoint } => format!("healthy (asked at {endpoint})"),
            Health::Unhealthy { endpoint, reason } => {
                format!("unhealthy: {} (asked at {endpoint})", reason.as_deref().unwrap_or("no reason given"))
            }
            Health::Unreachable { error: Some(error) } => format!("unreachable: {error}"),
            Health::Unreachable { error: None } => "unreachable: no client URL to ask".to_owned(),
            other => format!("{other:?}"),
        };
        println!("  {} {}: {said}", member.member.id, member.member.name);
    }
    let verdict = if health.is_healthy() { "healthy" } else { "unhealthy" };
    println!("cluster: {verdict} ({} of {} members healthy)", health.healthy().count(), health.members.len());

    let store = status.store_stats().await?;
    println!("store statistics (of the member that answered):");
    println!("  gets:    {} succeeded, {} failed", store.gets_success, store.gets_fail);
    println!("  sets:    {} succeeded, {} failed", store.sets_success, store.sets_fail);
    println!("  creates: {} succeeded, {} failed", store.create_success, store.create_fail);
    println!("  updates: {} succeeded, {} failed", store.update_success, store.update_fail);
    println!("  deletes: {} succeeded, {} failed", store.delete_success, store.delete_fail);
    println!(
        "  compare-and-swaps: {} succeeded, {} failed; compare-and-deletes: {} succeeded, {} failed",
        store.compare_and_swap_success,
        store.compare_and_swap_fail,
        store.compare_and_delete_success,
        store.compare_and_delete_fail
    );
    println!("  expired: {}; watchers: {}", store.expire_count, store.watchers);
    Ok(())
}
