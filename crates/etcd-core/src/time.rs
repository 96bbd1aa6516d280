//! RFC 3339 timestamps as etcd writes them (Go's `time.RFC3339Nano`, in the server's local offset).

use std::time::SystemTime;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with jiff; `None` for anything that is not a date, a time
/// and an offset.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    text.parse::<jiff::Timestamp>().ok().map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn secs(text: &str) -> Option<(u64, u32)> {
        let d = parse_rfc3339(text)?.duration_since(UNIX_EPOCH).ok()?;
        Some((d.as_secs(), d.subsec_nanos()))
    }

    #[test]
    fn parses_utc_offsets_and_fractions() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(secs("2013-12-04T12:01:21.874888581Z"), Some((1_386_158_481, 874_888_581)));
        assert_eq!(secs("2013-12-04T04:01:21.5-08:00"), Some((1_386_158_481, 500_000_000)));
        assert_eq!(secs("2013-12-04T13:01:21+01:00"), Some((1_386_158_481, 0)));
        assert_eq!(secs("2024-02-29T00:00:00Z"), Some((1_709_164_800, 0)));
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2013-12-04",
            "2013-13-04T12:01:21Z",
            "2013-12-04T12:01:21",
            "2013-12-04T12:01:21.Z",
            "2013-12-04T12:01:2xZ",
            "2013-12-04T12:01:21Zjunk",
            "9999999-12-04T12:01:21Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }
}
