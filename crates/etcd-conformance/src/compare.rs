//! Two normalized recordings of the same case, compared answer by answer: every difference, with where it is.

use std::fmt;

use crate::json::Json;
use crate::record::{Body, Exchange, HEADERS, Recording};

/// What kind of thing differs; the summary counts differences by it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// The number of recorded answers.
    Steps,
    /// The HTTP status (or one server did not answer).
    Status,
    /// One of [`HEADERS`].
    Header(&'static str),
    /// JSON against text, an empty body, a failed read, or the trailing newline.
    BodyKind,
    /// The same JSON written with other bytes (escapes, spaces) than etcd's encoder writes.
    Encoding,
    /// A field one server sent and the other did not.
    MissingField,
    /// The same fields in another order.
    FieldOrder,
    /// The same place with another value.
    Value,
    /// A stream's events.
    Events,
    /// A step's other facts (the statuses of a repeated request).
    Note,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Category::Steps => f.write_str("number of answers"),
            Category::Status => f.write_str("status"),
            Category::Header(name) => write!(f, "header {name}"),
            Category::BodyKind => f.write_str("body kind"),
            Category::Encoding => f.write_str("JSON encoding"),
            Category::MissingField => f.write_str("field missing on one side"),
            Category::FieldOrder => f.write_str("field order"),
            Category::Value => f.write_str("value"),
            Category::Events => f.write_str("stream events"),
            Category::Note => f.write_str("step facts"),
        }
    }
}

/// One difference between two servers' answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The case.
    pub case: String,
    /// The answer's position in the case (from 0) and the request as the case wrote it.
    pub step: (usize, String),
    /// What differs.
    pub category: Category,
    /// Where in the body (`node.value`), empty for status and headers.
    pub at: String,
    /// The first server's side, as text.
    pub left: String,
    /// The second server's side, as text.
    pub right: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{} `{}`: {}", self.case, self.step.0, self.step.1, self.category)?;
        if !self.at.is_empty() {
            write!(f, " at {}", self.at)?;
        }
        write!(f, ": {} | {}", self.left, self.right)
    }
}

/// Every difference between two normalized recordings of one case.
pub fn compare(left: &Recording, right: &Recording) -> Vec<Difference> {
    let mut out = Vec::new();
    let case = &left.case;
    if left.exchanges.len() != right.exchanges.len() {
        out.push(Difference {
            case: case.clone(),
            step: (0, String::new()),
            category: Category::Steps,
            at: String::new(),
            left: left.exchanges.len().to_string(),
            right: right.exchanges.len().to_string(),
        });
    }
    for (i, (l, r)) in left.exchanges.iter().zip(&right.exchanges).enumerate() {
        let mut diff = Differ { case, step: (i, l.step.clone()), out: &mut out };
        diff.exchange(l, r);
    }
    out
}

struct Differ<'a> {
    case: &'a str,
    step: (usize, String),
    out: &'a mut Vec<Difference>,
}

impl Differ<'_> {
    fn push(&mut self, category: Category, at: &str, left: String, right: String) {
        self.out.push(Difference {
            case: self.case.to_owned(),
            step: self.step.clone(),
            category,
            at: at.to_owned(),
            left,
            right,
        });
    }

    fn exchange(&mut self, l: &Exchange, r: &Exchange) {
        let show = |s: Option<u16>| s.map_or("no answer".to_owned(), |s| s.to_string());
        if l.status != r.status {
            self.push(Category::Status, "", show(l.status), show(r.status));
        }
        for (i, name) in HEADERS.iter().enumerate() {
            if l.headers[i] != r.headers[i] {
                let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(absent)".to_owned());
                self.push(Category::Header(name), "", show(&l.headers[i]), show(&r.headers[i]));
            }
        }
        if l.note != r.note {
            self.push(Category::Note, "", format!("{:?}", l.note), format!("{:?}", r.note));
        }
        self.body(&l.body, &r.body);
    }

    fn body(&mut self, l: &Body, r: &Body) {
        match (l, r) {
            (
                Body::Json { value: lv, newline: ln, unusual_encoding: lu },
                Body::Json { value: rv, newline: rn, unusual_encoding: ru },
            ) => {
                if ln != rn {
                    self.push(Category::BodyKind, "trailing newline", ln.to_string(), rn.to_string());
                }
                if lu.is_some() != ru.is_some() {
                    let show = |u: &Option<String>| u.clone().unwrap_or_else(|| "as Go's encoding/json".to_owned());
                    self.push(Category::Encoding, "", show(lu), show(ru));
                }
                self.json("", lv, rv);
            }
            (Body::Events(le), Body::Events(re)) => self.events(le, re),
            (Body::PartialEvents { events: le, then: lt }, Body::PartialEvents { events: re, then: rt }) => {
                if le.len() != re.len() || lt != rt {
                    self.push(Category::Events, "", describe(l), describe(r));
                }
                self.events(le, re);
            }
            (Body::Failed(lf), Body::Failed(rf)) if lf == rf => {}
            (Body::Failed(_), _) | (_, Body::Failed(_)) => {
                self.push(Category::BodyKind, "", describe(l), describe(r));
            }
            _ if l != r => self.push(Category::BodyKind, "", describe(l), describe(r)),
            _ => {}
        }
    }

    fn events(&mut self, l: &[Json], r: &[Json]) {
        for (i, (lv, rv)) in l.iter().zip(r).enumerate() {
            self.json(&format!("event[{i}]"), lv, rv);
        }
    }

    fn json(&mut self, at: &str, l: &Json, r: &Json) {
        match (l, r) {
            (Json::Object(lf), Json::Object(rf)) => {
                let names = |fields: &[(String, Json)]| fields.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
                let (ln, rn) = (names(lf), names(rf));
                for name in ln.iter().filter(|n| !rn.contains(n)) {
                    self.push(
                        Category::MissingField,
                        &join(at, name),
                        l.get(name).map(Json::to_string).unwrap_or_default(),
                        "(absent)".to_owned(),
                    );
                }
                for name in rn.iter().filter(|n| !ln.contains(n)) {
                    self.push(
                        Category::MissingField,
                        &join(at, name),
                        "(absent)".to_owned(),
                        r.get(name).map(Json::to_string).unwrap_or_default(),
                    );
                }
                let common_l: Vec<&String> = ln.iter().filter(|n| rn.contains(n)).collect();
                let common_r: Vec<&String> = rn.iter().filter(|n| ln.contains(n)).collect();
                if common_l != common_r {
                    self.push(Category::FieldOrder, at, format!("{ln:?}"), format!("{rn:?}"));
                }
                for name in common_l {
                    if let (Some(lv), Some(rv)) = (l.get(name), r.get(name)) {
                        self.json(&join(at, name), lv, rv);
                    }
                }
            }
            (Json::Array(la), Json::Array(ra)) if la.len() == ra.len() => {
                for (i, (lv, rv)) in la.iter().zip(ra).enumerate() {
                    self.json(&format!("{at}[{i}]"), lv, rv);
                }
            }
            _ if l != r => self.push(Category::Value, at, l.to_string(), r.to_string()),
            _ => {}
        }
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") }
}

fn describe(body: &Body) -> String {
    match body {
        Body::Empty => "(empty)".to_owned(),
        Body::Json { value, .. } => value.to_string(),
        Body::Text(text) => format!("text {text:?}"),
        Body::Events(events) => format!("{} events", events.len()),
        Body::PartialEvents { events, then } => format!("{} events, then {then}", events.len()),
        Body::Failed(why) => format!("failed: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording(body: &str) -> Recording {
        Recording {
            case: "c".into(),
            start_index: 1,
            exchanges: vec![Exchange {
                step: "GET /v2/keys/a".into(),
                status: Some(200),
                headers: vec![None; HEADERS.len()],
                body: Body::Json {
                    value: Json::parse(body.as_bytes()).unwrap(),
                    newline: true,
                    unusual_encoding: None,
                },
                note: None,
            }],
        }
    }

    #[test]
    fn finds_missing_fields_order_and_values() {
        let l = recording(r#"{"action":"get","node":{"key":"/a","value":"1","dir":false}}"#);
        let r = recording(r#"{"node":{"key":"/a","value":"2"},"action":"get"}"#);
        let diffs = compare(&l, &r);
        let categories: Vec<&Category> = diffs.iter().map(|d| &d.category).collect();
        assert_eq!(categories, [&Category::FieldOrder, &Category::MissingField, &Category::Value]);
        assert_eq!(diffs[1].at, "node.dir");
        assert_eq!(diffs[2].at, "node.value");
        assert!(compare(&l, &l).is_empty());
    }
}
