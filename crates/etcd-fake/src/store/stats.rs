//! The store's counters, as `/v2/stats/store` reports them.

use etcd_v2_server::Action;
use serde::Serialize;

/// etcd's `Stats`, fields in etcd's order.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Stats {
    gets_success: u64,
    gets_fail: u64,
    sets_success: u64,
    sets_fail: u64,
    delete_success: u64,
    delete_fail: u64,
    update_success: u64,
    update_fail: u64,
    create_success: u64,
    create_fail: u64,
    compare_and_swap_success: u64,
    compare_and_swap_fail: u64,
    compare_and_delete_success: u64,
    compare_and_delete_fail: u64,
    pub(crate) expire_count: u64,
    pub(crate) watchers: u64,
}

impl Stats {
    pub(crate) fn count(&mut self, action: Action, ok: bool) {
        let (success, fail) = match action {
            Action::Get => (&mut self.gets_success, &mut self.gets_fail),
            Action::Set => (&mut self.sets_success, &mut self.sets_fail),
            Action::Delete => (&mut self.delete_success, &mut self.delete_fail),
            Action::Update => (&mut self.update_success, &mut self.update_fail),
            Action::Create => (&mut self.create_success, &mut self.create_fail),
            Action::CompareAndSwap => (&mut self.compare_and_swap_success, &mut self.compare_and_swap_fail),
            Action::CompareAndDelete => (&mut self.compare_and_delete_success, &mut self.compare_and_delete_fail),
            Action::Expire => return,
        };
        *if ok { success } else { fail } += 1;
    }
}
