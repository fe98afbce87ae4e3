//! The site as a phone downloads it: the bundle's content-hashed files precompressed and kept for a year, pages
//! compressed on the fly, but only for requests this site started (a page reached from another site is sent as it
//! is, so its compressed size cannot leak what it shows).

use crate::common::{start, Call, Server};

const HASHES: [(&str, &str); 3] =
    [("js", "0a1b2c3d4e5f6071"), ("wasm", "8293a4b5c6d7e8f9"), ("css", "1f2e3d4c5b6a7980")];

/// A site root holding a bundle as `scripts/assets.mjs` leaves it: plain and hashed files, the hashed ones with a
/// `.br` and a `.gz` beside them (their content stands in for the compressed bytes), and the hash file.
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    for (kind, hash) in HASHES {
        let body = format!("/* the {kind} file */ ").repeat(500);
        std::fs::write(pkg.join(format!("sessions.{kind}")), &body).unwrap();
        std::fs::write(pkg.join(format!("sessions.{hash}.{kind}")), &body).unwrap();
        std::fs::write(pkg.join(format!("sessions.{hash}.{kind}.br")), format!("brotli {kind}")).unwrap();
        std::fs::write(pkg.join(format!("sessions.{hash}.{kind}.gz")), format!("gzip {kind}")).unwrap();
    }
    let hashes: String = HASHES.iter().map(|(kind, hash)| format!("{kind}: {hash}\n")).collect();
    std::fs::write(dir.path().join("hash.txt"), hashes).unwrap();
    dir
}

async fn serve(site: &tempfile::TempDir) -> Server {
    start(&[("LEPTOS_SITE_ROOT", site.path().to_str().unwrap())]).await
}

#[tokio::test]
async fn hashed_files_are_sent_precompressed_and_kept_for_a_year() {
    let site = site();
    let server = serve(&site).await;
    let wasm = "/pkg/sessions.8293a4b5c6d7e8f9.wasm";
    let get = |path, encodings: &'static str| {
        let call = Call::get(path).header("Sec-Fetch-Site", "same-origin");
        server.send(if encodings.is_empty() { call } else { call.header("Accept-Encoding", encodings) })
    };

    let br = get(wasm, "gzip, deflate, br, zstd").await;
    assert_eq!(br.status, 200, "{br:?}");
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.bytes, b"brotli wasm");
    assert_eq!(br.header("content-type"), Some("application/wasm"));
    assert_eq!(br.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(br.header("vary").is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")), "{}", br.head);

    let gz = get(wasm, "gzip").await;
    assert_eq!((gz.header("content-encoding"), gz.bytes.as_slice()), (Some("gzip"), b"gzip wasm".as_slice()));
    let plain = get(wasm, "").await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.starts_with("/* the wasm file */"), "{plain:?}");

    // A name without a hash can change under the same address: the browser asks again each time.
    let css = get("/pkg/sessions.css", "br").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("cache-control"), Some("no-cache"));
    // An unknown file is not cached at all.
    let missing = get("/pkg/sessions.0000000000000000.wasm", "br").await;
    assert_eq!(missing.status, 404);
    assert_ne!(missing.header("cache-control"), Some("public, max-age=31536000, immutable"));
}

#[tokio::test]
async fn pages_name_the_hashed_files_and_are_compressed_only_for_this_sites_requests() {
    let site = site();
    let server = serve(&site).await;
    let page = server.get("/signin").await;
    assert_eq!(page.status, 200);
    for (kind, hash) in HASHES {
        assert!(page.body.contains(&format!("/pkg/sessions.{hash}.{kind}")), "no hashed {kind} in {}", page.body);
    }

    let ask = |site: Option<&'static str>| {
        let call = Call::get("/signin").header("Accept-Encoding", "gzip, br");
        server.send(match site {
            Some(site) => call.header("Sec-Fetch-Site", site),
            None => call,
        })
    };
    for site in [Some("same-origin"), Some("none")] {
        let page = ask(site).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-encoding"), Some("br"), "Sec-Fetch-Site: {site:?}");
        assert_eq!(page.header("cache-control"), Some("no-store"));
    }
    for site in [Some("cross-site"), Some("same-site"), None] {
        let page = ask(site).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-encoding"), None, "Sec-Fetch-Site: {site:?}");
        assert!(page.body.contains("<html"), "Sec-Fetch-Site: {site:?}");
    }
}
