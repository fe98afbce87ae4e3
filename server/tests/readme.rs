//! The README's "Add it to your site" snippets are excerpts of `examples/host_site.rs`, which is compiled and driven
//! by a browser test. This keeps them from drifting: each `<!-- excerpt: host_site.rs NAME -->` code block must equal
//! the text between `// ANCHOR: NAME` and `// ANCHOR_END: NAME` in the example, indentation aside.

fn anchored(source: &str, name: &str) -> String {
    let start = format!("// ANCHOR: {name}\n");
    let end = format!("// ANCHOR_END: {name}");
    let from = source.find(&start).unwrap_or_else(|| panic!("no anchor {name} in host_site.rs")) + start.len();
    let to = from + source[from..].find(&end).unwrap_or_else(|| panic!("anchor {name} is not closed"));
    normalize(&source[from..to])
}

fn normalize(code: &str) -> String {
    code.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

#[test]
fn readme_snippets_are_excerpts_of_the_example_site() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/host_site.rs");
    let marker = "<!-- excerpt: host_site.rs ";
    let mut checked = Vec::new();
    for (at, _) in readme.match_indices(marker) {
        let rest = &readme[at + marker.len()..];
        let name = rest[..rest.find(" -->").expect("excerpt marker closes")].trim();
        let block = &rest[rest.find("```rust\n").expect("a rust block follows the marker") + "```rust\n".len()..];
        let block = &block[..block.find("```").expect("the block closes")];
        assert_eq!(normalize(block), anchored(example, name), "README excerpt {name:?} differs from host_site.rs");
        checked.push(name.to_owned());
    }
    checked.sort();
    assert_eq!(checked, ["layer", "login", "page", "router"], "every anchored part of the example is in the README");
}
