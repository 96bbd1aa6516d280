//! The lines of a watch stream: etcd ends each event with a newline, and a line may come in many pieces.

use bytes::{Bytes, BytesMut};

/// The bytes of a stream not taken as lines yet, the current line first.
///
/// Each byte is scanned for the newline once, however many pieces its line comes in (scanning the whole buffer
/// on each read made a long line cost its length squared), and taking a line is O(1) (`BytesMut::split_to`),
/// not a copy of what follows it. A line is capped by the caller: past the cap it is an error, not more memory.
#[derive(Debug, Default)]
pub(crate) struct LineBuffer {
    buffer: BytesMut,
    /// How many bytes at the start of `buffer` are known to hold no newline.
    scanned: usize,
}

impl LineBuffer {
    /// Appends what the stream sent.
    pub(crate) fn push(&mut self, data: &[u8]) {
        self.buffer.extend_from_slice(data);
    }

    /// What came and was not taken as lines yet.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buffer
    }

    /// Whether [`LineBuffer::take_line`] has something to give: a complete line, or one past `max_line`.
    pub(crate) fn has_line(&mut self, max_line: usize) -> bool {
        self.line_end().is_some() || self.buffer.len() > max_line
    }

    /// The next complete line, without its newline; `Err` with its length so far when it is longer than
    /// `max_line` bytes, ended or not.
    pub(crate) fn take_line(&mut self, max_line: usize) -> Result<Option<Bytes>, usize> {
        match self.line_end() {
            Some(end) if end > max_line => Err(end),
            Some(end) => {
                let mut line = self.buffer.split_to(end + 1);
                line.truncate(end);
                self.scanned = 0;
                Ok(Some(line.freeze()))
            }
            None if self.buffer.len() > max_line => Err(self.buffer.len()),
            None => Ok(None),
        }
    }

    /// Where the current line ends, if it is complete; scans only the bytes not scanned before.
    fn line_end(&mut self) -> Option<usize> {
        match self.buffer[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(at) => {
                // The newline itself is not passed over: the next look finds it at once.
                self.scanned += at;
                Some(self.scanned)
            }
            None => {
                self.scanned = self.buffer.len();
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // A few hundred cases by default; PROPTEST_CASES=100000 for a long run.
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// However the stream is cut into pieces, the lines are the stream split on newlines, each at most `cap`
        /// long, or the error names the first line past the cap.
        #[test]
        fn lines_are_the_stream_split_on_newlines_whatever_the_pieces(
            pieces in prop::collection::vec(prop::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..40), 0..20),
            cap in 0usize..64,
        ) {
            let stream: Vec<u8> = pieces.concat();
            let mut expected: Vec<&[u8]> = stream.split(|&b| b == b'\n').collect();
            let rest = expected.pop().unwrap_or_default();
            let mut lines = LineBuffer::default();
            let mut taken: Vec<Bytes> = Vec::new();
            let mut failed = None;
            'feed: for piece in &pieces {
                lines.push(piece);
                while lines.has_line(cap) {
                    match lines.take_line(cap) {
                        Ok(Some(line)) => taken.push(line),
                        Ok(None) => prop_assert!(false, "has_line said there was one"),
                        Err(len) => {
                            failed = Some(len);
                            break 'feed;
                        }
                    }
                }
            }
            match expected.iter().chain([&rest]).position(|line| line.len() > cap) {
                Some(first_long) => {
                    // Every line before the long one came out; the long one is the error, ended or not.
                    prop_assert!(failed.is_some(), "a line past the cap must fail");
                    prop_assert_eq!(&taken.iter().map(|l| &l[..]).collect::<Vec<_>>()[..], &expected[..first_long]);
                }
                None => {
                    prop_assert_eq!(failed, None);
                    prop_assert_eq!(&taken.iter().map(|l| &l[..]).collect::<Vec<_>>()[..], &expected[..]);
                    prop_assert_eq!(lines.pending(), rest);
                }
            }
        }
    }

    #[test]
    fn lines_in_pieces_and_pieces_with_many_lines() {
        let mut lines = LineBuffer::default();
        for piece in [&b"ab"[..], b"c\nd", b"", b"e\n\nf\ng"] {
            lines.push(piece);
        }
        let mut taken = Vec::new();
        while let Some(line) = lines.take_line(100).unwrap() {
            taken.push(line);
        }
        assert_eq!(taken, ["abc", "de", "", "f"]);
        assert_eq!(lines.pending(), b"g");
    }

    #[test]
    fn a_long_line_is_scanned_once_however_many_pieces_it_comes_in() {
        let mut lines = LineBuffer::default();
        for _ in 0..1_000 {
            lines.push(&[b'x'; 64]);
            assert!(!lines.has_line(usize::MAX));
            // Everything that came has been scanned, and will not be again.
            assert_eq!(lines.scanned, lines.pending().len());
        }
        lines.push(b"\n");
        assert_eq!(lines.take_line(usize::MAX).unwrap().map(|l| l.len()), Some(64_000));
        assert_eq!((lines.pending(), lines.scanned), (&b""[..], 0));
    }

    #[test]
    fn a_line_past_the_cap_is_an_error_ended_or_not() {
        let mut lines = LineBuffer::default();
        lines.push(&[b'x'; 10]);
        assert!(!lines.has_line(10));
        assert_eq!(lines.take_line(10), Ok(None));
        lines.push(b"x");
        assert!(lines.has_line(10));
        assert_eq!(lines.take_line(10), Err(11));

        let mut lines = LineBuffer::default();
        lines.push(b"0123456789ab\nshort\n");
        assert_eq!(lines.take_line(10), Err(12));
        let mut lines = LineBuffer::default();
        lines.push(b"0123456789\n");
        assert_eq!(lines.take_line(10).unwrap().as_deref(), Some(&b"0123456789"[..]));
    }
}
