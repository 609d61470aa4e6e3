//! `ypad export --event`: an event's archive, its sessions' pads with an index in schedule
//! order (`--format md`) or a static site (`--format site`), from a stopped server's data
//! directory or through a running server, as `export` does for pads. The rendering is
//! `ypad_formats::archive`; this module gathers what it needs (the event record, each pad's
//! Markdown and its authors' names) and writes the files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ypad_core::PadId;
use ypad_engine::{Engine, Format};
use ypad_formats::archive::{self, Schedule, Session};
use ypad_store::Event;

use crate::transfer_cli::{
    CliResult, Source, encode, file_name, http_client, open_database_reader, open_engine, progress,
    runtime,
};

/// What the archive is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// One `.md` file a pad and an `index.md`.
    Markdown,
    /// A static site.
    Site,
}

impl ArchiveFormat {
    pub fn parse(name: &str) -> Option<ArchiveFormat> {
        match name {
            "md" | "markdown" => Some(ArchiveFormat::Markdown),
            "site" => Some(ArchiveFormat::Site),
            _ => None,
        }
    }
}

pub struct EventExportArgs {
    pub event: String,
    pub format: ArchiveFormat,
    pub out: PathBuf,
}

/// One session's pad as found in the store.
struct PadNotes {
    /// `None` when the session's pad was never made.
    markdown: Option<String>,
    authors: Vec<String>,
}

pub fn export_event(source: Source, args: EventExportArgs) -> CliResult {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let (event, notes) = runtime()?.block_on(async {
        match source {
            Source::DataDir(dir) => {
                let engine = open_engine(&dir)?;
                let gathered = gather_from_engine(&engine, &args.event).await;
                engine.shutdown().await;
                gathered
            }
            Source::Database(url) => {
                let engine = open_database_reader(&url)?;
                let gathered = gather_from_engine(&engine, &args.event).await;
                engine.shutdown().await;
                gathered
            }
            Source::Server { url, api_key } => {
                gather_from_server(&url, api_key.as_deref(), &args.event).await
            }
        }
    })?;
    let schedule = schedule(event, notes);
    let written = match args.format {
        ArchiveFormat::Markdown => write_markdown(&schedule, &args.out)?,
        ArchiveFormat::Site => write_site(&schedule, &args.out)?,
    };
    eprintln!(
        "exported {} of {} session(s) of {} to {}",
        written,
        schedule.sessions.len(),
        args.event,
        args.out.display()
    );
    Ok(())
}

async fn gather_from_engine(engine: &Engine, event_id: &str) -> CliResult<(Event, Vec<PadNotes>)> {
    let key = event_id.to_owned();
    let event = engine
        .blocking(move |s| s.event(&key))
        .await?
        .ok_or_else(|| format!("event {event_id} does not exist"))?;
    let bar = progress(event.sessions.len());
    let mut notes = Vec::with_capacity(event.sessions.len());
    for session in &event.sessions {
        bar.set_message(session.pad.clone());
        let id = PadId::parse(&session.pad).map_err(|e| format!("{}: {e}", session.pad))?;
        let markdown = match engine.head(&id).await? {
            None => None,
            Some(_) => {
                let body = engine
                    .export(&id, &session.pad, None, Format::Markdown)
                    .await
                    .map_err(|e| format!("{}: {e}", session.pad))?;
                Some(String::from_utf8_lossy(&body).into_owned())
            }
        };
        let pad = session.pad.clone();
        let authors = engine
            .blocking(move |s| -> Result<Vec<String>, ypad_store::StoreError> {
                let mut names = Vec::new();
                for id in s.authors_of_pad(&pad)? {
                    if let Some(name) = s.author(&id)?.and_then(|a| a.name) {
                        names.push(name);
                    }
                }
                Ok(names)
            })
            .await?;
        notes.push(PadNotes { markdown, authors });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((event, notes))
}

async fn gather_from_server(
    url: &str,
    api_key: Option<&str>,
    event_id: &str,
) -> CliResult<(Event, Vec<PadNotes>)> {
    let client = http_client(api_key)?;
    let resp = client
        .get(format!("{url}/api/v1/events/{}", encode(event_id)))
        .send()
        .await?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(format!("event {event_id} does not exist on {url}").into());
    }
    let event: Event = resp
        .error_for_status()?
        .json()
        .await
        .map_err(|e| format!("{url} sent an event that cannot be read: {e}"))?;
    let bar = progress(event.sessions.len());
    let mut notes = Vec::with_capacity(event.sessions.len());
    for session in &event.sessions {
        bar.set_message(session.pad.clone());
        let pad = encode(&session.pad);
        let resp = client
            .get(format!("{url}/p/{pad}/export/md"))
            .send()
            .await?;
        let markdown = match resp.status() {
            reqwest::StatusCode::NOT_FOUND => None,
            status if status.is_success() => Some(resp.text().await?),
            status => return Err(format!("{}: the server answered {status}", session.pad).into()),
        };
        let authors = match markdown {
            None => Vec::new(),
            Some(_) => {
                let table: serde_json::Value = client
                    .get(format!("{url}/api/v1/pads/{pad}/authorship"))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                table["authors"]
                    .as_object()
                    .map(|authors| {
                        authors
                            .values()
                            .filter_map(|a| a["name"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            }
        };
        notes.push(PadNotes { markdown, authors });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((event, notes))
}

/// The archive's view of the event, its sessions paired with their pads' notes.
fn schedule(event: Event, notes: Vec<PadNotes>) -> Schedule {
    let (zone_name, zone) = match ypad_formats::schedule::zone(&event.time_zone) {
        Ok(zone) => (event.time_zone.clone(), zone),
        Err(err) => {
            eprintln!(
                "event {}: time zone {:?} is unknown ({err}); times are shown in UTC",
                event.id, event.time_zone
            );
            ("UTC".to_owned(), chrono_tz::UTC)
        }
    };
    let sessions = event
        .sessions
        .into_iter()
        .zip(notes)
        .map(|(s, n)| Session {
            pad: s.pad,
            title: s.title,
            starts_ms: s.starts_ms,
            ends_ms: s.ends_ms,
            room: s.room,
            description: s.description,
            // One name once, in a stable order, however many author ids carry it.
            authors: n
                .authors
                .into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            notes: n.markdown,
        })
        .collect();
    Schedule {
        title: if event.title.is_empty() {
            event.id
        } else {
            event.title
        },
        zone_name,
        zone,
        start_date: event.start_date,
        end_date: event.end_date,
        sessions,
    }
}

/// Every pad as `{pad}.md` (named as `ypad export` names them) and `index.md`; returns how
/// many pads were written.
fn write_markdown(schedule: &Schedule, out: &Path) -> CliResult<usize> {
    let mut written = 0;
    for session in &schedule.sessions {
        if let Some(notes) = &session.notes {
            write(out, &file_name(&session.pad, Format::Markdown), notes)?;
            written += 1;
        }
    }
    let index = archive::markdown_index(schedule, |pad| file_name(pad, Format::Markdown));
    write(out, "index.md", &index)?;
    Ok(written)
}

fn write_site(schedule: &Schedule, out: &Path) -> CliResult<usize> {
    let files = archive::site(schedule);
    for file in &files {
        write(out, &file.path, &file.body)?;
    }
    Ok(schedule
        .sessions
        .iter()
        .filter(|s| s.notes.is_some())
        .count())
}

fn write(out: &Path, relative: &str, body: &str) -> CliResult {
    let path = out.join(relative);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
