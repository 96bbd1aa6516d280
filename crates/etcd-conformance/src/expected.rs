//! Differences a comparison is known to find, each with its reason, checked both ways: a difference not in the
//! list fails, and so does an entry no difference matches any more (it was fixed: take it off the list). A
//! difference that comes only in some runs, for a reason given, may be tolerated instead ([`check_tolerating`]).

use std::fmt::Write;

use crate::suite::Summary;

/// A difference a comparison is expected to find: at an answer of a case, of a category.
#[derive(Clone, Copy, Debug)]
pub struct Expected {
    /// The case.
    pub case: &'static str,
    /// The answer's position in the case, from 0; `None`: any answer of the case (a feature not there at all).
    pub step: Option<usize>,
    /// The category as the summary prints it (`status`, `header X-Etcd-Index`, `value`, ...); empty: any (one
    /// cause that shows in status, headers and body alike).
    pub category: &'static str,
    /// Where in the body (`node.ttl`); empty for status and headers. Matched as a prefix, so `node` covers
    /// `node.ttl`.
    pub at: &'static str,
    /// Why the server differs, and whether it is a bug to fix or a choice.
    pub reason: &'static str,
}

impl Expected {
    fn matches(&self, difference: &crate::Difference) -> bool {
        difference.case == self.case
            && self.step.is_none_or(|step| difference.step.0 == step)
            && (self.category.is_empty() || difference.category.to_string() == self.category)
            && difference.at.starts_with(self.at)
    }
}

/// Checks `summary`'s differences against `expected`: `Err` lists the differences nobody expected and the
/// entries that matched none, so a test fails both when something breaks and when something was fixed.
pub fn check(summary: &Summary, expected: &[Expected]) -> Result<(), String> {
    check_tolerating(summary, expected, &[])
}

/// [`check`], with differences that come in some runs and not in others: one matching an entry of `tolerated`
/// passes, and such an entry need not match. For a server whose answer depends on timing it does not control
/// (which of two leases that expired together etcd revokes first), each entry saying why.
pub fn check_tolerating(summary: &Summary, expected: &[Expected], tolerated: &[Expected]) -> Result<(), String> {
    let mut report = String::new();
    for difference in &summary.differences {
        if !expected.iter().chain(tolerated).any(|e| e.matches(difference)) {
            let _ = writeln!(report, "  NEW {difference}");
        }
    }
    for entry in expected {
        if !summary.differences.iter().any(|d| entry.matches(d)) {
            let step = entry.step.map_or("(any)".to_owned(), |s| s.to_string());
            let _ = writeln!(
                report,
                "  GONE {} #{step} {:?} at {:?}: no longer differs; take it off the list ({})",
                entry.case, entry.category, entry.at, entry.reason
            );
        }
    }
    if report.is_empty() { Ok(()) } else { Err(report) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Category, Difference};

    fn difference(category: Category, at: &str) -> Difference {
        Difference {
            case: "c".into(),
            step: (2, "GET /v2/keys/a".into()),
            category,
            at: at.into(),
            left: "1".into(),
            right: "2".into(),
        }
    }

    #[test]
    fn new_and_vanished_differences_both_fail() {
        let entry = Expected { case: "c", step: Some(2), category: "value", at: "node", reason: "r" };
        let mut summary = Summary::new("a", "b");
        summary.differences.push(difference(Category::Value, "node.ttl"));
        assert!(check(&summary, &[entry]).is_ok());
        summary.differences.push(difference(Category::Status, ""));
        assert!(check(&summary, &[entry]).unwrap_err().contains("NEW c #2"));
        let whole_case = Expected { case: "c", step: None, category: "", at: "", reason: "r" };
        assert!(check(&summary, &[whole_case]).is_ok());
        summary.differences.clear();
        assert!(check(&summary, &[entry]).unwrap_err().contains("GONE c #2"));
    }

    #[test]
    fn a_tolerated_difference_may_come_or_not() {
        let entry = Expected { case: "c", step: Some(2), category: "value", at: "node", reason: "r" };
        let mut summary = Summary::new("a", "b");
        assert!(check_tolerating(&summary, &[], &[entry]).is_ok());
        summary.differences.push(difference(Category::Value, "node.ttl"));
        assert!(check_tolerating(&summary, &[], &[entry]).is_ok());
        summary.differences.push(difference(Category::Status, ""));
        assert!(check_tolerating(&summary, &[], &[entry]).unwrap_err().contains("NEW c #2"));
    }
}
