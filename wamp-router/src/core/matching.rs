//! Tables of URI patterns (exact, prefix, wildcard) and their matching, for registrations and
//! subscriptions.
//!
//! Precedence for a call (the dealer's [`MatchTable::best`]): an exact registration wins; else
//! the longest matching prefix; else among matching wildcards the one whose literal components
//! come first: compared component by component from the left, a literal beats an empty (wild)
//! one. This is the order in which Crossbar.io's wildcard trie finds matches (it tries the
//! literal child before the wild one at each level), and the spec's "longest literal prefix"
//! rule: `com.example..get` beats `com...get` for `com.example.x.get`.
//!
//! A prefix matches textually, as in Crossbar.io: `com.ex` matches `com.example`.
//!
//! Lookups cost one hash probe per distinct prefix length and per distinct wildcard shape (the
//! positions of the wild components), never a scan over every pattern.

use std::collections::HashMap;

use wamp_core::id::Id;
use wamp_core::uri::MatchPolicy;
use wamp_core::Str;

/// A table from `(uri, match policy)` to an id (one registration or subscription per pair).
#[derive(Debug, Default)]
pub(crate) struct MatchTable {
    exact: HashMap<Str, Id>,
    prefix: HashMap<Str, Id>,
    /// Distinct lengths of the prefixes in `prefix`, with their counts, longest first when
    /// iterated in reverse.
    prefix_lengths: std::collections::BTreeMap<usize, usize>,
    wildcard: HashMap<Str, Id>,
    /// Wildcard shapes by component count: which components are wild, and how many patterns
    /// have that shape.
    shapes: HashMap<usize, HashMap<Vec<bool>, usize>>,
}

fn shape(pattern: &str) -> Vec<bool> {
    pattern.split('.').map(str::is_empty).collect()
}

impl MatchTable {
    /// The id of exactly `(uri, policy)`.
    pub(crate) fn get(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        match policy {
            MatchPolicy::Exact => self.exact.get(uri).copied(),
            MatchPolicy::Prefix => self.prefix.get(uri).copied(),
            MatchPolicy::Wildcard => self.wildcard.get(uri).copied(),
        }
    }

    /// Adds `(uri, policy) -> id`; the pair must not be present.
    pub(crate) fn insert(&mut self, uri: &str, policy: MatchPolicy, id: Id) {
        match policy {
            MatchPolicy::Exact => {
                self.exact.insert(Str::new(uri), id);
            }
            MatchPolicy::Prefix => {
                if self.prefix.insert(Str::new(uri), id).is_none() {
                    *self.prefix_lengths.entry(uri.len()).or_insert(0) += 1;
                }
            }
            MatchPolicy::Wildcard => {
                if self.wildcard.insert(Str::new(uri), id).is_none() {
                    let s = shape(uri);
                    *self
                        .shapes
                        .entry(s.len())
                        .or_default()
                        .entry(s)
                        .or_insert(0) += 1;
                }
            }
        }
    }

    /// Removes `(uri, policy)`.
    pub(crate) fn remove(&mut self, uri: &str, policy: MatchPolicy) {
        match policy {
            MatchPolicy::Exact => {
                self.exact.remove(uri);
            }
            MatchPolicy::Prefix => {
                if self.prefix.remove(uri).is_some() {
                    if let Some(n) = self.prefix_lengths.get_mut(&uri.len()) {
                        *n -= 1;
                        if *n == 0 {
                            self.prefix_lengths.remove(&uri.len());
                        }
                    }
                }
            }
            MatchPolicy::Wildcard => {
                if self.wildcard.remove(uri).is_some() {
                    let s = shape(uri);
                    let len = s.len();
                    if let Some(by_shape) = self.shapes.get_mut(&len) {
                        if let Some(n) = by_shape.get_mut(&s) {
                            *n -= 1;
                            if *n == 0 {
                                by_shape.remove(&s);
                            }
                        }
                        if by_shape.is_empty() {
                            self.shapes.remove(&len);
                        }
                    }
                }
            }
        }
    }

    /// The ids of every pattern matching `uri`: exact, then prefixes (longest first), then
    /// wildcards (most literal first).
    pub(crate) fn all(&self, uri: &str) -> Vec<Id> {
        let mut out = Vec::new();
        if let Some(&id) = self.exact.get(uri) {
            out.push(id);
        }
        for len in self.prefix_lengths.keys().rev() {
            if let Some(p) = uri.get(..*len) {
                if let Some(&id) = self.prefix.get(p) {
                    out.push(id);
                }
            }
        }
        out.extend(self.wildcards(uri).into_iter().map(|(_, id)| id));
        out
    }

    /// The id of the pattern a call to `uri` goes to (see the module docs for the precedence).
    pub(crate) fn best(&self, uri: &str) -> Option<Id> {
        if let Some(&id) = self.exact.get(uri) {
            return Some(id);
        }
        for len in self.prefix_lengths.keys().rev() {
            if let Some(p) = uri.get(..*len) {
                if let Some(&id) = self.prefix.get(p) {
                    return Some(id);
                }
            }
        }
        self.wildcards(uri).into_iter().next().map(|(_, id)| id)
    }

    /// Matching wildcard patterns, most literal first.
    fn wildcards(&self, uri: &str) -> Vec<(Vec<bool>, Id)> {
        if self.wildcard.is_empty() {
            return Vec::new();
        }
        let parts: Vec<&str> = uri.split('.').collect();
        let Some(by_shape) = self.shapes.get(&parts.len()) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let mut key = String::with_capacity(uri.len());
        for s in by_shape.keys() {
            key.clear();
            for (i, (part, wild)) in parts.iter().zip(s).enumerate() {
                if i > 0 {
                    key.push('.');
                }
                if !wild {
                    key.push_str(part);
                }
            }
            if let Some(&id) = self.wildcard.get(key.as_str()) {
                found.push((s.clone(), id));
            }
        }
        // A literal (false) before a wild (true) component: ascending order of the shapes.
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// Every `(uri, policy, id)` of one policy.
    pub(crate) fn ids(&self, policy: MatchPolicy) -> Vec<Id> {
        let map = match policy {
            MatchPolicy::Exact => &self.exact,
            MatchPolicy::Prefix => &self.prefix,
            MatchPolicy::Wildcard => &self.wildcard,
        };
        let mut ids: Vec<Id> = map.values().copied().collect();
        ids.sort_unstable();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, MatchPolicy, Id)]) -> MatchTable {
        let mut t = MatchTable::default();
        for &(u, p, id) in entries {
            t.insert(u, p, id);
        }
        t
    }

    #[test]
    fn an_exact_pattern_wins_over_prefix_and_wildcard() {
        let t = table(&[
            ("com.example.", MatchPolicy::Prefix, 2),
            ("com..add", MatchPolicy::Wildcard, 3),
            ("com.example.add", MatchPolicy::Exact, 1),
        ]);
        assert_eq!(t.best("com.example.add"), Some(1));
    }

    #[test]
    fn the_longest_prefix_wins_over_shorter_ones_and_wildcards() {
        let t = table(&[
            ("com.", MatchPolicy::Prefix, 1),
            ("com.example.", MatchPolicy::Prefix, 2),
            ("com.example..x", MatchPolicy::Wildcard, 3),
        ]);
        assert_eq!(t.best("com.example.a.x"), Some(2));
        assert_eq!(t.best("com.other"), Some(1));
        assert_eq!(t.best("org.x"), None);
    }

    #[test]
    fn a_prefix_matches_textually() {
        let t = table(&[("com.ex", MatchPolicy::Prefix, 1)]);
        assert_eq!(t.best("com.example"), Some(1));
    }

    #[test]
    fn the_empty_prefix_matches_everything() {
        let t = table(&[("", MatchPolicy::Prefix, 9)]);
        assert_eq!(t.best("a"), Some(9));
    }

    #[test]
    fn among_wildcards_the_one_with_literals_first_wins() {
        let t = table(&[
            ("com...get", MatchPolicy::Wildcard, 1),
            ("com.example..get", MatchPolicy::Wildcard, 2),
            (".example.x.", MatchPolicy::Wildcard, 3),
        ]);
        assert_eq!(t.best("com.example.x.get"), Some(2));
        assert_eq!(t.all("com.example.x.get"), vec![2, 1, 3]);
    }

    #[test]
    fn a_wildcard_matches_only_uris_with_as_many_components() {
        let t = table(&[("com..get", MatchPolicy::Wildcard, 1)]);
        assert_eq!(t.best("com.a.get"), Some(1));
        assert_eq!(t.best("com.a.b.get"), None);
        assert_eq!(t.best("com.get"), None);
    }

    #[test]
    fn every_matching_pattern_is_listed_for_a_publication() {
        let t = table(&[
            ("a.b.c", MatchPolicy::Exact, 1),
            ("a.b", MatchPolicy::Prefix, 2),
            ("a.", MatchPolicy::Prefix, 3),
            ("a..c", MatchPolicy::Wildcard, 4),
            ("x.y", MatchPolicy::Exact, 5),
        ]);
        assert_eq!(t.all("a.b.c"), vec![1, 2, 3, 4]);
    }

    #[test]
    fn removed_patterns_no_longer_match() {
        let mut t = table(&[
            ("a.", MatchPolicy::Prefix, 1),
            ("a..c", MatchPolicy::Wildcard, 2),
            ("a.b.c", MatchPolicy::Exact, 3),
        ]);
        t.remove("a.", MatchPolicy::Prefix);
        t.remove("a..c", MatchPolicy::Wildcard);
        t.remove("a.b.c", MatchPolicy::Exact);
        assert!(t.all("a.b.c").is_empty());
        assert!(t.prefix_lengths.is_empty());
        assert!(t.shapes.is_empty());
    }

    #[test]
    fn a_uri_with_a_multibyte_character_never_splits_it() {
        let t = table(&[("é", MatchPolicy::Prefix, 1), ("a", MatchPolicy::Prefix, 2)]);
        // "é" is two bytes: a prefix length of 1 falls inside it and must not panic.
        assert_eq!(t.best("éa"), Some(1));
        assert_eq!(t.best("a"), Some(2));
    }
}
