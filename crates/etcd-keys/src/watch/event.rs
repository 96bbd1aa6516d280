//! One event of a watch stream: a line of etcd's JSON.

use etcd_core::{Action, Error, InvalidResponse, InvalidResponseKind, Node, Response};
use http::StatusCode;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventBody {
    action: Action,
    node: Node,
    #[serde(default)]
    prev_node: Option<Node>,
}

/// Decodes one event; its index is the event's modified index.
pub(crate) fn decode(line: &[u8]) -> Result<Response, Error> {
    let body: EventBody = serde_json::from_slice(line)
        .map_err(|e| InvalidResponse::new(InvalidResponseKind::Json, StatusCode::OK, line).with_source(e))?;
    let index = body.node.modified_index;
    let mut response = Response::new(body.action, body.node);
    response.prev_node = body.prev_node;
    response.index = index;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_an_event_and_refuses_what_is_not_one() {
        let event = decode(br#"{"action":"expire","node":{"key":"/k","modifiedIndex":9,"createdIndex":3},"prevNode":{"key":"/k","value":"v","modifiedIndex":8,"createdIndex":3}}"#).unwrap();
        assert_eq!((event.action, event.index, event.prev_node.unwrap().value.as_str()), (Action::Expire, 9, "v"));
        assert!(decode(b"{\"action\":\"set\"}").unwrap_err().is_invalid_response());
        assert!(decode(b"<html>").unwrap_err().is_invalid_response());
    }
}
