//! An event's archive: its schedule with each session's notes, as Markdown files with an
//! `index.md`, or as a static site (an `index.html` schedule, a page per session, one
//! stylesheet, no scripts) that works from `file://` and can be published as it is.
//!
//! Everything a pad or an organiser wrote is escaped or goes through [`markdown`]'s script-free
//! rendering, and every page forbids scripts with a Content-Security-Policy besides: an
//! archive is opened long after anyone looked at what was typed into it. Session times are
//! instants shown in the event's time zone, which the caller resolves (this module does no IO).

use std::fmt::Write as _;

use chrono::DateTime;
use chrono_tz::Tz;

use crate::markdown::{self, escape_html};

/// The site's pages, under `pads/` beside `index.html` and the stylesheet.
pub const PAGES_DIR: &str = "pads";
pub const STYLESHEET: &str = "style.css";

/// What an archive shows of an event.
pub struct Schedule {
    pub title: String,
    /// The event's zone (`Europe/Berlin`), named on the pages.
    pub zone_name: String,
    pub zone: Tz,
    /// `YYYY-MM-DD`, as the organiser gave them.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub sessions: Vec<Session>,
}

pub struct Session {
    pub pad: String,
    pub title: String,
    /// Instants, ms since the epoch; 0 for a session not yet given a time.
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub room: Option<String>,
    pub description: Option<String>,
    /// Names of the people who wrote in the pad.
    pub authors: Vec<String>,
    /// The pad's Markdown; `None` if the pad was never made.
    pub notes: Option<String>,
}

/// One file of an archive, at a `/`-separated path relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    pub path: String,
    pub body: String,
}

impl Schedule {
    /// Sessions in schedule order: by start, then room and title; those without a time last.
    pub fn in_order(&self) -> Vec<&Session> {
        let mut sessions: Vec<&Session> = self.sessions.iter().collect();
        sessions.sort_by(|a, b| {
            (a.starts_ms == 0, a.starts_ms, &a.room, &a.title, &a.pad).cmp(&(
                b.starts_ms == 0,
                b.starts_ms,
                &b.room,
                &b.title,
                &b.pad,
            ))
        });
        sessions
    }

    /// The day a session is on, as a heading: `Tuesday 12 May 2026`.
    fn day_of(&self, session: &Session) -> String {
        match self.zoned(session.starts_ms) {
            Some(start) if session.starts_ms > 0 => start.format("%A %-d %B %Y").to_string(),
            _ => "Not scheduled".to_owned(),
        }
    }

    /// `09:00–10:30` (with the end's day when it is another), or nothing for an unscheduled
    /// session.
    fn time_of(&self, session: &Session) -> Option<String> {
        if session.starts_ms == 0 {
            return None;
        }
        let start = self.zoned(session.starts_ms)?;
        let mut out = start.format("%H:%M").to_string();
        if let Some(end) = self.zoned(session.ends_ms).filter(|_| session.ends_ms > 0) {
            if end.date_naive() == start.date_naive() {
                write!(out, "–{}", end.format("%H:%M")).ok();
            } else {
                write!(out, " – {}", end.format("%a %-d %b %H:%M")).ok();
            }
        }
        Some(out)
    }

    fn zoned(&self, ms: u64) -> Option<DateTime<Tz>> {
        crate::schedule::instant_in(self.zone, ms)
    }

    fn dates(&self) -> Option<String> {
        match (&self.start_date, &self.end_date) {
            (Some(start), Some(end)) if start != end => Some(format!("{start} – {end}")),
            (Some(day), _) | (None, Some(day)) => Some(day.clone()),
            (None, None) => None,
        }
    }
}

/// `index.md`: the schedule, day by day, each session linking to its pad's file as
/// `file_of(pad)` names it.
pub fn markdown_index(schedule: &Schedule, file_of: impl Fn(&str) -> String) -> String {
    let mut out = format!("# {}\n\n", md_text(&schedule.title));
    if let Some(dates) = schedule.dates() {
        writeln!(out, "{dates}").ok();
    }
    writeln!(out, "Times are in {}.", md_text(&schedule.zone_name)).ok();
    let mut day = None;
    for session in schedule.in_order() {
        let this_day = schedule.day_of(session);
        if day.as_ref() != Some(&this_day) {
            write!(out, "\n## {this_day}\n\n").ok();
            day = Some(this_day);
        }
        let mut line = String::from("- ");
        if let Some(time) = schedule.time_of(session) {
            write!(line, "{time} ").ok();
        }
        let title = md_text(&session.title);
        match session.notes {
            Some(_) => write!(line, "[{title}](<{}>)", file_of(&session.pad)).ok(),
            None => write!(line, "{title} (no notes)").ok(),
        };
        if let Some(room) = &session.room {
            write!(line, " · {}", md_text(room)).ok();
        }
        if !session.authors.is_empty() {
            write!(line, " · by {}", md_text(&session.authors.join(", "))).ok();
        }
        writeln!(out, "{line}").ok();
    }
    out
}

/// Markdown that shows `text` as it is, on one line: the characters that could start
/// markup mid-line (emphasis, links, code, raw HTML, entities, tables) escaped.
fn md_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '~' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The static site: `index.html`, [`STYLESHEET`] and a page per session with notes under
/// [`PAGES_DIR`], linked relatively so the folder works anywhere, `file://` included.
pub fn site(schedule: &Schedule) -> Vec<ArchiveFile> {
    let mut files = vec![
        ArchiveFile {
            path: "index.html".into(),
            body: site_index(schedule),
        },
        ArchiveFile {
            path: STYLESHEET.into(),
            body: format!("{}{SITE_STYLE}", markdown::STYLE),
        },
    ];
    for session in schedule.in_order() {
        if let Some(notes) = &session.notes {
            files.push(ArchiveFile {
                path: format!("{PAGES_DIR}/{}", page_name(&session.pad)),
                body: session_page(schedule, session, notes),
            });
        }
    }
    files
}

/// A session page's file name: the pad id with every byte outside `[A-Za-z0-9.-]` written as
/// `_` and two hex digits, so that names are safe in any file system and URL, and distinct.
pub fn page_name(pad: &str) -> String {
    let mut out = String::with_capacity(pad.len() + 5);
    for b in pad.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            write!(out, "_{b:02X}").ok();
        }
    }
    out.push_str(".html");
    out
}

const SITE_STYLE: &str = "\
header.event{margin-bottom:2rem}header.event p{margin:.2em 0;color:#59636e}
.schedule{list-style:none;padding:0}.schedule li{padding:.6em 0;border-bottom:1px solid #d1d9e0}
.time{display:inline-block;min-width:8.5em;font-variant-numeric:tabular-nums;color:#59636e}
.room,.authors{color:#59636e}
dl.session{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;color:#59636e}
dl.session dd{margin:0}.notes{border-top:1px solid #d1d9e0;margin-top:1.5rem}
nav a{text-decoration:none}
";

/// `<head>` of every page: no script may run, whatever the content.
fn head(title: &str, stylesheet: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; \
         object-src 'none'; base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{stylesheet}\">\n</head>\n<body>\n",
        escape_html(title)
    )
}

fn site_index(schedule: &Schedule) -> String {
    let mut out = head(&schedule.title, STYLESHEET);
    write!(
        out,
        "<header class=\"event\">\n<h1>{}</h1>\n",
        escape_html(&schedule.title)
    )
    .ok();
    if let Some(dates) = schedule.dates() {
        writeln!(out, "<p>{}</p>", escape_html(&dates)).ok();
    }
    writeln!(
        out,
        "<p>Times are in {}.</p>\n</header>",
        escape_html(&schedule.zone_name)
    )
    .ok();
    let mut day = None;
    for session in schedule.in_order() {
        let this_day = schedule.day_of(session);
        if day.as_ref() != Some(&this_day) {
            if day.is_some() {
                out.push_str("</ul>\n");
            }
            write!(
                out,
                "<h2>{}</h2>\n<ul class=\"schedule\">\n",
                escape_html(&this_day)
            )
            .ok();
            day = Some(this_day);
        }
        out.push_str("<li>");
        if let Some(time) = schedule.time_of(session) {
            write!(out, "<span class=\"time\">{}</span> ", escape_html(&time)).ok();
        }
        let title = escape_html(&session.title);
        match session.notes {
            Some(_) => write!(
                out,
                "<a href=\"{PAGES_DIR}/{}\">{title}</a>",
                page_name(&session.pad)
            )
            .ok(),
            None => write!(out, "{title} · <span class=\"room\">no notes</span>").ok(),
        };
        if let Some(room) = &session.room {
            write!(out, " · <span class=\"room\">{}</span>", escape_html(room)).ok();
        }
        if !session.authors.is_empty() {
            write!(
                out,
                " · <span class=\"authors\">{}</span>",
                escape_html(&session.authors.join(", "))
            )
            .ok();
        }
        out.push_str("</li>\n");
    }
    if day.is_some() {
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn session_page(schedule: &Schedule, session: &Session, notes: &str) -> String {
    let mut out = head(
        &format!("{} · {}", session.title, schedule.title),
        &format!("../{STYLESHEET}"),
    );
    write!(
        out,
        "<nav><a href=\"../index.html\">← {}</a></nav>\n<h1>{}</h1>\n<dl class=\"session\">\n",
        escape_html(&schedule.title),
        escape_html(&session.title)
    )
    .ok();
    let mut row = |name: &str, value: &str| {
        writeln!(out, "<dt>{name}</dt><dd>{}</dd>", escape_html(value)).ok();
    };
    match schedule.time_of(session) {
        Some(time) => row(
            "When",
            &format!(
                "{}, {time} ({})",
                schedule.day_of(session),
                schedule.zone_name
            ),
        ),
        None => row("When", "not scheduled"),
    }
    if let Some(room) = &session.room {
        row("Room", room);
    }
    if !session.authors.is_empty() {
        row("Authors", &session.authors.join(", "));
    }
    if let Some(description) = &session.description {
        row("About", description);
    }
    write!(
        out,
        "</dl>\n<article class=\"notes\">\n{}</article>\n</body>\n</html>\n",
        markdown::to_html_body(notes)
    )
    .ok();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-05-12 07:00 UTC: 09:00 in Berlin (summer time).
    const MAY_12_0900_BERLIN: u64 = 1_778_569_200_000;
    const HOUR: u64 = 3_600_000;

    fn session(pad: &str, title: &str, starts_ms: u64, notes: Option<&str>) -> Session {
        Session {
            pad: pad.into(),
            title: title.into(),
            starts_ms,
            ends_ms: starts_ms + HOUR,
            room: Some("Hall <A>".into()),
            description: None,
            authors: vec!["Ana".into(), "Bo".into()],
            notes: notes.map(str::to_owned),
        }
    }

    fn schedule() -> Schedule {
        Schedule {
            title: "Summit <2026>".into(),
            zone_name: "Europe/Berlin".into(),
            zone: chrono_tz::Europe::Berlin,
            start_date: Some("2026-05-12".into()),
            end_date: Some("2026-05-13".into()),
            sessions: vec![
                session(
                    "summit-2026-late",
                    "Late",
                    MAY_12_0900_BERLIN + 24 * HOUR,
                    Some("bye"),
                ),
                session(
                    "summit-2026-key note",
                    "Keynote",
                    MAY_12_0900_BERLIN,
                    Some("<script>alert(1)</script>\n\n[x](javascript:alert(1))"),
                ),
                session("summit-2026-tbd", "TBD", 0, None),
            ],
        }
    }

    #[test]
    fn markdown_index_lists_sessions_by_day_in_the_event_zone() {
        let index = markdown_index(&schedule(), |pad| format!("{pad}.md"));
        let expected = "\
# Summit \\<2026\\>

2026-05-12 – 2026-05-13
Times are in Europe/Berlin.

## Tuesday 12 May 2026

- 09:00–10:00 [Keynote](<summit-2026-key note.md>) · Hall \\<A\\> · by Ana, Bo

## Wednesday 13 May 2026

- 09:00–10:00 [Late](<summit-2026-late.md>) · Hall \\<A\\> · by Ana, Bo

## Not scheduled

- TBD (no notes) · Hall \\<A\\> · by Ana, Bo
";
        assert_eq!(index, expected);
    }

    #[test]
    fn site_pages_are_escaped_linked_relatively_and_script_free() {
        let files = site(&schedule());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "index.html",
                "style.css",
                "pads/summit-2026-key_20note.html",
                "pads/summit-2026-late.html"
            ]
        );
        let index = &files[0].body;
        assert!(index.contains("<h1>Summit &lt;2026&gt;</h1>"), "{index}");
        assert!(index.contains("href=\"pads/summit-2026-key_20note.html\""));
        assert!(index.contains("TBD · <span class=\"room\">no notes</span>"));
        assert!(index.find("Keynote") < index.find("Late"));
        let keynote = &files[2].body;
        assert!(keynote.contains("href=\"../style.css\""));
        assert!(keynote.contains("href=\"../index.html\""));
        assert!(keynote.contains("Tuesday 12 May 2026, 09:00–10:00 (Europe/Berlin)"));
        assert!(keynote.contains("<dd>Hall &lt;A&gt;</dd>"));
        assert!(keynote.contains("<dd>Ana, Bo</dd>"));
        assert!(keynote.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        for file in &files {
            assert!(!file.body.contains("<script"), "{}", file.path);
            assert!(!file.body.contains("javascript:"), "{}", file.path);
        }
        assert!(keynote.contains("script-src 'none'"));
    }

    #[test]
    fn page_names_are_safe_and_distinct() {
        assert_eq!(page_name("a-b.c"), "a-b.c.html");
        assert_eq!(page_name("g.x$notes"), "g.x_24notes.html");
        assert_ne!(page_name("a_20"), page_name("a "));
        assert_eq!(page_name(".."), "_2E..html");
        assert_eq!(page_name("a/b"), "a_2Fb.html");
    }
}
