//! `ypad event create`: an event made (or made again) from a schedule file, on a stopped
//! server's data directory through the engine, or through a running server's
//! `POST /api/v1/events`. Either way the schedule is read by the same code (the engine's
//! `events::merge`), the server's when it goes through one.

use std::path::PathBuf;

use serde_json::{Map, Value, json};
use ypad_engine::events;

use crate::transfer_cli::{CliResult, Source, encode, http_client, open_engine, runtime};

pub struct CreateArgs {
    pub event: String,
    pub from: PathBuf,
    pub title: Option<String>,
    pub template: Option<PathBuf>,
    pub time_zone: Option<String>,
    pub freeze_after_end: Option<bool>,
}

fn read(path: &PathBuf) -> CliResult<String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

/// The fields this run sets; the others keep what the event has.
fn patch(args: &CreateArgs) -> CliResult<Map<String, Value>> {
    let mut patch = Map::new();
    patch.insert("id".into(), json!(args.event));
    patch.insert("schedule".into(), json!(read(&args.from)?));
    if let Some(format) = args.from.extension().and_then(|e| e.to_str()) {
        patch.insert("scheduleFormat".into(), json!(format));
    }
    if let Some(title) = &args.title {
        patch.insert("title".into(), json!(title));
    }
    if let Some(template) = &args.template {
        patch.insert("template".into(), json!(read(template)?));
    }
    if let Some(zone) = &args.time_zone {
        patch.insert("timeZone".into(), json!(zone));
    }
    if let Some(freeze) = args.freeze_after_end {
        patch.insert("freezeAfterEnd".into(), json!(freeze));
    }
    Ok(patch)
}

pub fn create(source: Source, args: CreateArgs) -> CliResult {
    let patch = patch(&args)?;
    let applied: Value = match source {
        Source::DataDir(dir) => runtime()?.block_on(async {
            let engine = open_engine(&dir)?;
            let result = async {
                let old = engine.event(&args.event).await?;
                let event = events::merge(&args.event, old.as_ref(), patch)?;
                // No server names itself here: `{{url}}` is the pad's path.
                Ok::<_, Box<dyn std::error::Error>>(engine.put_event(event, "").await?)
            }
            .await;
            engine.shutdown().await;
            Ok::<_, Box<dyn std::error::Error>>(serde_json::to_value(result?)?)
        })?,
        // Making an event writes its pads, which only their owners may do in a cluster.
        Source::Database(_) => {
            return Err(
                "an event of a cluster is made through one of its nodes: use --server URL --api-key KEY"
                    .into(),
            );
        }
        Source::Server { url, api_key } => runtime()?.block_on(async {
            let client = http_client(api_key.as_deref())?;
            let response = client
                .put(format!("{url}/api/v1/events/{}", encode(&args.event)))
                .json(&Value::Object(patch))
                .send()
                .await?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                let why = body["error"].as_str().unwrap_or("no reason given");
                return Err(format!("the server refused the event ({status}): {why}").into());
            }
            Ok::<_, Box<dyn std::error::Error>>(body["applied"].clone())
        })?,
    };
    let count = |key: &str| applied[key].as_array().map_or(0, Vec::len);
    eprintln!(
        "event {}: {} pad(s) created, {} refilled, {} kept as written, {} no longer listed",
        args.event,
        count("created"),
        count("refilled"),
        count("kept"),
        count("dropped")
    );
    Ok(())
}
