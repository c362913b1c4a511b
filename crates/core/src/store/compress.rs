//! Optional zstd compression of stored values (`compression: "zstd"`): channel values stored as
//! blobs, pending writes, and the messages of message lists. Values in a checkpoint's own row are
//! small and stay as they are; so do checkpoints and metadata, which `list` filters read.
//!
//! A compressed blob or write keeps its serializer's type behind a `zstd:` prefix in its `type`
//! column. A compressed message starts with zstd's frame magic, which no message (a JSON object,
//! starting with `{`) does. A database may hold both, so the option can change between runs.

use std::borrow::Cow;

use super::TypedValue;
use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Compression {
    #[default]
    None,
    Zstd,
}

/// Smaller values seldom shrink by more than zstd's frame costs.
const MIN_BYTES: usize = 256;
const LEVEL: i32 = 3;
const PREFIX: &str = "zstd:";
const MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The type and bytes to store for a value: compressed when that makes it smaller.
pub(super) fn pack<'a>(compression: Compression, kind: &'a str, data: &'a [u8]) -> (Cow<'a, str>, Cow<'a, [u8]>) {
    match squeeze(compression, data) {
        Some(packed) => (Cow::Owned(format!("{PREFIX}{kind}")), Cow::Owned(packed)),
        None => (Cow::Borrowed(kind), Cow::Borrowed(data)),
    }
}

/// The bytes to store for a message of a list.
pub(super) fn pack_message(compression: Compression, data: &[u8]) -> Cow<'_, [u8]> {
    squeeze(compression, data).map_or(Cow::Borrowed(data), Cow::Owned)
}

fn squeeze(compression: Compression, data: &[u8]) -> Option<Vec<u8>> {
    if compression == Compression::None || data.len() < MIN_BYTES {
        return None;
    }
    // Compressing a slice in memory fails only on allocation, which aborts anyway: store it as is.
    zstd::bulk::compress(data, LEVEL).ok().filter(|packed| packed.len() < data.len())
}

/// A stored value as the serializer wrote it.
pub(super) fn unpack(kind: String, data: Vec<u8>) -> Result<TypedValue> {
    match kind.strip_prefix(PREFIX) {
        Some(kind) => Ok(TypedValue { kind: kind.to_owned(), data: inflate(&data)? }),
        None => Ok(TypedValue { kind, data }),
    }
}

/// A stored message of a list as the serializer wrote it.
pub(super) fn unpack_message(data: Vec<u8>) -> Result<Vec<u8>> {
    if data.starts_with(&MAGIC) {
        inflate(&data)
    } else {
        Ok(data)
    }
}

/// Whether a stored `type` marks a compressed value.
pub(super) fn is_compressed_type(kind: &str) -> bool {
    kind.starts_with(PREFIX)
}

/// The size before compression of a value stored compressed, or of a message however stored.
pub(super) fn original_size(data: &[u8]) -> i64 {
    if data.starts_with(&MAGIC) {
        if let Ok(Some(size)) = zstd::zstd_safe::get_frame_content_size(data) {
            return size as i64;
        }
    }
    data.len() as i64
}

fn inflate(data: &[u8]) -> Result<Vec<u8>> {
    zstd::stream::decode_all(data)
        .map_err(|e| Error::new(ErrorCode::Corrupt, format!("a stored compressed value does not decompress: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_small_or_incompressible_ones_stay_as_they_are() {
        let text = "lorem ipsum dolor sit amet ".repeat(100);
        let (kind, data) = pack(Compression::Zstd, "json", text.as_bytes());
        assert_eq!(kind, "zstd:json");
        assert!(data.len() < text.len() / 5);
        assert_eq!(original_size(&data), text.len() as i64);
        assert_eq!(unpack(kind.into_owned(), data.into_owned()).unwrap(), TypedValue::new("json", text.as_bytes()));
        // Off, small, or not smaller once compressed: unchanged.
        assert_eq!(pack(Compression::None, "json", text.as_bytes()).0, "json");
        assert_eq!(pack(Compression::Zstd, "json", b"[1,2,3]").0, "json");
        let noise: Vec<u8> = (0..128u32).flat_map(|i| crate::store::chunk_hash(&i.to_le_bytes())).collect();
        assert_eq!(pack(Compression::Zstd, "bytes", &noise).0, "bytes");
        let message = pack_message(Compression::Zstd, text.as_bytes());
        assert_eq!(unpack_message(message.into_owned()).unwrap(), text.as_bytes());
        assert_eq!(unpack_message(b"{\"a\":1}".to_vec()).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn a_damaged_frame_is_corrupt_not_a_panic() {
        let text = "lorem ipsum dolor sit amet ".repeat(100);
        let (kind, data) = pack(Compression::Zstd, "json", text.as_bytes());
        let cut = data[..data.len() / 2].to_vec();
        assert_eq!(unpack(kind.into_owned(), cut.clone()).unwrap_err().code, ErrorCode::Corrupt);
        assert_eq!(unpack_message(cut).unwrap_err().code, ErrorCode::Corrupt);
    }
}
