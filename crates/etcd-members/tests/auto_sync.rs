//! Auto-sync against a real three-member cluster whose members advertise client URLs nobody can reach (closed
//! ports on loopback) while they serve on others, as behind a tunnel or a proxy: the client picks up what they
//! advertise and keeps working through its seeds. Skips loudly without etcd; fails with `ETCD_REQUIRED=1`.

mod common;

include!("suites/auto_sync.rs");
