//! The `ypad` command line: export and import on a data directory and through a server.

use std::path::Path;
use std::process::{Child, Command};

mod common;

use common::{fixture, ypad};

#[track_caller]
fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("ypad runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A `ypad serve` process on a loopback port; killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(data: &Path) -> Served {
        let (child, addr) = common::serve(data);
        Served {
            child,
            url: format!("http://{addr}"),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn import_then_export_a_summit_on_a_data_directory() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let notes = data.path().join("summit-intro.md");
    std::fs::write(&notes, "# Intro\n").unwrap();
    run_ok(
        ypad()
            .arg("import")
            .arg(fixture("kilo-oslo-sessions.etherpad"))
            .arg(fixture("ocata-tripleo-summary.etherpad"))
            .arg("--data-dir")
            .arg(data.path()),
    );
    run_ok(
        ypad()
            .arg("import")
            .arg(&notes)
            .args(["--pad", "summit-intro"])
            .arg("--data-dir")
            .arg(data.path()),
    );
    let log = run_ok(
        ypad()
            .args(["export", "--prefix", "kilo-", "--out"])
            .arg(out.path())
            .arg("--data-dir")
            .arg(data.path()),
    );
    assert!(log.contains("exported 1 pad(s)"), "{log}");
    let files: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["kilo-oslo-sessions.md"]);
    let md = std::fs::read_to_string(out.path().join("kilo-oslo-sessions.md")).unwrap();
    assert!(
        md.contains("**") && md.lines().any(|l| l.starts_with("- ")),
        "{md}"
    );

    // Every pad, in HTML.
    run_ok(
        ypad()
            .args(["export", "--format", "html", "--out"])
            .arg(out.path().join("all"))
            .arg("--data-dir")
            .arg(data.path()),
    );
    let mut all: Vec<String> = std::fs::read_dir(out.path().join("all"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    all.sort();
    assert_eq!(
        all,
        [
            "kilo-oslo-sessions.html",
            "ocata-tripleo-summary.html",
            "summit-intro.html"
        ]
    );

    // Errors name the problem and write nothing.
    let bad = ypad()
        .args(["export", "no-such-pad", "--out"])
        .arg(out.path().join("none"))
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("pad no-such-pad does not exist"));
    let garbage = data.path().join("broken.etherpad");
    std::fs::write(&garbage, "{").unwrap();
    let bad = ypad()
        .arg("import")
        .arg(&garbage)
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("broken.etherpad"));
}

#[test]
fn export_and_import_through_a_running_server() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let served = Served::start(data.path());
    let key = std::fs::read_to_string(data.path().join("APIKEY.txt")).unwrap();
    run_ok(
        ypad()
            .arg("import")
            .arg(fixture("YVR-S-release-goals.etherpad"))
            .args(["--server", &served.url, "--api-key", key.trim()]),
    );
    // The data directory is in use by the server: direct access is refused with a hint,
    // promptly rather than after the store's full lock grace (10 s).
    let refused_promptly = |command: &mut std::process::Command| {
        let asked = std::time::Instant::now();
        let locked = command.arg("--data-dir").arg(data.path()).output().unwrap();
        let waited = asked.elapsed();
        assert!(!locked.status.success());
        assert!(String::from_utf8_lossy(&locked.stderr).contains("--server"));
        assert!(
            waited < std::time::Duration::from_secs(5),
            "the hint took {waited:?}"
        );
    };
    refused_promptly(ypad().args(["export", "--out"]).arg(out.path()));
    refused_promptly(
        ypad()
            .arg("import")
            .arg(fixture("YVR-S-release-goals.etherpad")),
    );

    run_ok(
        ypad()
            .args(["export", "--format", "txt", "--out"])
            .arg(out.path())
            .args(["--server", &served.url, "--api-key", key.trim()]),
    );
    let txt = std::fs::read_to_string(out.path().join("YVR-S-release-goals.txt")).unwrap();
    assert!(txt.starts_with("Stein release goals"), "{txt}");
}

#[test]
fn event_create_on_a_data_directory_then_through_a_server() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let ics = files.path().join("ptg.ics");
    std::fs::write(
        &ics,
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:nova\r\nSUMMARY:Nova\r\n\
         DTSTART:20300414T080000Z\r\nDTEND:20300414T090000Z\r\nLOCATION:Room 2\r\nEND:VEVENT\r\n\
         END:VCALENDAR\r\n",
    )
    .unwrap();
    let template = files.path().join("template.md");
    std::fs::write(&template, "# {{title}} ({{room}})\n\n{{starts}}\n").unwrap();
    let out = run_ok(
        ypad()
            .args(["event", "create", "ptg", "--from"])
            .arg(&ics)
            .args([
                "--title",
                "PTG",
                "--time-zone",
                "Europe/Berlin",
                "--template",
            ])
            .arg(&template)
            .arg("--data-dir")
            .arg(data.path()),
    );
    assert!(out.contains("event ptg: 1 pad(s) created"), "{out}");

    // A schedule with a mistake names it, and changes nothing.
    let bad = files.path().join("bad.csv");
    std::fs::write(&bad, "title,start,end\nCinder,tomorrow,2030-04-14 10:00\n").unwrap();
    let refused = ypad()
        .args(["event", "create", "ptg", "--from"])
        .arg(&bad)
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("\"tomorrow\" is not a time"), "{why}");

    let served = Served::start(data.path());
    let key = std::fs::read_to_string(data.path().join("APIKEY.txt")).unwrap();
    let json = files.path().join("ptg.json");
    std::fs::write(
        &json,
        r#"[{"title": "Nova", "pad": "nova", "start": "2030-04-14 10:00", "end": "2030-04-14 11:00", "room": "Room 2"},
            {"title": "Cinder", "start": "2030-04-14 11:00", "end": "2030-04-14 12:00"}]"#,
    )
    .unwrap();
    let out = run_ok(
        ypad()
            .args(["event", "create", "ptg", "--from"])
            .arg(&json)
            .args(["--server", &served.url, "--api-key", key.trim()]),
    );
    assert!(
        out.contains("event ptg: 1 pad(s) created, 0 refilled"),
        "{out}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let text = |pad: &str| {
        let url = format!("{}/api/v1/pads/{pad}/text", served.url);
        runtime.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() })
    };
    assert_eq!(
        text("ptg-nova"),
        "# Nova (Room 2)\n\nSun 14 Apr 2030, 10:00–11:00 Europe/Berlin\n"
    );
    assert!(text("ptg-cinder").starts_with("# Cinder ()\n"));
    let refused = ypad()
        .args(["event", "create", "ptg", "--from"])
        .arg(&json)
        .args(["--server", &served.url, "--api-key", "wrong"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("401"));
}

#[test]
fn export_with_comments_as_footnotes_on_a_data_directory_and_through_a_server() {
    let data = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ypad-formats/tests/fixtures/ep_comments_page/demo.etherpad");
    run_ok(
        ypad()
            .arg("import")
            .arg(&file)
            .arg("--data-dir")
            .arg(data.path()),
    );
    let export = |dir: &str, target: &[&str]| {
        run_ok(
            ypad()
                .args(["export", "demo", "--comments", "--out"])
                .arg(out.path().join(dir))
                .args(target),
        );
        std::fs::read_to_string(out.path().join(dir).join("demo.md")).unwrap()
    };
    let data_dir = data.path().to_str().unwrap();
    let md = export("offline", &["--data-dir", data_dir]);
    assert!(
        md.starts_with("Launch on Friday[^comment-1].\nBudget unchanged[^comment-2].\n"),
        "{md}"
    );
    assert!(
        md.contains("**Bob**, Tue, 14 Nov 2023 22:14:20 GMT:\n    Is Friday a holiday somewhere?")
    );
    assert!(
        md.contains("**Ada**, Tue, 14 Nov 2023 22:15:20 GMT:\n    No, Friday works everywhere.")
    );

    let served = Served::start(data.path());
    let key = std::fs::read_to_string(data.path().join("APIKEY.txt")).unwrap();
    let online = export(
        "online",
        &["--server", &served.url, "--api-key", key.trim()],
    );
    assert_eq!(online, md);
}
