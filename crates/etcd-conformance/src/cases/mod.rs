//! The suite's cases, by topic, in the groups that each start on a fresh server.
//!
//! Every case works under a directory of its own (`/get/...`, `/cas/...`) so cases of a group do not see each
//! other's keys; a listing with more than one child asks for `sorted=true`, since etcd lists a directory in Go map
//! order otherwise.

mod auth;
mod cluster;
mod delete;
mod errors;
mod get;
mod history;
mod server;
mod set;
mod ttl;
mod watch;

use crate::suite::Group;

/// Every group of the suite, in the order the tests run them.
pub fn groups() -> Vec<Group> {
    vec![
        Group {
            name: "keys",
            members: 1,
            cases: [get::cases(), set::cases(), delete::cases(), errors::cases(), watch::cases(), server::cases()]
                .concat(),
        },
        Group { name: "ttl", members: 1, cases: ttl::cases() },
        Group { name: "history", members: 1, cases: history::cases() },
        Group { name: "auth", members: 1, cases: auth::cases() },
        Group { name: "member changes", members: 1, cases: server::refused_member_changes() },
        Group { name: "root", members: 1, cases: get::root() },
        Group { name: "cluster", members: 3, cases: cluster::cases() },
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn case_names_are_unique_and_every_collect_has_a_start() {
        let mut names = HashSet::new();
        for group in super::groups() {
            for case in group.cases {
                assert!(names.insert(case.name.clone()), "two cases named {:?}", case.name);
                let mut started = HashSet::new();
                for step in &case.steps {
                    match step {
                        crate::Step::StartWait { name, .. } | crate::Step::StartStream { name, .. } => {
                            started.insert(name.clone());
                        }
                        crate::Step::Collect(name) => {
                            assert!(started.remove(name), "{}: {name} not started", case.name)
                        }
                        _ => {}
                    }
                }
                assert!(started.is_empty(), "{}: started and never collected: {started:?}", case.name);
            }
        }
    }
}
