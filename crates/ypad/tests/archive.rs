//! `ypad export --event` on a data directory: the Markdown archive with its `index.md` in
//! schedule order, and the static site (which `tests/browser/site.test.mjs` opens in Chromium).

use std::path::Path;

mod common;

use common::ypad;

fn export(data: &Path, format: &str, out: &Path) -> std::process::Output {
    ypad()
        .args([
            "export",
            "--event",
            "summit-2026",
            "--format",
            format,
            "--out",
        ])
        .arg(out)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("ypad runs")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            out.extend(
                files_under(&entry.path())
                    .into_iter()
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

#[test]
fn an_event_exports_as_markdown_with_an_index_in_schedule_order() {
    let data = tempfile::tempdir().unwrap();
    ypad_tests::seed_summit(data.path());
    let out = tempfile::tempdir().unwrap();
    let done = export(data.path(), "md", out.path());
    let log = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{log}");
    assert!(log.contains("exported 2 of 3 session(s)"), "{log}");
    assert_eq!(
        files_under(out.path()),
        [
            "index.md",
            "summit-2026-closing.md",
            "summit-2026-keynote.md"
        ]
    );
    let index = std::fs::read_to_string(out.path().join("index.md")).unwrap();
    let expected = "\
# Summit 2026

2026-05-12 – 2026-05-13
Times are in Europe/Berlin.

## Tuesday 12 May 2026

- 09:00–10:00 [Keynote](<summit-2026-keynote.md>) · Hall A · by Ana
- 11:00–12:00 Hallway track (no notes) · Lobby

## Wednesday 13 May 2026

- 11:00–12:00 [Closing \\& next steps](<summit-2026-closing.md>) · Hall \\<B\\> · by Bo \\<b\\>
";
    assert_eq!(index, expected);
    let keynote = std::fs::read_to_string(out.path().join("summit-2026-keynote.md")).unwrap();
    assert!(keynote.starts_with("# Keynote"), "{keynote}");
}

#[test]
fn an_event_exports_as_a_static_site() {
    let data = tempfile::tempdir().unwrap();
    ypad_tests::seed_summit(data.path());
    let out = tempfile::tempdir().unwrap();
    let done = export(data.path(), "site", out.path());
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(
        files_under(out.path()),
        [
            "index.html",
            "pads/summit-2026-closing.html",
            "pads/summit-2026-keynote.html",
            "style.css"
        ]
    );
    let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    let keynote_at = index.find("pads/summit-2026-keynote.html").unwrap();
    let closing_at = index.find("pads/summit-2026-closing.html").unwrap();
    assert!(keynote_at < closing_at, "schedule order: {index}");
    assert!(index.contains("Bo &lt;b&gt;"), "{index}");
    let page = std::fs::read_to_string(out.path().join("pads/summit-2026-keynote.html")).unwrap();
    assert!(
        page.contains("Tuesday 12 May 2026, 09:00–10:00 (Europe/Berlin)"),
        "{page}"
    );
    assert!(
        page.contains("<dd>Hall A</dd>") && page.contains("<dd>Ana</dd>"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;"), "{page}");
    assert!(
        !page.contains("<script") && !page.contains("<img"),
        "{page}"
    );
}

#[test]
fn exporting_an_unknown_event_or_format_says_so() {
    let data = tempfile::tempdir().unwrap();
    ypad_tests::seed_summit(data.path());
    let out = tempfile::tempdir().unwrap();
    let missing = ypad()
        .args(["export", "--event", "nope", "--out"])
        .arg(out.path())
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("event nope does not exist"));
    let bad = export(data.path(), "etherpad", out.path());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("use md or site"));
    let site_without_event = ypad()
        .args(["export", "--format", "site", "--out"])
        .arg(out.path())
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!site_without_event.status.success());
    assert!(String::from_utf8_lossy(&site_without_event.stderr).contains("give --event"));
}

#[test]
fn an_event_exports_the_same_through_a_running_server() {
    let data = tempfile::tempdir().unwrap();
    ypad_tests::seed_summit(data.path());
    let direct = tempfile::tempdir().unwrap();
    let done = export(data.path(), "md", direct.path());
    assert!(done.status.success());
    let (mut server, addr) = common::serve(data.path());
    let key = std::fs::read_to_string(data.path().join("APIKEY.txt")).unwrap();
    let served = tempfile::tempdir().unwrap();
    let done = ypad()
        .args(["export", "--event", "summit-2026", "--out"])
        .arg(served.path())
        .args([
            "--server",
            &format!("http://{addr}"),
            "--api-key",
            key.trim(),
        ])
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(files_under(served.path()), files_under(direct.path()));
    for file in files_under(direct.path()) {
        assert_eq!(
            std::fs::read_to_string(served.path().join(&file)).unwrap(),
            std::fs::read_to_string(direct.path().join(&file)).unwrap(),
            "{file}"
        );
    }
}
