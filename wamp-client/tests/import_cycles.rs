//! No file of wamp-client imports a file that imports it back, directly or through others:
//! the layers stay layers (the transport below the driver, the driver below the session
//! handle, the handle below handlers and components).
//!
//! A file's imports are the paths it names into the crate (`crate::a::b`, `super::x`, and in a
//! `mod.rs` or `lib.rs` the paths into its own submodules), each resolved to the file of the
//! longest module prefix. Test modules (`tests.rs`, `#[cfg(test)] mod tests { .. }`) are left
//! out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["driver", "auth"]`) and its file.
type Modules = BTreeMap<Vec<String>, PathBuf>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn is_directory_module(file: &Path) -> bool {
    matches!(
        file.file_name().and_then(|n| n.to_str()),
        Some("mod.rs" | "lib.rs")
    )
}

/// The source without comments and without its trailing test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `a::b::c` path in `code`, as its segments, with the character before it; a group
/// (`a::{b, c::{d, e}}`) gives one path per item (`a::b`, `a::c::d`, `a::c::e`).
fn paths(code: &str) -> Vec<(Option<char>, Vec<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !ident(chars[i]) || (i > 0 && ident(chars[i - 1])) {
            i += 1;
            continue;
        }
        let before = if i > 0 { Some(chars[i - 1]) } else { None };
        let (segments, end) = path_at(&chars, i);
        if chars.get(end..end + 3) == Some(&[':', ':', '{']) {
            let (items, close) = group(&chars, end + 3);
            for item in items {
                let mut full = segments.clone();
                full.extend(item);
                out.push((before, full));
            }
            i = close.max(i + 1);
            continue;
        }
        if segments.len() > 1 {
            out.push((before, segments));
        }
        i = end.max(i + 1);
    }
    out
}

fn ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The `a::b::c` path starting at `start`, and where it ends.
fn path_at(chars: &[char], start: usize) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    let mut j = start;
    loop {
        let from = j;
        while j < chars.len() && ident(chars[j]) {
            j += 1;
        }
        segments.push(chars[from..j].iter().collect::<String>());
        if j + 2 < chars.len() && chars[j] == ':' && chars[j + 1] == ':' && ident(chars[j + 2]) {
            j += 2;
        } else {
            return (segments, j);
        }
    }
}

/// The items of the group opened just before `start` (after its `{`), each as the segments
/// under the group, and where the group ends (after its `}`).
fn group(chars: &[char], start: usize) -> (Vec<Vec<String>>, usize) {
    let mut items = Vec::new();
    let mut j = start;
    while j < chars.len() {
        let c = chars[j];
        if c == '}' {
            return (items, j + 1);
        }
        if !ident(c) {
            j += 1;
            continue;
        }
        let (segments, end) = path_at(chars, j);
        if chars.get(end..end + 3) == Some(&[':', ':', '{']) {
            let (inner, close) = group(chars, end + 3);
            for item in inner {
                let mut full = segments.clone();
                full.extend(item);
                items.push(full);
            }
            j = close;
        } else {
            // `x as y`: the alias is not a path.
            items.push(segments);
            j = end;
            while j < chars.len() && chars[j] != ',' && chars[j] != '}' {
                j += 1;
            }
        }
    }
    (items, j)
}

/// The file of the longest module prefix of `path`.
fn resolve<'a>(modules: &'a Modules, path: &[String]) -> Option<&'a PathBuf> {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].to_vec()))
}

fn imports(src: &Path, modules: &Modules, file: &Path) -> BTreeSet<PathBuf> {
    let me = module_of(src, file);
    let text = std::fs::read_to_string(file).expect("read file");
    let mut found = BTreeSet::new();
    for (before, segments) in paths(&code(&text)) {
        let path: Vec<String> = match segments[0].as_str() {
            "crate" => segments[1..].to_vec(),
            "super" => {
                let mut base = me.clone();
                base.pop();
                let mut rest = &segments[1..];
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                base
            }
            // `child::Item` in a mod.rs or lib.rs (not `x.child::` or `Type::child::`).
            first if is_directory_module(file) && before != Some(':') && before != Some('.') => {
                let mut child = me.clone();
                child.push(first.to_owned());
                if !modules.contains_key(&child) {
                    continue;
                }
                child.extend(segments[1..].iter().cloned());
                child
            }
            _ => continue,
        };
        if let Some(target) = resolve(modules, &path) {
            if target != file {
                found.insert(target.clone());
            }
        }
    }
    found
}

/// The strongly connected components of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct State<'a> {
        edges: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        next: usize,
        found: Vec<Vec<PathBuf>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a PathBuf) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| f.file_name().is_some_and(|n| n != "tests.rs"))
        .collect();
    let modules: Modules = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = files
        .iter()
        .map(|f| (f.clone(), imports(&src, &modules, f)))
        .collect();
    assert!(
        edges.values().map(BTreeSet::len).sum::<usize>() > files.len(),
        "the import scan found almost nothing: it is broken"
    );
    let found = cycles(&edges);
    let show = |p: &PathBuf| p.strip_prefix(&src).unwrap_or(p).display().to_string();
    let report: Vec<String> = found
        .iter()
        .map(|c| {
            let names: Vec<String> = c.iter().map(show).collect();
            let links: Vec<String> = c
                .iter()
                .flat_map(|a| {
                    edges[a]
                        .iter()
                        .filter(|b| c.contains(b))
                        .map(move |b| format!("{} -> {}", show(a), show(b)))
                })
                .collect();
            format!("{}: {}", names.join(", "), links.join("; "))
        })
        .collect();
    assert!(report.is_empty(), "import cycles:\n{}", report.join("\n"));
}
