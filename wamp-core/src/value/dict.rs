//! [`Dict`]: the dictionary of WAMP values, a vector of entries kept sorted by key.
//!
//! WAMP dictionaries (options, details, keyword arguments) are small: a sorted vector is one
//! allocation of exactly their size, where a `BTreeMap` allocates a node of eleven slots, and
//! it looks keys up by binary search. Decoding builds it in bulk (sort once), so a large
//! dictionary from the wire costs O(n log n), never O(n²).

use std::fmt;

use super::{Str, Value};

/// A dictionary with string keys, kept sorted by key with unique keys (iteration is in key
/// order, like a `BTreeMap`).
///
/// ```
/// use wamp_core::{Dict, Value};
///
/// let mut d = Dict::new();
/// d.insert("b".into(), Value::Int(2));
/// d.insert("a".into(), Value::Int(1));
/// assert_eq!(d.get("a"), Some(&Value::Int(1)));
/// assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "b"]);
/// let same: Dict = [("b".to_owned(), Value::Int(2)), ("a".to_owned(), Value::Int(1))]
///     .into_iter()
///     .collect();
/// assert_eq!(d, same);
/// ```
#[derive(Clone, Default, PartialEq)]
pub struct Dict {
    /// Sorted by key, keys unique.
    entries: Vec<(Str, Value)>,
}

impl Dict {
    /// An empty dictionary (no allocation).
    pub const fn new() -> Self {
        Dict {
            entries: Vec::new(),
        }
    }

    /// An empty dictionary with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Dict {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// A dictionary of `entries` in any order; for a repeated key the last value wins.
    pub fn from_entries(mut entries: Vec<(Str, Value)>) -> Self {
        normalize(&mut entries);
        Dict { entries }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.find(key) {
            Ok(i) => Some(&mut self.entries[i].1),
            Err(_) => None,
        }
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the previous value (O(n): build large dictionaries
    /// with [`Dict::from_entries`] or `collect`).
    pub fn insert(&mut self, key: Str, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.entries.remove(i).1)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The values in key order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }
}

/// Sorts by key and keeps the last of repeated keys.
fn normalize(entries: &mut Vec<(Str, Value)>) {
    if entries.windows(2).all(|w| w[0].0 < w[1].0) {
        return;
    }
    // Stable: equal keys keep their order, so the last one of a run is the latest.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    // In place (no second buffer): a run of equal keys keeps its first entry, which takes the
    // value of each later one in turn.
    entries.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            std::mem::swap(&mut later.1, &mut kept.1);
        }
        same
    });
}

/// The iterator of [`Dict::iter`].
pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (Str, Value)>,
    fn(&'a (Str, Value)) -> (&'a Str, &'a Value),
>;

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<Str>> FromIterator<(K, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (K, Value)>>(iter: I) -> Self {
        Dict::from_entries(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

impl<K: Into<Str>> Extend<(K, Value)> for Dict {
    fn extend<I: IntoIterator<Item = (K, Value)>>(&mut self, iter: I) {
        self.entries
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v)));
        normalize(&mut self.entries);
    }
}

impl IntoIterator for Dict {
    type Item = (Str, Value);
    type IntoIter = std::vec::IntoIter<(Str, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Dict {
    type Item = (&'a Str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Into<Str>, const N: usize> From<[(K, Value); N]> for Dict {
    fn from(entries: [(K, Value); N]) -> Self {
        entries.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_sorted_and_unique_whatever_the_insertion_order() {
        let mut d = Dict::new();
        for (k, v) in [("c", 3), ("a", 1), ("b", 2), ("a", 10)] {
            d.insert(k.into(), Value::Int(v));
        }
        assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(d.get("a"), Some(&Value::Int(10)));
        assert_eq!(d.len(), 3);
        assert_eq!(d.remove("b"), Some(Value::Int(2)));
        assert!(!d.contains_key("b"));
    }

    #[test]
    fn the_last_of_repeated_keys_wins_in_bulk_construction() {
        let d: Dict = [("k", 1), ("j", 0), ("k", 2), ("k", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::Int(v)))
            .collect();
        assert_eq!(d.len(), 2);
        assert_eq!(d.get("k"), Some(&Value::Int(3)));
    }

    #[test]
    fn equal_contents_compare_equal_whatever_the_order_built() {
        let a: Dict = [
            ("x".to_owned(), Value::Null),
            ("y".to_owned(), Value::Bool(true)),
        ]
        .into();
        let b: Dict = [
            ("y".to_owned(), Value::Bool(true)),
            ("x".to_owned(), Value::Null),
        ]
        .into();
        assert_eq!(a, b);
    }

    #[test]
    fn a_large_dictionary_builds_in_bulk_quickly() {
        let n = 200_000;
        let d: Dict = (0..n)
            .rev()
            .map(|i| (format!("k{i:07}"), Value::Int(i)))
            .collect();
        assert_eq!(d.len(), n as usize);
        assert_eq!(d.get("k0000042"), Some(&Value::Int(42)));
    }
}
