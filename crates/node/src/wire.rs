//! Results cross the boundary as one buffer rather than as trees of JS objects: one allocation
//! and one copy instead of a N-API call per field. `packages/checkpoint-rust/src/wire.ts` reads it.
//!
//! Every length is a little-endian u32; an absent string is the length `u32::MAX`. Each value is
//! `kind, data, u8 plain`, where `plain` says that a `json` value holds nothing that
//! `JsonPlusSerializer` would revive, so JS may parse it with `JSON.parse` alone. The scan runs here,
//! off the JS thread.

use fast_langgraph_core::jsonplus;
use fast_langgraph_core::store::{ChannelHistory, CheckpointTuple, ListPage, PendingWrite, TypedValue};

const ABSENT: u32 = u32::MAX;

#[derive(Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

/// The bytes that `write` puts into a fresh encoder.
pub fn encode(write: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut out = Encoder::default();
    write(&mut out);
    out.buf
}

impl Encoder {
    fn u32(&mut self, n: u32) {
        self.buf.extend_from_slice(&n.to_le_bytes());
    }

    fn len(&mut self, n: usize) {
        // SQLite caps a value at 1 GB (SQLITE_MAX_LENGTH), well under u32::MAX.
        self.u32(u32::try_from(n).expect("value longer than SQLite allows"));
    }

    fn flag(&mut self, b: bool) {
        self.buf.push(u8::from(b));
    }

    fn bytes(&mut self, data: &[u8]) {
        self.len(data.len());
        self.buf.extend_from_slice(data);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.u32(ABSENT),
        }
    }

    fn value(&mut self, v: &TypedValue) {
        self.str(&v.kind);
        self.bytes(&v.data);
        self.flag(v.kind == "json" && jsonplus::is_plain_json(&v.data));
    }

    /// `u32 count, (task_id, channel, kind, data) * count`
    pub fn writes(&mut self, writes: &[PendingWrite]) {
        self.len(writes.len());
        for w in writes {
            self.str(&w.task_id);
            self.str(&w.channel);
            self.value(&w.value);
        }
    }

    /// `thread_id, checkpoint_ns, checkpoint_id, parent?, checkpoint, metadata,
    ///  u32 count, (channel, value) * count, writes`
    pub fn tuple(&mut self, t: &CheckpointTuple) {
        self.str(&t.thread_id);
        self.str(&t.checkpoint_ns);
        self.str(&t.checkpoint_id);
        self.opt_str(t.parent_checkpoint_id.as_deref());
        self.value(&t.checkpoint);
        self.value(&t.metadata);
        self.len(t.channel_values.len());
        for (channel, value) in &t.channel_values {
            self.str(channel);
            self.value(value);
        }
        self.writes(&t.pending_writes);
    }

    /// A page of zero or one tuple, for `getTuple`: `u8 0, u32 count, tuple * count`
    pub fn page_of(&mut self, tuple: Option<&CheckpointTuple>) {
        self.flag(false);
        self.len(usize::from(tuple.is_some()));
        if let Some(t) = tuple {
            self.tuple(t);
        }
    }

    /// `u8 has_next, [checkpoint_id, thread_id, checkpoint_ns], u32 count, tuple * count`
    pub fn page(&mut self, page: &ListPage) {
        self.flag(page.next.is_some());
        if let Some(c) = &page.next {
            self.str(&c.checkpoint_id);
            self.str(&c.thread_id);
            self.str(&c.checkpoint_ns);
        }
        self.len(page.tuples.len());
        for t in &page.tuples {
            self.tuple(t);
        }
    }

    /// `u32 count, (channel, u8 has_seed, [seed], writes) * count`
    pub fn histories(&mut self, histories: &[ChannelHistory]) {
        self.len(histories.len());
        for h in histories {
            self.str(&h.channel);
            self.flag(h.seed.is_some());
            if let Some(seed) = &h.seed {
                self.value(seed);
            }
            self.writes(&h.writes);
        }
    }
}
