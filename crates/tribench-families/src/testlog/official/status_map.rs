//! The official parsers' result: test id to the raw status word, in a Python dict's order.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A status map in insertion order. An id seen again keeps its first position and takes the new
/// status, as a Python dict does. Statuses are the raw words a parser read (`PASSED`,
/// `FAILED`, ...): the official grader compares them as strings, and so must we.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusMap {
    entries: Vec<(String, Cow<'static, str>)>,
    /// Key hash -> index of the first entry with that hash; later ones with the same hash (a
    /// collision) are in `collided`.
    index: HashMap<u64, usize, BuildHasherDefault<FastHash>>,
    collided: Vec<usize>,
}

/// A fast non-cryptographic hash: SipHash's DoS resistance buys nothing on a test log.
#[derive(Default)]
struct FastHash(u64);

impl std::hash::Hasher for FastHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Eight bytes a step (FxHash's mixing), then the tail byte by byte.
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(*b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = h ^ bytes.len() as u64;
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn key_hash(id: &str) -> u64 {
    let mut h = FastHash::default();
    std::hash::Hasher::write(&mut h, id.as_bytes());
    std::hash::Hasher::finish(&h)
}

/// A status word as a shared string when it is one of the usual ones; anything else is kept
/// as read (the official grader compares words, so an odd one must survive unchanged).
fn interned(s: &str) -> Cow<'static, str> {
    match s {
        "PASSED" => Cow::Borrowed("PASSED"),
        "FAILED" => Cow::Borrowed("FAILED"),
        "SKIPPED" => Cow::Borrowed("SKIPPED"),
        "ERROR" => Cow::Borrowed("ERROR"),
        "XFAIL" => Cow::Borrowed("XFAIL"),
        "XPASS" => Cow::Borrowed("XPASS"),
        other => Cow::Owned(other.to_string()),
    }
}

impl StatusMap {
    fn position(&self, id: &str) -> Option<usize> {
        let h = key_hash(id);
        let first = *self.index.get(&h)?;
        if self.entries[first].0 == id {
            return Some(first);
        }
        self.collided
            .iter()
            .copied()
            .find(|&i| self.entries[i].0 == id)
    }

    pub fn insert(&mut self, id: impl Into<String> + AsRef<str>, status: impl AsRef<str>) {
        let status = interned(status.as_ref());
        if let Some(i) = self.position(id.as_ref()) {
            self.entries[i].1 = status;
            return;
        }
        let id: String = id.into();
        let h = key_hash(&id);
        let i = self.entries.len();
        match self.index.entry(h) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.collided.push(i),
        }
        self.entries.push((id, status));
    }

    pub fn get(&self, id: &str) -> Option<&str> {
        self.position(id).map(|i| self.entries[i].1.as_ref())
    }

    /// The stored id equal to `id`, with its status.
    pub fn entry(&self, id: &str) -> Option<(&str, &str)> {
        self.position(id)
            .map(|i| (self.entries[i].0.as_str(), self.entries[i].1.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// (id, status) in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }
}
