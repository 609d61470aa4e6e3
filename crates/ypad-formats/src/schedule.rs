//! An event's schedule: sessions read from CSV, JSON or iCalendar, session pads' text filled in
//! from the event's template, and the event written back out as an iCalendar feed.
//!
//! Times in a schedule are either instants (RFC 3339 with an offset, iCalendar `…Z` or
//! `TZID=`) or wall-clock times (`2026-04-14 09:00`), which are read in the event's IANA zone.
//! Every session becomes an instant pair in ms since the epoch; pages show them in the event's
//! zone and the reader's.
//!
//! CSV (a header row, names case-insensitive, in any order):
//! `title`, `start`, `end` (required), `room`, `moderators` (separated by `;`), `description`,
//! `pad` (the session's pad name within the event; by default made from the title). The
//! iCalendar names `summary`, `dtstart`, `dtend`, `location` are accepted for the same columns.
//! JSON: an array of objects with the same keys (or `{"sessions": [...]}`), `moderators` a
//! list or a `;`-separated string. iCalendar: one `VEVENT` a session with `SUMMARY`,
//! `DTSTART`, `DTEND`, `LOCATION`, `DESCRIPTION`; its `UID` names the pad, so a session keeps
//! its pad when it is retitled.

use std::collections::BTreeMap;
use std::collections::HashSet;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Component, DatePerhapsTime, EventLike};

/// Longest pad id (as ypad-core's pad-id rules have it).
const MAX_PAD_ID_CHARS: usize = 50;
/// Longest event id: room for `-` and a readable session name in a pad id.
pub const MAX_EVENT_ID_CHARS: usize = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error("unknown time zone {0:?} (use an IANA name such as Europe/Berlin)")]
    UnknownZone(String),
    #[error("schedule is not valid CSV: {0}")]
    Csv(String),
    #[error("schedule is not valid JSON: {0}")]
    Json(String),
    #[error("schedule is not valid iCalendar: {0}")]
    Ics(String),
    #[error("session {row}: {what}")]
    Session { row: usize, what: String },
    #[error("the schedule has no sessions")]
    Empty,
    #[error("two sessions have the pad {0:?}; give them distinct titles or `pad` names")]
    DuplicatePad(String),
    #[error(
        "event id {0:?} must be 1–{MAX_EVENT_ID_CHARS} letters, digits, `-`, `_` or `.`, starting with a letter or digit and not ending in `.ics`"
    )]
    BadEventId(String),
}

/// The kind of a schedule file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleFormat {
    Csv,
    Json,
    Ics,
}

impl ScheduleFormat {
    /// By a file's extension (`csv`, `json`, `ics`).
    pub fn from_extension(ext: &str) -> Option<ScheduleFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(ScheduleFormat::Csv),
            "json" => Some(ScheduleFormat::Json),
            "ics" | "ical" | "ifb" => Some(ScheduleFormat::Ics),
            _ => None,
        }
    }

    /// By the content, for a file without a telling extension.
    pub fn sniff(text: &str) -> ScheduleFormat {
        let start = text.trim_start_matches('\u{feff}').trim_start();
        if start.starts_with("BEGIN:VCALENDAR") {
            ScheduleFormat::Ics
        } else if start.starts_with('[') || start.starts_with('{') {
            ScheduleFormat::Json
        } else {
            ScheduleFormat::Csv
        }
    }
}

/// One session as a schedule gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledSession {
    /// The pad's name within the event (the pad id is `{event}-{slug}`).
    pub slug: String,
    pub title: String,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub room: Option<String>,
    pub moderators: Vec<String>,
    pub description: Option<String>,
}

/// Whether `id` may name an event: its pads' ids are `{id}-{session}`.
pub fn check_event_id(id: &str) -> Result<(), ScheduleError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_EVENT_ID_CHARS
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        // `/e/{id}.ics` is the event's calendar.
        && !id.ends_with(".ics")
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ScheduleError::BadEventId(id.to_owned()))
    }
}

/// Parses an IANA zone name.
pub fn zone(name: &str) -> Result<Tz, ScheduleError> {
    name.parse::<Tz>()
        .map_err(|_| ScheduleError::UnknownZone(name.to_owned()))
}

/// The pad id of a session of `event`.
pub fn session_pad(event: &str, slug: &str) -> String {
    // A schedule made from this event's own calendar names its pads in full already.
    let own = format!("{}-", self::slug(event));
    let slug = slug.strip_prefix(own.as_str()).unwrap_or(slug);
    let room = MAX_PAD_ID_CHARS.saturating_sub(event.len() + 1);
    let slug: String = slug.chars().take(room).collect();
    format!("{event}-{}", slug.trim_end_matches('-'))
}

/// A pad name made from free text: lowercase ASCII letters and digits joined by `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.chars().take(MAX_PAD_ID_CHARS).collect();
    out.trim_end_matches('-').to_owned()
}

/// Reads a schedule. Wall-clock times are in `time_zone`; every session gets a distinct slug.
pub fn parse(
    text: &str,
    format: ScheduleFormat,
    time_zone: &str,
) -> Result<Vec<ScheduledSession>, ScheduleError> {
    let tz = zone(time_zone)?;
    let text = text.trim_start_matches('\u{feff}');
    let sessions = match format {
        ScheduleFormat::Csv => parse_rows(csv_rows(text)?, tz)?,
        ScheduleFormat::Json => parse_rows(json_rows(text)?, tz)?,
        ScheduleFormat::Ics => parse_ics(text, tz)?,
    };
    if sessions.is_empty() {
        return Err(ScheduleError::Empty);
    }
    let mut seen = HashSet::new();
    for s in &sessions {
        if !seen.insert(s.slug.as_str()) {
            return Err(ScheduleError::DuplicatePad(s.slug.clone()));
        }
    }
    Ok(sessions)
}

/// A row of CSV or an object of JSON: lowercase column → value.
type Row = BTreeMap<String, String>;

fn csv_rows(text: &str) -> Result<Vec<Row>, ScheduleError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ScheduleError::Csv(e.to_string()))?
        .iter()
        .map(str::to_ascii_lowercase)
        .collect();
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| ScheduleError::Csv(e.to_string()))?;
            Ok(headers
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect())
        })
        .collect()
}

fn json_rows(text: &str) -> Result<Vec<Row>, ScheduleError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ScheduleError::Json(e.to_string()))?;
    let items = match &value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(o) => match o.get("sessions") {
            Some(serde_json::Value::Array(items)) => items,
            _ => return Err(ScheduleError::Json("expected a `sessions` array".into())),
        },
        _ => return Err(ScheduleError::Json("expected an array of sessions".into())),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let serde_json::Value::Object(o) = item else {
                return Err(ScheduleError::Session {
                    row: i + 1,
                    what: "is not an object".into(),
                });
            };
            Ok(o.iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Array(items) => items
                            .iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(";"),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (k.to_ascii_lowercase(), v)
                })
                .collect())
        })
        .collect()
}

fn parse_rows(rows: Vec<Row>, tz: Tz) -> Result<Vec<ScheduledSession>, ScheduleError> {
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let row_no = i + 1;
            let err = |what: String| ScheduleError::Session { row: row_no, what };
            let get = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| row.get(*n))
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            };
            let title = get(&["title", "summary"]).ok_or_else(|| err("has no title".into()))?;
            let start = get(&["start", "starts", "dtstart"])
                .ok_or_else(|| err(format!("{title:?} has no start")))?;
            let end = get(&["end", "ends", "dtend"])
                .ok_or_else(|| err(format!("{title:?} has no end")))?;
            let starts_ms = wall_or_instant(&start, tz).map_err(|w| err(format!("start {w}")))?;
            let ends_ms = wall_or_instant(&end, tz).map_err(|w| err(format!("end {w}")))?;
            let slug_source = get(&["pad"]).unwrap_or_else(|| title.clone());
            session(
                row_no,
                SessionParts {
                    slug: slug(&slug_source),
                    title,
                    starts_ms,
                    ends_ms,
                    room: get(&["room", "location"]),
                    moderators: get(&["moderators", "moderator"])
                        .map(|m| split_list(&m))
                        .unwrap_or_default(),
                    description: get(&["description"]),
                },
            )
        })
        .collect()
}

struct SessionParts {
    slug: String,
    title: String,
    starts_ms: u64,
    ends_ms: u64,
    room: Option<String>,
    moderators: Vec<String>,
    description: Option<String>,
}

fn session(row: usize, p: SessionParts) -> Result<ScheduledSession, ScheduleError> {
    if p.slug.is_empty() {
        return Err(ScheduleError::Session {
            row,
            what: format!("{:?} gives no pad name (use letters or digits)", p.title),
        });
    }
    if p.ends_ms < p.starts_ms {
        return Err(ScheduleError::Session {
            row,
            what: format!("{:?} ends before it starts", p.title),
        });
    }
    Ok(ScheduledSession {
        slug: p.slug,
        title: p.title,
        starts_ms: p.starts_ms,
        ends_ms: p.ends_ms,
        room: p.room,
        moderators: p.moderators,
        description: p.description,
    })
}

fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An instant with an offset (RFC 3339), or a wall-clock time in `tz`.
fn wall_or_instant(s: &str, tz: Tz) -> Result<u64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return to_ms(t.with_timezone(&Utc));
    }
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| format!("{s:?} is not a time (use 2026-04-14 09:00 or RFC 3339)"))
        .and_then(|naive| local(naive, tz))
}

/// A wall-clock time in `tz`; in the hour a clock goes back, the earlier of the two.
fn local(naive: NaiveDateTime, tz: Tz) -> Result<u64, String> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => to_ms(t.with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "{naive} does not exist in {tz} (the clock skips it)"
        )),
    }
}

fn to_ms(t: DateTime<Utc>) -> Result<u64, String> {
    u64::try_from(t.timestamp_millis()).map_err(|_| format!("{t} is before 1970"))
}

fn parse_ics(text: &str, tz: Tz) -> Result<Vec<ScheduledSession>, ScheduleError> {
    let calendar: icalendar::Calendar = text.parse().map_err(ScheduleError::Ics)?;
    calendar
        .events()
        .enumerate()
        .map(|(i, event)| {
            let row = i + 1;
            let err = |what: String| ScheduleError::Session { row, what };
            let title = event
                .get_summary()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| err("VEVENT has no SUMMARY".into()))?
                .to_owned();
            let start = event
                .get_start()
                .ok_or_else(|| err(format!("{title:?} has no DTSTART")))?;
            let starts_ms = ics_time(&start, tz).map_err(|w| err(format!("DTSTART {w}")))?;
            let ends_ms = match event.get_end() {
                Some(end) => ics_time(&end, tz).map_err(|w| err(format!("DTEND {w}")))?,
                None => starts_ms,
            };
            let slug_source = event
                .property_value("X-YPAD-PAD")
                .or_else(|| event.get_uid())
                .unwrap_or(&title);
            session(
                row,
                SessionParts {
                    slug: slug(slug_source),
                    title: title.clone(),
                    starts_ms,
                    ends_ms,
                    room: event
                        .get_location()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                    moderators: Vec::new(),
                    description: event
                        .get_description()
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(str::to_owned),
                },
            )
        })
        .collect()
}

fn ics_time(t: &DatePerhapsTime, tz: Tz) -> Result<u64, String> {
    match t {
        DatePerhapsTime::Date(d) => local(midnight(*d), tz),
        DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Floating(naive)) => {
            local(*naive, tz)
        }
        DatePerhapsTime::DateTime(dt) => match dt.try_into_utc() {
            Some(utc) => to_ms(utc),
            None => Err(format!("has an unknown time zone: {dt:?}")),
        },
    }
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(chrono::NaiveTime::MIN)
}

/// What a session pad's template is filled in with.
pub struct TemplateFields<'a> {
    pub event: &'a str,
    pub title: &'a str,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub time_zone: &'a str,
    pub room: Option<&'a str>,
    pub moderators: &'a [String],
    pub url: &'a str,
}

/// The template of an event without its own.
pub const DEFAULT_TEMPLATE: &str = "# {{title}}\n\n- When: {{starts}}\n- Room: {{room}}\n\
     - Moderators: {{moderators}}\n\n## Notes\n\n";

/// Fills `{{title}}`, `{{starts}}`, `{{room}}`, `{{moderators}}`, `{{url}}` and `{{event}}`;
/// other `{{…}}` stay as written. A plain substitution on purpose: a template language would
/// escape for HTML or bring logic that Markdown notes do not need.
pub fn fill_template(template: &str, fields: &TemplateFields<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = after[..close].trim();
        match field(name, fields) {
            Some(value) => out.push_str(&value),
            None => out.push_str(&rest[open..open + 2 + close + 2]),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

fn field(name: &str, f: &TemplateFields<'_>) -> Option<String> {
    Some(match name {
        "title" => f.title.to_owned(),
        "event" => f.event.to_owned(),
        "url" => f.url.to_owned(),
        "room" => f.room.unwrap_or("").to_owned(),
        "moderators" => f.moderators.join(", "),
        "starts" => session_time(f.starts_ms, f.ends_ms, f.time_zone),
        _ => return None,
    })
}

/// An instant (ms since the epoch) as a time in `tz`.
pub fn instant_in(tz: Tz, ms: u64) -> Option<DateTime<Tz>> {
    tz.timestamp_millis_opt(i64::try_from(ms).ok()?).single()
}

/// `Tue 14 Apr 2026, 09:00–09:40 Europe/Berlin`: a session's time in the event's zone.
pub fn session_time(starts_ms: u64, ends_ms: u64, time_zone: &str) -> String {
    let tz = zone(time_zone).unwrap_or(Tz::UTC);
    let at = |ms: u64| instant_in(tz, ms);
    match (at(starts_ms), at(ends_ms)) {
        (Some(s), Some(e)) if s.date_naive() == e.date_naive() => format!(
            "{}–{} {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%H:%M"),
            tz.name()
        ),
        (Some(s), Some(e)) => format!(
            "{} – {} {}",
            s.format("%a %-d %b %Y, %H:%M"),
            e.format("%a %-d %b %Y, %H:%M"),
            tz.name()
        ),
        _ => String::new(),
    }
}

/// The day of an instant in `time_zone`, `YYYY-MM-DD`.
pub fn local_date(ms: u64, time_zone: &str) -> Option<String> {
    let t = instant_in(zone(time_zone).ok()?, ms)?;
    Some(t.format("%Y-%m-%d").to_string())
}

/// One entry of an event's calendar feed.
pub struct CalendarEntry<'a> {
    pub uid: &'a str,
    pub title: &'a str,
    pub starts_ms: u64,
    pub ends_ms: u64,
    pub room: Option<&'a str>,
    pub description: Option<&'a str>,
    pub url: &'a str,
}

/// The event as an iCalendar feed whose entries link their pads.
pub fn calendar(name: &str, entries: &[CalendarEntry<'_>]) -> String {
    let mut cal = icalendar::Calendar::new();
    cal.name(name);
    for e in entries {
        let mut event = icalendar::Event::new();
        event.uid(e.uid).summary(e.title).url(e.url);
        if let Some(t) = instant(e.starts_ms) {
            event.starts(t);
        }
        if let Some(t) = instant(e.ends_ms) {
            event.ends(t);
        }
        if let Some(room) = e.room {
            event.location(room);
        }
        let description = match e.description {
            Some(d) => format!("{d}\n\nNotes: {}", e.url),
            None => format!("Notes: {}", e.url),
        };
        event.description(&description);
        cal.push(event.done());
    }
    cal.done().to_string()
}

fn instant(ms: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(i64::try_from(ms).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZONE: &str = "Europe/Berlin";

    fn ms(rfc3339: &str) -> u64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_millis() as u64
    }

    #[test]
    fn csv_rows_become_sessions_in_the_event_zone() {
        let text = "Title,Start,End,Room,Moderators,Pad\n\
                    Opening,2026-04-14 09:00,2026-04-14 09:40,Hall A,Ana; Bo,\n\
                    \"Nova, cross-project\",2026-04-14T10:00:00Z,2026-04-14T11:00:00Z,,,nova\n";
        let s = parse(text, ScheduleFormat::Csv, ZONE).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].slug, "opening");
        assert_eq!(s[0].starts_ms, ms("2026-04-14T07:00:00Z"));
        assert_eq!(s[0].room.as_deref(), Some("Hall A"));
        assert_eq!(s[0].moderators, ["Ana", "Bo"]);
        assert_eq!(s[1].slug, "nova");
        assert_eq!(s[1].title, "Nova, cross-project");
        assert_eq!(s[1].ends_ms, ms("2026-04-14T11:00:00Z"));
    }

    #[test]
    fn json_takes_lists_and_the_ical_names() {
        let text = r#"{"sessions": [{"summary": "Keynote", "dtstart": "2026-04-14 09:00",
            "dtend": "2026-04-14 10:00", "location": "Main", "moderators": ["Ana"]}]}"#;
        let s = parse(text, ScheduleFormat::Json, "UTC").unwrap();
        assert_eq!(s[0].title, "Keynote");
        assert_eq!(s[0].room.as_deref(), Some("Main"));
        assert_eq!(s[0].moderators, ["Ana"]);
        assert_eq!(s[0].starts_ms, ms("2026-04-14T09:00:00Z"));
    }

    #[test]
    fn ics_events_keep_their_uid_as_the_pad() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:nova-101\r\n\
                    SUMMARY:Nova planning\r\nDTSTART;TZID=Europe/Berlin:20260414T090000\r\n\
                    DTEND:20260414T080000Z\r\nLOCATION:Room 2\r\nDESCRIPTION:Bring notes\r\n\
                    END:VEVENT\r\nEND:VCALENDAR\r\n";
        let s = parse(text, ScheduleFormat::Ics, "UTC").unwrap();
        assert_eq!(s[0].slug, "nova-101");
        assert_eq!(s[0].starts_ms, ms("2026-04-14T07:00:00Z"));
        assert_eq!(s[0].ends_ms, ms("2026-04-14T08:00:00Z"));
        assert_eq!(s[0].description.as_deref(), Some("Bring notes"));
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let check = |text: &str, format, expected: &str| {
            let err = parse(text, format, ZONE).unwrap_err().to_string();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        };
        check(
            "title,start,end\nA,tomorrow,2026-01-01 10:00\n",
            ScheduleFormat::Csv,
            "\"tomorrow\" is not a time",
        );
        check(
            "title,start\nA,2026-01-01 10:00\n",
            ScheduleFormat::Csv,
            "has no end",
        );
        check("title,start,end\n", ScheduleFormat::Csv, "no sessions");
        check(
            "title,start,end\nA,2026-01-01 10:00,2026-01-01 11:00\na,2026-01-01 10:00,2026-01-01 11:00\n",
            ScheduleFormat::Csv,
            "two sessions have the pad \"a\"",
        );
        check(
            "title,start,end\nA,2026-01-01 10:00,2026-01-01 09:00\n",
            ScheduleFormat::Csv,
            "ends before",
        );
        check(
            "title,start,end\nA,2026-03-29 02:30,2026-03-29 04:00\n",
            ScheduleFormat::Csv,
            "does not exist",
        );
        check("{\"sessions\": 3}", ScheduleFormat::Json, "sessions");
        check(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101T100000Z\nEND:VEVENT\nEND:VCALENDAR\n",
            ScheduleFormat::Ics,
            "no SUMMARY",
        );
        assert_eq!(
            parse("title,start,end\n", ScheduleFormat::Csv, "Mars/Olympus"),
            Err(ScheduleError::UnknownZone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn templates_fill_known_fields_and_keep_others() {
        let mods = vec!["Ana".to_owned(), "Bo".to_owned()];
        let fields = TemplateFields {
            event: "summit",
            title: "Nova",
            starts_ms: ms("2026-04-14T07:00:00Z"),
            ends_ms: ms("2026-04-14T07:40:00Z"),
            time_zone: ZONE,
            room: Some("Hall A"),
            moderators: &mods,
            url: "http://x/p/summit-nova",
        };
        assert_eq!(
            fill_template(
                "{{ title }} @ {{room}} by {{moderators}} {{url}} {{event}} {{other}} {{",
                &fields
            ),
            "Nova @ Hall A by Ana, Bo http://x/p/summit-nova summit {{other}} {{"
        );
        assert_eq!(
            fill_template("{{starts}}", &fields),
            "Tue 14 Apr 2026, 09:00–09:40 Europe/Berlin"
        );
    }

    #[test]
    fn dates_are_the_event_zone_s() {
        let late = ms("2026-04-14T23:30:00Z");
        assert_eq!(local_date(late, "UTC").as_deref(), Some("2026-04-14"));
        assert_eq!(local_date(late, ZONE).as_deref(), Some("2026-04-15"));
    }

    #[test]
    fn pad_ids_fit_the_pad_id_limit() {
        assert_eq!(
            slug("Nova: cross-project (part 2)"),
            "nova-cross-project-part-2"
        );
        assert_eq!(session_pad("summit", "summit-nova"), "summit-nova");
        let pad = session_pad("summit-2026", &"x".repeat(60));
        assert_eq!(pad.chars().count(), MAX_PAD_ID_CHARS);
        assert!(check_event_id("summit-2026").is_ok());
        assert!(check_event_id("-x").is_err());
        assert!(check_event_id("a/b").is_err());
        assert!(check_event_id("summit.ics").is_err());
    }

    #[test]
    fn the_calendar_feed_reads_back() {
        let entries = [CalendarEntry {
            uid: "summit-nova",
            title: "Nova",
            starts_ms: ms("2026-04-14T07:00:00Z"),
            ends_ms: ms("2026-04-14T07:40:00Z"),
            room: Some("Hall A"),
            description: None,
            url: "http://x/p/summit-nova",
        }];
        let ics = calendar("Summit", &entries);
        assert!(ics.contains("URL:http://x/p/summit-nova"));
        let back = parse(&ics, ScheduleFormat::Ics, "UTC").unwrap();
        assert_eq!(back[0].slug, "summit-nova");
        assert_eq!(back[0].starts_ms, entries[0].starts_ms);
        assert_eq!(back[0].room.as_deref(), Some("Hall A"));
    }
}
