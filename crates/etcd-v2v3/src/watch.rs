//! Watches: a v2 watch as a v3 watch (one key, or the subtree's data prefix for a recursive one) from the wait
//! index as start revision, its JSON lines turned into v2 events.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use etcd_transport::{Body, CompleteStream};
use etcd_v2_server::{Action, ErrorCode, Event, EventStream, NodeView, StoreError, V2Error, Watch, WatchRequest};
use futures_core::Stream;
use http_body::Body as _;

use crate::gateway::{Range, V3Event, WatchAnswer, WatchCreate, WatchLine};
use crate::layout::{Layout, WrittenBy, hidden_below, prefix_end};
use crate::read::Node;
use crate::store::V3Store;

/// A watch line longer than this ends the watch: no single v2 event is anywhere near it.
const MAX_LINE: usize = 64 << 20;

impl V3Store {
    /// Starts a watch: returns once etcd confirmed it, so that later writes reach it.
    pub(crate) async fn start_watch(&self, request: WatchRequest) -> Result<Watch, StoreError> {
        let data = self.layout.data_key(&request.key);
        let range_end = if request.recursive { prefix_end(&data) } else { Vec::new() };
        let compacted = request.wait_index > 0 && self.is_compacted(&data, request.wait_index).await?;
        let create = WatchCreate { key: data, range_end, start_revision: request.wait_index, prev_kv: true };
        let (body, endpoint) = self.gateway.watch(&create).await?;
        let mut lines = Lines {
            body,
            buffer: Vec::new(),
            pending: VecDeque::new(),
            done: false,
            context: Arc::new(Context2 {
                layout: self.layout.clone(),
                key: request.key,
                recursive: request.recursive,
                history_until: 0,
            }),
        };
        let created = std::future::poll_fn(|cx| lines.poll_answer(cx)).await?;
        self.saw(&created.header);
        let revision = created.header.revision;
        if let Some(context) = Arc::get_mut(&mut lines.context) {
            context.history_until = revision;
        }
        if compacted || created.canceled {
            // etcd follows the confirmation with the compaction's revision; wait for it to name it.
            let oldest = match std::future::poll_fn(|cx| lines.poll_answer(cx)).await {
                Ok(answer) => answer.compact_revision,
                Err(_) => 0,
            };
            let cause = format!("the requested history has been cleared [{oldest}/{}]", request.wait_index);
            return Err(V2Error::new(ErrorCode::EventIndexCleared, cause, revision).into());
        }
        // For the watcher in this process: a v3 watch sends its history whole and never drops a stream without a
        // word, and the member serving it is the one to probe when the stream goes quiet.
        let mut extensions = http::Extensions::new();
        extensions.insert(CompleteStream);
        if let Some(endpoint) = endpoint {
            extensions.insert(endpoint);
        }
        Ok(Watch {
            etcd_index: revision,
            raft_index: revision,
            raft_term: created.header.raft_term,
            events: Box::pin(lines) as EventStream,
            extensions,
        })
    }

    /// Whether `revision` is older than etcd's compaction: a one-key range at that revision says.
    async fn is_compacted(&self, key: &[u8], revision: u64) -> Result<bool, StoreError> {
        let range = Range { key: key.to_vec(), revision, limit: 1, serializable: true, ..Range::default() };
        match self.gateway.range(&range).await {
            Ok(_) => Ok(false),
            Err(failure) if failure.is_compacted() => Ok(true),
            // A revision not reached yet: the watch waits for it, as v2 does.
            Err(failure) if failure.is_future_revision() => Ok(false),
            Err(failure) => Err(failure.into()),
        }
    }
}

/// What turning v3 events into v2 events needs.
pub(crate) struct Context2 {
    pub(crate) layout: Layout,
    pub(crate) key: String,
    pub(crate) recursive: bool,
    /// The revision when the watch was registered: events up to it come from the history, where etcd's v2 store
    /// does not leave hidden nodes out of a recursive watch (it does only for events after registration).
    pub(crate) history_until: u64,
}

/// The watch's answer, read a line at a time.
struct Lines {
    body: Body,
    buffer: Vec<u8>,
    pending: VecDeque<Result<Event, StoreError>>,
    done: bool,
    context: Arc<Context2>,
}

impl Lines {
    /// The next whole line, parsed.
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<Result<WatchAnswer, StoreError>> {
        loop {
            if let Some(at) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=at).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Poll::Ready(parse_line(&line));
            }
            if self.buffer.len() > MAX_LINE {
                return Poll::Ready(Err(unavailable("a watch line past 64 MiB")));
            }
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    // The last line may come without its newline.
                    if self.buffer.iter().any(|b| !b.is_ascii_whitespace()) {
                        let line = std::mem::take(&mut self.buffer);
                        return Poll::Ready(parse_line(&line));
                    }
                    return Poll::Ready(Err(unavailable("etcd ended the watch")));
                }
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Err(StoreError::Unavailable(error))),
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

impl Stream for Lines {
    type Item = Result<Event, StoreError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Poll::Ready(Some(item));
            }
            if self.done {
                return Poll::Ready(None);
            }
            let answer = match self.poll_answer(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(answer) => answer,
            };
            match answer {
                Err(error) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
                Ok(answer) if answer.compact_revision > 0 => {
                    self.done = true;
                    let cause = format!("the requested history has been cleared [{}/0]", answer.compact_revision);
                    let error = V2Error::new(ErrorCode::EventIndexCleared, cause, answer.header.revision);
                    return Poll::Ready(Some(Err(error.into())));
                }
                Ok(answer) if answer.canceled => {
                    self.done = true;
                    return Poll::Ready(Some(Err(unavailable(&format!(
                        "etcd cancelled the watch: {}",
                        answer.cancel_reason
                    )))));
                }
                Ok(answer) => {
                    let context = Arc::clone(&self.context);
                    self.pending.extend(translate(&context, answer.events).into_iter().map(Ok));
                }
            }
        }
    }
}

pub(crate) fn parse_line(line: &[u8]) -> Result<WatchAnswer, StoreError> {
    let line: WatchLine = serde_json::from_slice(line).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    match (line.result, line.error) {
        (Some(result), _) => Ok(result),
        (None, Some(error)) => Err(unavailable(&format!("etcd's watch failed: {error}"))),
        (None, None) => Err(unavailable("a watch line with neither result nor error")),
    }
}

fn unavailable(reason: &str) -> StoreError {
    StoreError::Unavailable(reason.to_owned().into())
}

/// v3 events into v2 events: one per revision (a write's own key, not the directories it made on the way; a
/// recursive delete's top, not everything below it), refreshes and hidden nodes left out.
pub(crate) fn translate(context: &Context2, events: Vec<V3Event>) -> Vec<Event> {
    let mut out = Vec::new();
    let mut group: Vec<(String, V3Event)> = Vec::new();
    let flush = |group: &mut Vec<(String, V3Event)>, out: &mut Vec<Event>| {
        let depth = |path: &String| path.matches('/').count();
        let puts = group.iter().filter(|(_, e)| e.kind != "DELETE");
        let chosen = match puts.max_by_key(|(path, _)| depth(path)) {
            Some(put) => Some(put),
            None => group.iter().min_by_key(|(path, _)| depth(path)),
        };
        if let Some((path, event)) = chosen {
            if let Some(event) = v2_event(path, event) {
                out.push(event);
            }
        }
        group.clear();
    };
    for event in events {
        let Some(path) = context.layout.path_of_data_key(&event.kv.key) else { continue };
        let live = event.kv.mod_revision > context.history_until;
        if context.recursive && live && path != context.key && hidden_below(&context.key, &path) {
            continue;
        }
        if group.first().is_some_and(|(_, first)| first.kv.mod_revision != event.kv.mod_revision) {
            flush(&mut group, &mut out);
        }
        group.push((path, event));
    }
    flush(&mut group, &mut out);
    out
}

fn v2_event(path: &str, event: &V3Event) -> Option<Event> {
    let now = SystemTime::now();
    let prev = event.prev_kv.as_ref().map(|kv| Node::from_kv(path.to_owned(), kv));
    if event.kind == "DELETE" {
        let prev = prev?;
        // A lease's end deletes with no mark of its own: a node whose recorded expiry has come went by its TTL.
        let now_ms = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let expired = prev.lease != 0 && prev.record.expires_ms.is_some_and(|at| at <= now_ms + 1_000);
        let node = NodeView {
            key: path.to_owned(),
            dir: prev.record.dir,
            modified_index: event.kv.mod_revision,
            created_index: prev.created,
            ..NodeView::default()
        };
        let action = if expired { Action::Expire } else { Action::Delete };
        return Some(Event { action, node: Some(node), prev_node: Some(prev.view(now)), refresh: false });
    }
    let node = Node::from_kv(path.to_owned(), &event.kv);
    let WrittenBy::Action(action) = node.record.written_by else { return None };
    Some(Event { action, node: Some(node.view(now)), prev_node: prev.map(|prev| prev.view(now)), refresh: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::Kv;
    use crate::layout::Record;

    fn put(layout: &Layout, path: &str, revision: u64, written_by: WrittenBy) -> V3Event {
        let record = Record { dir: false, written_by, expires_ms: None, value: "v".into() };
        let kv = Kv {
            key: layout.data_key(path),
            create_revision: revision,
            mod_revision: revision,
            value: record.encode(),
            lease: 0,
        };
        V3Event { kind: String::new(), kv, prev_kv: None }
    }

    fn delete(layout: &Layout, path: &str, revision: u64) -> V3Event {
        let mut event = put(layout, path, revision, WrittenBy::Action(Action::Set));
        event.prev_kv = Some(event.kv.clone());
        event.kind = "DELETE".into();
        event
    }

    #[test]
    fn one_event_per_revision_refreshes_and_hidden_nodes_left_out() {
        let layout = Layout::new("/p");
        let context = Context2 { layout: layout.clone(), key: "/a".into(), recursive: true, history_until: 4 };
        let set = WrittenBy::Action(Action::Set);
        let events = vec![
            // A set that made /a/x on the way: the set's own key.
            put(&layout, "/a/x", 5, WrittenBy::Action(Action::Create)),
            put(&layout, "/a/x/y", 5, set),
            // A refresh: not for watchers.
            put(&layout, "/a/x/y", 6, WrittenBy::Refresh),
            // Hidden below the watched key.
            put(&layout, "/a/_h", 7, set),
            // A recursive delete: its top.
            delete(&layout, "/a/x/y", 8),
            delete(&layout, "/a/x", 8),
        ];
        let out = translate(&context, events);
        let seen: Vec<(Action, &str, u64)> =
            out.iter().map(|e| (e.action, e.node.as_ref().map_or("", |n| n.key.as_str()), e.index())).collect();
        assert_eq!(seen, [(Action::Set, "/a/x/y", 5), (Action::Delete, "/a/x", 8)]);
        assert_eq!(out[1].prev_node.as_ref().map(|n| n.value.clone()), Some(Some("v".to_owned())));
        // From the history (at or before the registration), a hidden node is not left out, as in etcd's v2.
        let from_history = Context2 { history_until: 7, ..context };
        let hidden = vec![put(&layout, "/a/_h", 7, set)];
        assert_eq!(translate(&from_history, hidden).len(), 1);
    }
}
