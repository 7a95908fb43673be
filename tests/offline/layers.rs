//! The map in src/lib.rs stays true: each layer imports only the layers it may.

use std::path::Path;

/// Each layer (a folder of src/) and the layers it may import; `recent` is a utility any may use.
const ALLOWED: [(&str, &[&str]); 7] = [
    ("feedback", &[]),
    ("storage", &[]),
    ("sources", &["feedback"]),
    ("operations", &["feedback"]),
    ("log_events", &["feedback", "sources", "storage"]),
    (
        "pipeline",
        &["feedback", "sources", "log_events", "storage", "operations"],
    ),
    (
        "app",
        &[
            "feedback",
            "sources",
            "log_events",
            "storage",
            "operations",
            "pipeline",
        ],
    ),
];

fn sources_of(folder: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(folder).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources_of(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            out.push((path.display().to_string(), text));
        }
    }
}

/// The layers a file names as `crate::<layer>`.
fn layers_named(text: &str) -> Vec<&str> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            let rest = &text[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn every_layer_imports_only_what_the_map_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (layer, allowed) in ALLOWED {
        let mut files = Vec::new();
        sources_of(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer}/ has no sources");
        for (file, text) in &files {
            for named in layers_named(text) {
                if named != layer && named != "recent" && !allowed.contains(&named) {
                    wrong.push(format!("{file} imports crate::{named}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_layer_scan_sees_what_a_file_names() {
    assert_eq!(
        layers_named("use crate::feedback::reason;\nlet x = crate::sources::Envelope;"),
        ["feedback", "sources"]
    );
}
