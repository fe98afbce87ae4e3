//! The README's "Add it to your site" snippets are excerpts of compiled code that tests drive: the example host site
//! `examples/host-site` (a browser test) and the axum-login test app `sessions/tests/it/axum_login.rs`. This keeps them from drifting: each
//! `<!-- excerpt: FILE NAME -->` code block must equal the text between `// ANCHOR: NAME` and `// ANCHOR_END: NAME`
//! in that file, indentation aside.

fn anchored(file: &str, source: &str, name: &str) -> String {
    let start = format!("// ANCHOR: {name}\n");
    let end = format!("// ANCHOR_END: {name}");
    let from = source.find(&start).unwrap_or_else(|| panic!("no anchor {name} in {file}")) + start.len();
    let to = from + source[from..].find(&end).unwrap_or_else(|| panic!("anchor {name} is not closed"));
    normalize(&source[from..to])
}

fn normalize(code: &str) -> String {
    code.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

const SOURCES: [(&str, &str); 3] = [
    ("host-site/lib.rs", include_str!("../../../examples/host-site/src/lib.rs")),
    ("host-site/main.rs", include_str!("../../../examples/host-site/src/main.rs")),
    ("axum_login.rs", include_str!("../../../sessions/tests/it/axum_login.rs")),
];

#[test]
fn readme_snippets_are_excerpts_of_tested_code() {
    let readme = include_str!("../../../README.md");
    let marker = "<!-- excerpt: ";
    let mut checked = Vec::new();
    for (at, _) in readme.match_indices(marker) {
        let rest = &readme[at + marker.len()..];
        let (file, name) = rest[..rest.find(" -->").expect("excerpt marker closes")]
            .trim()
            .split_once(' ')
            .expect("an excerpt names a file and an anchor");
        let (_, source) = SOURCES.iter().find(|(f, _)| *f == file).unwrap_or_else(|| panic!("unknown file {file}"));
        let block = &rest[rest.find("```rust\n").expect("a rust block follows the marker") + "```rust\n".len()..];
        let block = &block[..block.find("```").expect("the block closes")];
        assert_eq!(normalize(block), anchored(file, source, name), "README excerpt {file} {name:?} differs");
        checked.push(format!("{file} {name}"));
    }
    checked.sort();
    let expected = [
        "axum_login.rs confirm",
        "axum_login.rs login",
        "axum_login.rs logout",
        "axum_login.rs password",
        "axum_login.rs router",
        "host-site/lib.rs hydrate",
        "host-site/lib.rs imports",
        "host-site/lib.rs login",
        "host-site/lib.rs page",
        "host-site/main.rs layer",
        "host-site/main.rs router",
    ];
    assert_eq!(checked, expected, "every anchored part is in the README");
}

#[test]
fn readme_feature_lines_are_the_example_sites() {
    let readme = include_str!("../../../README.md");
    let manifest = include_str!("../../../examples/host-site/Cargo.toml");
    let at = readme.find("```toml\n[features]").expect("the README shows the example's features");
    let block = &readme[at + "```toml\n".len()..];
    let block = &block[..block.find("```").expect("the block closes")];
    for line in block.lines().filter(|l| l.starts_with("ssr =") || l.starts_with("hydrate =")) {
        assert!(
            manifest.lines().any(|l| l == line),
            "README feature line not in examples/host-site/Cargo.toml: {line}"
        );
    }
    assert_eq!(block.lines().filter(|l| l.starts_with("ssr =") || l.starts_with("hydrate =")).count(), 2);
}
