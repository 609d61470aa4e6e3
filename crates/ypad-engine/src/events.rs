//! Events: a pad-id prefix with a schedule of sessions, each with its pad. Putting an event
//! makes the pads that are missing from the event's template, refills a pad still holding
//! exactly what the template gave it (so a retitled session's pad follows), and never touches
//! a pad that someone has written in. A frozen event's pads carry a lock scheduled at the end
//! of its last session; thawing lifts it. The record, the pads and the locks all live in the
//! store, so every node serves the same event.
//!
//! Search and the event page's lengths read each pad's current text through [`EventTexts`], a
//! per-node cache keyed by head revision: a cache only, refilled from the store.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ypad_core::PadId;
use ypad_formats::schedule::{
    self, DEFAULT_TEMPLATE, ScheduleError, ScheduleFormat, TemplateFields,
};
use ypad_formats::search::{Hit, Query, Searchable};
use ypad_store::{Event, EventSession, PadLock, StoreError};

use crate::{Engine, HistoryError, TransferError, wall_ms};

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    #[error("session pad {pad:?} must start with the event's id and `-` ({event}-…)")]
    ForeignPad { pad: String, event: String },
    #[error("session pad {0:?} is not a valid pad id")]
    BadPad(String),
    #[error("two sessions have the pad {0:?}")]
    DuplicatePad(String),
    #[error("session {0:?} ends before it starts")]
    EndsBeforeStart(String),
    #[error("not an event: {0}")]
    BadJson(String),
    #[error("unknown schedule format {0:?}: csv, json or ics")]
    UnknownFormat(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    History(#[from] HistoryError),
}

/// What putting an event did to its pads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Pads made from the template.
    pub created: Vec<String>,
    /// Pads still holding the template's text, filled in again with the session's new details.
    pub refilled: Vec<String>,
    /// Pads someone wrote in: left as they are.
    pub kept: Vec<String>,
    /// Pads of sessions no longer in the schedule: unlisted, not deleted.
    pub dropped: Vec<String>,
}

/// A session's live state, for the event page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionLive {
    /// Connections open on the pad on this node.
    pub present: usize,
    pub last_edited_ms: Option<u64>,
    /// Length of the current text, in characters.
    pub chars: u64,
}

/// A matching pad of an event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventHit {
    pub pad: String,
    pub title: String,
    #[serde(flatten)]
    pub hit: Hit,
}

/// Results of a search are cut to this many.
pub const MAX_HITS: usize = 50;

/// How long the stored head of a pad not open on this node is trusted before it is read again.
/// Edits reach a pad through its live copy, whose head is always read; a pad edited on another
/// node of a cluster, or changed while not loaded (an `.etherpad` import, a move), waits at
/// most this long to be searched and measured as it is now.
const STORED_HEAD_TTL: Duration = Duration::from_secs(2);

/// The current text of an event's pads, read once per revision, with the last edit's time.
/// Search and the event page read every pad of an event on each request; this keeps that to
/// memory reads and the occasional store read.
#[derive(Default)]
pub struct EventTexts {
    /// Locked for lookups and inserts only, never while the store is read.
    pads: Mutex<HashMap<String, PadState>>,
}

/// A pad as [`EventTexts`] last read it.
#[derive(Clone)]
struct PadState {
    rev: u64,
    text: Arc<Searchable>,
    chars: u64,
    last_edited_ms: u64,
    /// When the store last confirmed `rev` as the head.
    checked: Instant,
}

/// Where `{{url}}` in a template points: `base` (such as `https://pads.example`) + `/p/{pad}`.
pub fn pad_url(base: &str, pad: &str) -> String {
    format!("{}/p/{pad}", base.trim_end_matches('/'))
}

fn fill(event: &Event, session: &EventSession, base_url: &str) -> String {
    let template = event.template.as_deref().unwrap_or(DEFAULT_TEMPLATE);
    schedule::fill_template(
        template,
        &TemplateFields {
            event: &event.title,
            title: &session.title,
            starts_ms: session.starts_ms,
            ends_ms: session.ends_ms,
            time_zone: &event.time_zone,
            room: session.room.as_deref(),
            moderators: &session.moderators,
            url: &pad_url(base_url, &session.pad),
        },
    )
}

/// The end of the event's last session: when a frozen event's pads lock.
/// The ids an event listing `pad` could have: an event's pads are named `{event}-…`, so each
/// prefix of the pad id before a `-`, the longest first.
pub fn event_ids_of_pad(pad: &str) -> impl Iterator<Item = &str> {
    pad.rmatch_indices('-')
        .map(|(at, _)| &pad[..at])
        .filter(|id| !id.is_empty())
}

pub fn last_end(event: &Event) -> Option<u64> {
    event.sessions.iter().map(|s| s.ends_ms).max()
}

/// Checks an event before anything is written.
pub fn validate(event: &Event) -> Result<(), EventError> {
    schedule::check_event_id(&event.id)?;
    schedule::zone(&event.time_zone)?;
    let prefix = format!("{}-", event.id);
    let mut seen = HashSet::new();
    for s in &event.sessions {
        if !s.pad.starts_with(&prefix) || s.pad.len() == prefix.len() {
            return Err(EventError::ForeignPad {
                pad: s.pad.clone(),
                event: event.id.clone(),
            });
        }
        PadId::parse(&s.pad).map_err(|_| EventError::BadPad(s.pad.clone()))?;
        if !seen.insert(s.pad.as_str()) {
            return Err(EventError::DuplicatePad(s.pad.clone()));
        }
        if s.ends_ms < s.starts_ms {
            return Err(EventError::EndsBeforeStart(s.title.clone()));
        }
    }
    Ok(())
}

/// The event that `patch` (a JSON object of an event's fields) makes of `old`: fields given
/// replace the stored ones, the rest stay (a new event's zone is UTC). `schedule` (the text of a
/// CSV, JSON or iCalendar schedule, of `scheduleFormat` or recognised by its content) replaces
/// the sessions.
pub fn merge(
    id: &str,
    old: Option<&Event>,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<Event, EventError> {
    use serde_json::Value;
    schedule::check_event_id(id)?;
    let bad = |e: serde_json::Error| EventError::BadJson(e.to_string());
    let mut merged = match old {
        Some(old) => serde_json::to_value(old).map_err(bad)?,
        None => serde_json::json!({ "timeZone": "UTC" }),
    };
    let text = patch.remove("schedule");
    let format = patch.remove("scheduleFormat");
    if let Value::Object(m) = &mut merged {
        m.extend(patch);
        m.insert("id".into(), Value::String(id.to_owned()));
    }
    let mut event: Event = serde_json::from_value(merged).map_err(bad)?;
    if let Some(text) = text {
        let Value::String(text) = text else {
            return Err(EventError::BadJson(
                "`schedule` must be the file's text".into(),
            ));
        };
        let format = match format.as_ref().and_then(Value::as_str) {
            Some(f) => ScheduleFormat::from_extension(f)
                .ok_or_else(|| EventError::UnknownFormat(f.to_owned()))?,
            None => ScheduleFormat::sniff(&text),
        };
        let scheduled = schedule::parse(&text, format, &event.time_zone)?;
        event.sessions = sessions_of(id, scheduled);
    }
    Ok(event)
}

/// Sessions of a schedule as an event's, with their pads named under the event's id.
pub fn sessions_of(
    event_id: &str,
    scheduled: Vec<schedule::ScheduledSession>,
) -> Vec<EventSession> {
    scheduled
        .into_iter()
        .map(|s| EventSession {
            pad: schedule::session_pad(event_id, &s.slug),
            title: s.title,
            starts_ms: s.starts_ms,
            ends_ms: s.ends_ms,
            room: s.room,
            moderators: s.moderators,
            description: s.description,
        })
        .collect()
}

impl Engine {
    /// Stores `event` (made or changed) and brings its pads and their locks in line with it.
    /// `base_url` is where the server is reached, for `{{url}}`.
    pub async fn put_event(&self, mut event: Event, base_url: &str) -> Result<Applied, EventError> {
        validate(&event)?;
        let id = event.id.clone();
        let old = self.blocking(move |s| s.event(&id)).await?;
        let now = wall_ms();
        event.created_ms = old.as_ref().map_or(now, |o| o.created_ms);
        event.updated_ms = now;
        // Dates not given are the sessions' first and last days.
        if event.start_date.is_none() {
            let first = event.sessions.iter().map(|s| s.starts_ms).min();
            event.start_date = first.and_then(|ms| schedule::local_date(ms, &event.time_zone));
        }
        if event.end_date.is_none() {
            event.end_date =
                last_end(&event).and_then(|ms| schedule::local_date(ms, &event.time_zone));
        }
        let mut applied = Applied::default();
        let before: HashMap<&str, &EventSession> = old
            .iter()
            .flat_map(|o| o.sessions.iter().map(|s| (s.pad.as_str(), s)))
            .collect();
        for session in &event.sessions {
            let pad =
                PadId::parse(&session.pad).map_err(|_| EventError::BadPad(session.pad.clone()))?;
            let text = fill(&event, session, base_url);
            let head = self.head(&pad).await?;
            let current = match head {
                None | Some(0) => String::new(),
                Some(head) => self.text_at(&pad, head).await?,
            };
            let untouched = current.trim().is_empty()
                || old
                    .as_ref()
                    .zip(before.get(session.pad.as_str()))
                    .is_some_and(|(o, s)| fill(o, s, base_url) == current);
            let list = if !untouched {
                &mut applied.kept
            } else if current == text && head.is_some() {
                continue;
            } else if !self.fill_pad(&pad, current.clone(), text).await? {
                // Someone wrote in it a moment ago.
                &mut applied.kept
            } else if current.trim().is_empty() {
                &mut applied.created
            } else {
                &mut applied.refilled
            };
            list.push(session.pad.clone());
        }
        let listed: HashSet<&str> = event.sessions.iter().map(|s| s.pad.as_str()).collect();
        applied.dropped = before
            .keys()
            .filter(|p| !listed.contains(**p))
            .map(|p| (*p).to_owned())
            .collect();
        applied.dropped.sort();
        self.set_freeze(old.as_ref(), &event).await?;
        // The pads' new text is stored before the answer, so every node serves it.
        self.barrier().await;
        let stored = event.clone();
        self.blocking(move |s| {
            s.put_event(&stored)?;
            s.flush()
        })
        .await?;
        Ok(applied)
    }

    /// Replaces the pad's text with `text` if it is still `expected`; whether it did.
    async fn fill_pad(
        &self,
        id: &PadId,
        expected: String,
        text: String,
    ) -> Result<bool, EventError> {
        let pad = self.checkout(id).await.map_err(TransferError::from)?;
        pad.apply(
            None,
            crate::Edit::ReplaceIf {
                expected,
                text: text.clone(),
            },
        )
        .map_err(TransferError::from)?;
        let (filled, head) = (pad.text() == text, pad.head_rev());
        drop(pad);
        if head == 0 {
            // An empty template still makes the pad.
            let key = id.to_string();
            self.blocking(move |s| s.create(&key, wall_ms())).await?;
        }
        Ok(filled)
    }

    /// Schedules (or lifts) the lock at the event's end on each of its pads.
    async fn set_freeze(&self, old: Option<&Event>, event: &Event) -> Result<(), EventError> {
        let old_end = old.filter(|o| o.freeze_after_end).and_then(last_end);
        let new_end = last_end(event).filter(|_| event.freeze_after_end);
        let mut pads: Vec<&str> = event.sessions.iter().map(|s| s.pad.as_str()).collect();
        pads.extend(
            old.iter()
                .flat_map(|o| o.sessions.iter().map(|s| s.pad.as_str())),
        );
        pads.sort_unstable();
        pads.dedup();
        let listed: HashSet<&str> = event.sessions.iter().map(|s| s.pad.as_str()).collect();
        for pad in pads {
            let id = PadId::parse(pad).map_err(|_| EventError::BadPad(pad.to_owned()))?;
            let lock = self.lock_in_force(&id).await?;
            // Only the freeze's own lock is lifted or moved: one a moderator set stays.
            let ours = lock.as_ref().is_some_and(|l| {
                !l.locked && l.by.is_none() && l.lock_at.is_some() && l.lock_at == old_end
            });
            let want = new_end.filter(|_| listed.contains(pad));
            let wanted = |l: &PadLock| !l.locked && l.lock_at == want;
            let change = match (&lock, want) {
                (Some(l), _) if wanted(l) => false,
                (None, None) => false,
                (Some(_), None) => ours,
                (Some(l), Some(_)) => ours || !l.holds_at(wall_ms()) && l.lock_at.is_none(),
                (None, Some(_)) => true,
            };
            if change {
                self.set_lock(
                    &id,
                    PadLock {
                        locked: false,
                        lock_at: want,
                        by: None,
                        time_ms: wall_ms(),
                        chat: false,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Removes the event; its pads stay, with any lock but the freeze's. Returns whether it
    /// existed.
    pub async fn delete_event(&self, id: &str) -> Result<bool, EventError> {
        let Some(old) = self.event(id).await? else {
            return Ok(false);
        };
        // A freeze without its event would lock pads at a time nobody sees any more.
        let none = Event {
            id: old.id.clone(),
            ..Event::default()
        };
        self.set_freeze(Some(&old), &none).await?;
        let id = id.to_owned();
        Ok(self
            .blocking(move |s| {
                let existed = s.delete_event(&id)?;
                s.flush()?;
                Ok::<_, StoreError>(existed)
            })
            .await?)
    }

    pub async fn event(&self, id: &str) -> Result<Option<Event>, StoreError> {
        let id = id.to_owned();
        self.blocking(move |s| s.event(&id)).await
    }

    /// The event whose schedule lists `pad`, and that session: a pad links back to its event.
    pub async fn event_of_pad(
        &self,
        pad: &str,
    ) -> Result<Option<(Event, EventSession)>, StoreError> {
        let pad = pad.to_owned();
        self.blocking(move |s| {
            for id in event_ids_of_pad(&pad) {
                let Some(event) = s.event(id)? else { continue };
                if let Some(session) = event.sessions.iter().find(|x| x.pad == pad).cloned() {
                    return Ok(Some((event, session)));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Who is in each session's pad now, when it was last edited and its length.
    pub async fn sessions_live(
        &self,
        event: &Event,
        texts: &EventTexts,
    ) -> Result<Vec<SessionLive>, EventError> {
        let states = texts.current(self, event).await?;
        Ok(event
            .sessions
            .iter()
            .zip(states)
            .map(|(session, state)| SessionLive {
                present: PadId::parse(&session.pad)
                    .ok()
                    .and_then(|id| self.peek(&id))
                    .map_or(0, |l| l.connections()),
                last_edited_ms: state.as_ref().map(|s| s.last_edited_ms),
                chars: state.map_or(0, |s| s.chars),
            })
            .collect())
    }

    /// The event's pads that match `query`, best first.
    pub async fn search_event(
        &self,
        event: &Event,
        query: &Query,
        texts: &EventTexts,
    ) -> Result<Vec<EventHit>, EventError> {
        let states = texts.current(self, event).await?;
        let mut scored: Vec<_> = event
            .sessions
            .iter()
            .zip(&states)
            .filter_map(|(session, state)| {
                let state = state.as_ref()?;
                let scored = ypad_formats::search::score(query, &session.title, &state.text)?;
                Some((scored, session, state))
            })
            .collect();
        scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.1.pad.cmp(&b.1.pad)));
        scored.truncate(MAX_HITS);
        // Snippets for the results shown only.
        let hits = scored
            .into_iter()
            .map(|(scored, session, state)| EventHit {
                pad: session.pad.clone(),
                title: session.title.clone(),
                hit: ypad_formats::search::hit(query, &state.text, scored),
            })
            .collect();
        Ok(hits)
    }
}

impl EventTexts {
    /// Every session pad's current state, `None` for a pad without revisions.
    async fn current(
        &self,
        engine: &Engine,
        event: &Event,
    ) -> Result<Vec<Option<PadState>>, EventError> {
        let now = Instant::now();
        let heads: Vec<Option<u64>> = event
            .sessions
            .iter()
            .map(|s| {
                PadId::parse(&s.pad)
                    .ok()
                    .and_then(|id| engine.peek(&id))
                    .map(|l| l.head_rev())
            })
            .collect();
        // Pads whose stored head must be read: unknown, edited live since, or not confirmed lately.
        let stale: Vec<String> = {
            let cached = crate::lock(&self.pads);
            event
                .sessions
                .iter()
                .zip(&heads)
                .filter(|(s, live)| match (cached.get(&s.pad), live) {
                    (None, _) => true,
                    (Some(c), Some(head)) => c.rev != *head,
                    (Some(c), None) => now.duration_since(c.checked) > STORED_HEAD_TTL,
                })
                .map(|(s, _)| s.pad.clone())
                .collect()
        };
        if !stale.is_empty() {
            let metas = engine
                .blocking(move |s| {
                    stale
                        .into_iter()
                        .map(|p| s.meta(&p).map(|m| (p, m)))
                        .collect::<Result<Vec<_>, _>>()
                })
                .await?;
            for (pad, meta) in metas {
                let live_head = PadId::parse(&pad)
                    .ok()
                    .and_then(|id| engine.peek(&id))
                    .map(|l| l.head_rev());
                let stored = meta.as_ref().map_or(0, |m| m.revisions);
                let head = live_head.unwrap_or(0).max(stored);
                if head == 0 {
                    crate::lock(&self.pads).remove(&pad);
                    continue;
                }
                // A live head ahead of the store is an edit of the last moments.
                let last_edited_ms = match meta {
                    Some(m) if m.revisions >= head => m.last_edited_ms,
                    _ => wall_ms(),
                };
                let same = crate::lock(&self.pads)
                    .get(&pad)
                    .is_some_and(|c| c.rev == head);
                if same {
                    if let Some(c) = crate::lock(&self.pads).get_mut(&pad) {
                        c.checked = now;
                        c.last_edited_ms = last_edited_ms;
                    }
                    continue;
                }
                let id = PadId::parse(&pad).map_err(|_| EventError::BadPad(pad.clone()))?;
                let text = engine.text_at(&id, head).await?;
                let chars = text.chars().count() as u64;
                let state = PadState {
                    rev: head,
                    text: Arc::new(Searchable::new(text)),
                    chars,
                    last_edited_ms,
                    checked: now,
                };
                crate::lock(&self.pads).insert(pad, state);
            }
        }
        let cached = crate::lock(&self.pads);
        Ok(event
            .sessions
            .iter()
            .map(|s| cached.get(&s.pad).cloned())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{Edit, Settings};

    #[test]
    fn a_pad_id_names_its_possible_events_longest_first() {
        let ids: Vec<&str> = event_ids_of_pad("summit-2026-keynote").collect();
        assert_eq!(ids, ["summit-2026", "summit"]);
        assert_eq!(event_ids_of_pad("-x").count(), 0);
        assert_eq!(event_ids_of_pad("plain").count(), 0);
    }

    #[tokio::test]
    async fn a_pad_is_filled_only_while_it_holds_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ypad_store::SledStore::open(dir.path()).unwrap());
        let engine = Engine::start(
            store,
            &Settings {
                history_block_len: 100,
                idle_evict: Duration::from_secs(60),
                max_pad_chars: 1 << 20,
                cluster: None,
            },
        );
        let id = PadId::parse("ev-a").unwrap();
        // Read as empty, then someone types before the template lands: the typing stays.
        let pad = engine.checkout(&id).await.unwrap();
        pad.apply(None, Edit::Replace("typed".into())).unwrap();
        drop(pad);
        let filled = engine
            .fill_pad(&id, String::new(), "# template".into())
            .await
            .unwrap();
        assert!(!filled);
        assert_eq!(engine.checkout(&id).await.unwrap().text(), "typed");
        assert!(
            engine
                .fill_pad(&id, "typed".into(), "# template".into())
                .await
                .unwrap()
        );
        assert_eq!(engine.checkout(&id).await.unwrap().text(), "# template");
        engine.shutdown().await;
    }
}
