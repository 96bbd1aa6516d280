//! Runs groups of cases on two servers side by side, normalizes and compares, and sums it up.

use std::collections::BTreeMap;
use std::fmt;

use crate::case::Case;
use crate::compare::{Category, Difference, compare};
use crate::normalize::{RULES, normalize, version_difference};
use crate::record::{Body, Recording};
use crate::runner::{RunError, Runner};

/// Cases that run in order on one fresh server (a group changes state others must not see: auth, a long
/// history, expiring keys).
#[derive(Clone, Debug)]
pub struct Group {
    /// The group's name.
    pub name: &'static str,
    /// How many members the fresh server has (1: a single member).
    pub members: usize,
    /// Its cases, run in this order.
    pub cases: Vec<Case>,
}

/// The outcome of comparing two servers over some groups.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// The two servers' names, left and right.
    pub servers: (String, String),
    /// Cases run on both.
    pub cases: usize,
    /// Answers compared.
    pub requests: usize,
    /// Answers with no difference at all (version-dependent ones not counted as identical).
    pub identical: usize,
    /// How many answers each normalization rule changed (both sides), by rule name.
    pub rule_hits: BTreeMap<&'static str, usize>,
    /// Answers that did not come on a side (a failed connection, a bound that ran out).
    pub failed_answers: Vec<String>,
    /// Every difference after normalization, but those at answers listed in
    /// [`VERSION_DIFFERENCES`](crate::normalize::VERSION_DIFFERENCES).
    pub differences: Vec<Difference>,
    /// When set, the normalized transcripts of both sides, case after case (see [`Summary::keep_transcripts`]).
    pub transcripts: Option<(String, String)>,
    /// Differences at the listed version-dependent answers, by `(case, step)`: not failures.
    pub version_dependent: BTreeMap<(String, usize), usize>,
    /// Whether the version-dependent answers are compared like any other (both sides claim the same etcd
    /// version, as a fake told which version to be does); see [`Summary::same_version`].
    pub same_version: bool,
}

impl Summary {
    /// A summary for two servers, empty.
    pub fn new(left: &str, right: &str) -> Summary {
        Summary { servers: (left.to_owned(), right.to_owned()), ..Summary::default() }
    }

    /// Compares the answers listed in [`VERSION_DIFFERENCES`](crate::normalize::VERSION_DIFFERENCES) too: for two
    /// servers that answer as the same etcd version.
    pub fn same_version(mut self) -> Summary {
        self.same_version = true;
        self
    }

    /// Keeps the normalized transcripts of both sides in [`Summary::transcripts`], to read or diff.
    pub fn keep_transcripts(mut self) -> Summary {
        self.transcripts = Some((String::new(), String::new()));
        self
    }

    /// Compares two recordings of the same case and adds the outcome.
    pub fn add(&mut self, left: &Recording, right: &Recording) {
        let (left, left_hits) = normalize(left);
        let (right, right_hits) = normalize(right);
        if let Some((l, r)) = &mut self.transcripts {
            l.push_str(&left.to_string());
            r.push_str(&right.to_string());
        }
        for ((rule, l), r) in RULES.iter().zip(left_hits).zip(right_hits) {
            *self.rule_hits.entry(rule.name).or_default() += l + r;
        }
        for (side, recording) in [(&self.servers.0, &left), (&self.servers.1, &right)] {
            for (i, exchange) in recording.exchanges.iter().enumerate() {
                if let Body::Failed(why) = &exchange.body {
                    self.failed_answers.push(format!("{side}: {} #{i} `{}`: {why}", recording.case, exchange.step));
                }
            }
        }
        self.cases += 1;
        let answers = left.exchanges.len().max(right.exchanges.len());
        self.requests += answers;
        let mut differing = std::collections::BTreeSet::new();
        for difference in compare(&left, &right) {
            differing.insert(difference.step.0);
            match version_difference(&difference.case, difference.step.0).filter(|_| !self.same_version) {
                Some(known) => *self.version_dependent.entry((known.case.to_owned(), known.step)).or_default() += 1,
                None => self.differences.push(difference),
            }
        }
        self.identical += answers - differing.len().min(answers);
    }

    /// The differences counted by category.
    pub fn by_category(&self) -> BTreeMap<&Category, usize> {
        let mut counts = BTreeMap::new();
        for d in &self.differences {
            *counts.entry(&d.category).or_default() += 1;
        }
        counts
    }
}

impl Summary {
    /// The counts without the list of differences: servers, cases, answers, differences by category, how often
    /// each rule applied, the version-dependent answers and the answers that did not come.
    pub fn overview(&self) -> String {
        let mut text = self.to_string();
        if let Some(details) = text.find("  DIFF ") {
            text.truncate(details);
        }
        text
    }
}

/// The overview, then every difference, one a line.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conformance: {} vs {}", self.servers.0, self.servers.1)?;
        writeln!(
            f,
            "  cases: {}, requests compared: {}, answers identical: {}, differences: {}",
            self.cases,
            self.requests,
            self.identical,
            self.differences.len()
        )?;
        for (category, count) in self.by_category() {
            writeln!(f, "    {category}: {count}")?;
        }
        writeln!(f, "  normalized (answers changed per rule, both sides):")?;
        for (rule, hits) in &self.rule_hits {
            writeln!(f, "    {rule}: {hits}")?;
        }
        for ((case, step), count) in &self.version_dependent {
            writeln!(f, "  version-dependent answer {case} #{step}: {count} differences (listed, not compared)")?;
        }
        for failed in &self.failed_answers {
            writeln!(f, "  NO ANSWER {failed}")?;
        }
        for d in &self.differences {
            writeln!(f, "  DIFF {d}")?;
        }
        Ok(())
    }
}

/// The environment variable naming a directory where [`write_transcripts`] saves both sides' transcripts.
pub const TRANSCRIPTS_ENV: &str = "CONFORMANCE_TRANSCRIPTS";

/// A summary that keeps transcripts when [`TRANSCRIPTS_ENV`] is set.
pub fn summary_from_env(left: &str, right: &str) -> Summary {
    let summary = Summary::new(left, right);
    if std::env::var_os(TRANSCRIPTS_ENV).is_some() { summary.keep_transcripts() } else { summary }
}

/// Writes the kept transcripts to `$CONFORMANCE_TRANSCRIPTS/<server>.txt` (one file a side, to diff); returns
/// the files written.
pub fn write_transcripts(summary: &Summary) -> std::io::Result<Vec<std::path::PathBuf>> {
    let (Some(dir), Some((left, right))) = (std::env::var_os(TRANSCRIPTS_ENV), &summary.transcripts) else {
        return Ok(Vec::new());
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir)?;
    let mut written = Vec::new();
    for (server, text) in [(&summary.servers.0, left), (&summary.servers.1, right)] {
        let path = dir.join(format!("{}.txt", server.replace(' ', "-")));
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

/// How long a fresh server may take to decide its cluster's version.
const SETTLE_BOUND: std::time::Duration = std::time::Duration::from_secs(15);

/// Runs `group` on both servers (each case on both at once, cases in order, once both have settled: see
/// [`Runner::wait_settled`]) and adds the outcome to `summary`.
pub async fn compare_group(
    group: &Group,
    left: &Runner,
    right: &Runner,
    summary: &mut Summary,
) -> Result<(), RunError> {
    let (l, r) = tokio::join!(left.wait_settled(SETTLE_BOUND), right.wait_settled(SETTLE_BOUND));
    l.and(r).map_err(|reason| RunError::StartIndex { case: format!("(group {})", group.name), reason })?;
    for case in &group.cases {
        let (l, r) = tokio::join!(left.run(case), right.run(case));
        summary.add(&l?, &r?);
    }
    Ok(())
}
