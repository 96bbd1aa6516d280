//! A member of the simulated cluster and the faults a test turns on and off.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::StatusCode;
use tokio::sync::watch;

use crate::fake::Shared;

/// The faults a member has now.
#[derive(Clone, Debug, Default)]
pub(crate) struct Faults {
    pub(crate) down: bool,
    pub(crate) slow: Option<Duration>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) cut_body: bool,
    pub(crate) partitioned: bool,
}

/// One member's identity and state.
pub(crate) struct MemberState {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) peer_url: String,
    pub(crate) client_url: Mutex<String>,
    pub(crate) faults: Mutex<Faults>,
    /// `true` while frozen; requests and watch streams wait for `false`.
    pub(crate) frozen: watch::Sender<bool>,
    /// Counts the times the member went down: open watch streams end when it moves.
    pub(crate) downs: watch::Sender<u64>,
}

impl MemberState {
    pub(crate) fn new(id: u64, name: String, client_url: String, peer_url: String) -> MemberState {
        MemberState {
            id,
            name,
            peer_url,
            client_url: Mutex::new(client_url),
            faults: Mutex::new(Faults::default()),
            frozen: watch::Sender::new(false),
            downs: watch::Sender::new(0),
        }
    }

    /// Refuses connections from now on, and fails the open streams.
    pub(crate) fn go_down(&self) {
        self.faults().down = true;
        self.downs.send_modify(|downs| *downs += 1);
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn client_url(&self) -> String {
        self.client_url.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// A handle on one member of a [`FakeEtcd`](crate::FakeEtcd): its faults, turned on and off by a test.
///
/// Faults act on requests routed to this member (by the endpoint in the request's URI). Several can be on at
/// once; [`heal`](Member::heal) turns all off.
#[derive(Clone)]
pub struct Member {
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
}

impl Member {
    fn state(&self) -> &MemberState {
        &self.shared.members[self.index]
    }

    /// The member's ID, as `/v2/members` writes it (lowercase hex).
    pub fn id(&self) -> String {
        etcd_v2_server::format_id(self.state().id)
    }

    /// The member's name.
    pub fn name(&self) -> &str {
        &self.state().name
    }

    /// The member's client URL: the endpoint a client sends to.
    pub fn endpoint(&self) -> String {
        self.state().client_url()
    }

    /// Down: every request fails to connect (a `ConnectError`, as a refused connection), so the client may send
    /// it to another member whatever it is; open watch streams fail, as their connections would.
    pub fn down(&self) -> &Self {
        self.state().go_down();
        self
    }

    /// Up again after [`down`](Member::down).
    pub fn up(&self) -> &Self {
        self.state().faults().down = false;
        self
    }

    /// Frozen (as a process stopped with SIGSTOP): requests get no answer and watch streams stop; on
    /// [`thaw`](Member::thaw), the requests that arrived meanwhile apply (even those the client gave up on) and
    /// the streams resume.
    pub fn freeze(&self) -> &Self {
        self.state().frozen.send_replace(true);
        self
    }

    /// Resumes a frozen member.
    pub fn thaw(&self) -> &Self {
        self.state().frozen.send_replace(false);
        self
    }

    /// Every answer waits `delay` first (on tokio's clock).
    pub fn slow(&self, delay: Duration) -> &Self {
        self.state().faults().slow = Some(delay);
        self
    }

    /// Every request is answered with `status` (a 5xx, say) and a plain-text body, as a failing proxy would;
    /// nothing is applied.
    pub fn fail_with(&self, status: StatusCode) -> &Self {
        self.state().faults().status = Some(status);
        self
    }

    /// Every answer's body is cut: half of it arrives, then the connection fails. The request is applied.
    pub fn cut_body(&self) -> &Self {
        self.state().faults().cut_body = true;
        self
    }

    /// Cut off from the quorum: writes and quorum reads fail here with etcd's timeout (`errorCode` 300), plain
    /// reads and watches are still served, `/health` is false and there is no leader from here.
    pub fn partition(&self) -> &Self {
        self.state().faults().partitioned = true;
        self
    }

    /// Turns every fault off (and thaws).
    pub fn heal(&self) -> &Self {
        *self.state().faults() = Faults::default();
        self.thaw()
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member").field("name", &self.name()).field("endpoint", &self.endpoint()).finish()
    }
}
