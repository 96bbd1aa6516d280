//! Election against a real three-member cluster: candidates lead in turn, observers see each leader, and a
//! leader whose key goes learns it lost.

mod common;

include!("suites/election.rs");
