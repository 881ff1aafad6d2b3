//! The layers of the workspace hold: each crate depends only on crates of the layers below it, and
//! its code names no crate above it. The compiler already refuses cycles; this refuses an arrow
//! pointing up (org using chat, say), which would compile until the day it closed a cycle. And a
//! module reads only its own tables; it calls the owner's functions for the rest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Bottom to top. A new module's crate goes where its dependencies put it.
const LAYERS: &[&str] = &[
    "kernel",
    "org",
    "identity",
    "admin",
    "apps",
    "chat",
    "approvals",
    "attendance",
    "wecom",
    "qixie",
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn internal_deps(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some(rest) = line.strip_prefix("qixie-") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            deps.push(name);
        }
    }
    deps
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_crate_is_a_known_layer() {
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            LAYERS.contains(&name.as_str()),
            "crates/{name} is not in LAYERS (tests/layers.rs): give it its place in the order"
        );
    }
}

#[test]
fn no_crate_depends_on_a_layer_above_it() {
    for (level, name) in LAYERS.iter().enumerate() {
        let manifest = std::fs::read_to_string(crates_dir().join(name).join("Cargo.toml")).unwrap();
        for dep in internal_deps(&manifest) {
            let at = LAYERS.iter().position(|l| *l == dep);
            assert!(
                at.is_some_and(|at| at < level),
                "crates/{name} depends on qixie-{dep}, which is not below it in {LAYERS:?}"
            );
        }
    }
}

#[test]
fn no_code_names_a_crate_above_its_own() {
    for (level, name) in LAYERS.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&crates_dir().join(name).join("src"), &mut files);
        assert!(!files.is_empty(), "crates/{name}/src has no Rust files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for above in &LAYERS[level + 1..] {
                let ident = format!("qixie_{above}");
                if *above != "qixie" {
                    assert!(
                        !text.contains(&format!("{ident}::")),
                        "{} names {ident}, a layer above {name}",
                        f.display()
                    );
                }
            }
        }
    }
}

/// Which module owns each table of the first migration (it created several modules' tables at
/// once); later migrations live in their owner's crate, which owns what they create.
const FOUNDATION_TABLES: &[(&str, &str)] = &[
    ("corps", "org"),
    ("departments", "org"),
    ("members", "org"),
    ("member_departments", "org"),
    ("department_leaders", "org"),
    ("tags", "org"),
    ("member_tags", "org"),
    ("tag_departments", "org"),
    ("admin_roles", "org"),
    ("credentials", "identity"),
    ("password_history", "identity"),
    ("sessions", "identity"),
    ("login_throttle", "identity"),
    ("apps", "apps"),
    ("access_tokens", "apps"),
    ("media", "wecom"),
    ("batch_jobs", "wecom"),
    ("audit_log", "kernel"),
    ("jobs", "kernel"),
    ("sequences", "kernel"),
];

fn table_owners() -> Vec<(String, String)> {
    let mut owners: Vec<(String, String)> = FOUNDATION_TABLES
        .iter()
        .map(|(t, o)| (t.to_string(), o.to_string()))
        .collect();
    for name in LAYERS {
        let dir = crates_dir().join(name).join("migrations");
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for line in text.lines() {
                let l = line.trim_start().to_ascii_uppercase();
                if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
                    let table = rest
                        .trim_start_matches("IF NOT EXISTS ")
                        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .next()
                        .unwrap()
                        .to_ascii_lowercase();
                    if !owners.iter().any(|(t, _)| *t == table) {
                        owners.push((table, name.to_string()));
                    }
                }
            }
        }
    }
    owners
}

#[test]
fn modules_read_only_their_own_tables() {
    let owners = table_owners();
    assert!(
        owners
            .iter()
            .any(|(t, o)| t == "chat_events" && o == "chat")
    );
    let mut found = Vec::new();
    for name in LAYERS {
        let mut files = Vec::new();
        rust_files(&crates_dir().join(name).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for word in ["FROM ", "JOIN ", "INTO ", "UPDATE "] {
                for (at, _) in text.match_indices(word) {
                    let table: String = text[at + word.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let Some((_, owner)) = owners.iter().find(|(t, _)| *t == table) else {
                        continue;
                    };
                    if owner != name && owner != "kernel" {
                        found.push((name.to_string(), table, f.display().to_string()));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "modules reading another module's tables (call the owner's functions, or join a fragment \
         the owner writes): {found:?}"
    );
}
