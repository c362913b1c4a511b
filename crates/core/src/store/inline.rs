//! Channel values kept in the checkpoint's own row (`flg_checkpoints.inline_values`).
//!
//! A blob row costs a put its own B-tree insert and index entry, and the write-ahead log a page
//! or two, about as much as the checkpoint row itself. Small values are cheaper kept in the row,
//! and copied from the parent's row while they do not change; only large values are stored once
//! per (channel, version) as blobs.
//!
//! Layout: for each value, `channel`, `type` and `data`, each a little-endian u32 length followed
//! by its bytes.

use super::{TypedValue, ValueRef};
use crate::error::{Error, ErrorCode, Result};

/// Bytes of values one row keeps: with the rest of the row, they fit one 4 KB page.
pub const BUDGET: usize = 2048;

pub fn pack(values: &[(&str, ValueRef<'_>)]) -> Option<Vec<u8>> {
    if values.is_empty() {
        return None;
    }
    let size = values.iter().map(|(channel, v)| 12 + channel.len() + v.kind.len() + v.data.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (channel, value) in values {
        for field in [channel.as_bytes(), value.kind.as_bytes(), value.data] {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        }
    }
    Some(out)
}

pub fn unpack(mut bytes: &[u8]) -> Result<Vec<(String, TypedValue)>> {
    let mut values = Vec::new();
    while !bytes.is_empty() {
        let channel = text(field(&mut bytes)?)?;
        let kind = text(field(&mut bytes)?)?;
        let data = field(&mut bytes)?.to_vec();
        values.push((channel, TypedValue { kind, data }));
    }
    Ok(values)
}

fn field<'a>(bytes: &mut &'a [u8]) -> Result<&'a [u8]> {
    let corrupt = || Error::new(ErrorCode::Corrupt, "stored inline channel values are truncated");
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or_else(corrupt)?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(corrupt());
    }
    let (value, rest) = rest.split_at(len);
    *bytes = rest;
    Ok(value)
}

fn text(bytes: &[u8]) -> Result<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::new(ErrorCode::Corrupt, "a stored inline channel name or type is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_truncation() {
        let values = [
            ("step", ValueRef { kind: "json", data: b"3" }),
            ("branch:to:agent", ValueRef { kind: "empty", data: b"" }),
        ];
        let packed = pack(&values).unwrap();
        assert_eq!(
            unpack(&packed).unwrap(),
            vec![
                ("step".to_string(), TypedValue::new("json", "3")),
                ("branch:to:agent".to_string(), TypedValue::new("empty", "")),
            ]
        );
        assert!(pack(&[]).is_none());
        // A cut between two values reads as the first; any other is reported, never a panic.
        let first = pack(&values[..1]).unwrap().len();
        for cut in (1..packed.len()).filter(|&cut| cut != first) {
            let err = unpack(&packed[..cut]).unwrap_err();
            assert_eq!(err.code, ErrorCode::Corrupt, "cut at {cut}");
        }
    }
}
