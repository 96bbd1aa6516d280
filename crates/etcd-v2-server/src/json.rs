//! JSON as Go's `encoding/json` writes it: serde_json's output with Go's HTML-safe escapes, so that bodies are
//! byte for byte etcd's.

use serde::Serialize;

/// Serializes `value` and escapes `<`, `>`, `&`, U+2028 and U+2029 as Go does. These characters only occur
/// inside JSON strings, so replacing them anywhere in the text is exact.
pub(crate) fn to_go_json<T: Serialize>(value: &T) -> String {
    // Serializing our own plain structs cannot fail (no maps with non-string keys, no failing Serialize impls).
    let text = serde_json::to_string(value).unwrap_or_default();
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html_characters_as_go_does() {
        assert_eq!(super::to_go_json(&"a<b>&c\u{2028}"), "\"a\\u003cb\\u003e\\u0026c\\u2028\"");
        assert_eq!(super::to_go_json(&"plain"), "\"plain\"");
    }
}
