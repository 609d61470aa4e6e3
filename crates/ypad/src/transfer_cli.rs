//! `ypad export` and `ypad import`: whole pads to and from files, either straight on a data
//! directory (with the server stopped: sled allows one process) or through a running server's
//! HTTP endpoints.

use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use ypad_core::PadId;
use ypad_server::transfer::{self, Format, Import};
use ypad_store::{LogEntry, SledStore, Store};

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Where pads come from or go to.
pub enum Source {
    DataDir(PathBuf),
    Server {
        url: String,
        api_key: Option<String>,
    },
}

/// How long export and import wait for the store's lock. Long enough for a server that is
/// just stopping to let go; a running server never will, and the hint to use `--server` should
/// come without a long wait.
const LOCK_GRACE: Duration = Duration::from_secs(1);

fn open_store(dir: &Path) -> CliResult<SledStore> {
    SledStore::open_with_grace(dir, LOCK_GRACE).map_err(|e| {
        format!(
            "cannot open the store in {}: {e} (is a server running on it? stop it, or use --server)",
            dir.display()
        )
        .into()
    })
}

fn progress(len: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // indicatif draws only on a terminal, so scripts get clean output.
    bar
}

/// File name of a pad's export: the pad id, made safe for file systems.
fn file_name(pad: &str, format: Format) -> String {
    let safe: String = pad
        .chars()
        .map(|c| {
            if matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("{safe}.{}", format.extension())
}

pub struct ExportArgs {
    pub pads: Vec<String>,
    pub prefix: Option<String>,
    pub format: Format,
    pub out: PathBuf,
}

pub fn export(source: Source, args: ExportArgs) -> CliResult {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    match source {
        Source::DataDir(dir) => {
            let store = open_store(&dir)?;
            let all: Vec<String> = store.list()?.into_iter().map(|m| m.id).collect();
            let pads = select(all, &args)?;
            let bar = progress(pads.len());
            let history =
                ypad_server::history::HistoryIndex::new(ypad_server::history::DEFAULT_BLOCK_LEN);
            for pad in &pads {
                bar.set_message(pad.clone());
                let body = transfer::export(&store, &history, pad, None, args.format)
                    .map_err(|e| format!("{pad}: {e}"))?;
                write(&args.out, pad, args.format, &body)?;
                bar.inc(1);
            }
            bar.finish_and_clear();
            eprintln!("exported {} pad(s) to {}", pads.len(), args.out.display());
        }
        Source::Server { url, api_key } => runtime()?.block_on(async {
            let client = http_client(api_key.as_deref())?;
            let list: serde_json::Value = client
                .get(format!("{url}/api/v1/pads"))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            let all: Vec<String> = list["pads"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p["id"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let pads = select(all, &args)?;
            let bar = progress(pads.len());
            for pad in &pads {
                bar.set_message(pad.clone());
                let resp = client
                    .get(format!(
                        "{url}/p/{}/export/{}",
                        encode(pad),
                        args.format.extension()
                    ))
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    return Err(format!("{pad}: the server answered {}", resp.status()).into());
                }
                write(&args.out, pad, args.format, &resp.bytes().await?)?;
                bar.inc(1);
            }
            bar.finish_and_clear();
            eprintln!("exported {} pad(s) to {}", pads.len(), args.out.display());
            Ok::<_, Box<dyn std::error::Error>>(())
        })?,
    }
    Ok(())
}

/// The pads named, or those with the prefix, or all; named pads must exist.
fn select(all: Vec<String>, args: &ExportArgs) -> CliResult<Vec<String>> {
    if !args.pads.is_empty() {
        if let Some(missing) = args.pads.iter().find(|p| !all.contains(p)) {
            return Err(format!("pad {missing} does not exist").into());
        }
        return Ok(args.pads.clone());
    }
    let mut pads: Vec<String> = all
        .into_iter()
        .filter(|p| {
            args.prefix
                .as_deref()
                .is_none_or(|prefix| p.starts_with(prefix))
        })
        .collect();
    pads.sort();
    Ok(pads)
}

fn write(out: &Path, pad: &str, format: Format, body: &[u8]) -> CliResult {
    let path = out.join(file_name(pad, format));
    std::fs::write(&path, body).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

pub struct ImportArgs {
    pub files: Vec<PathBuf>,
    /// Pad to import into; by default each file's name without its extension.
    pub pad: Option<String>,
}

pub fn import(source: Source, args: ImportArgs) -> CliResult {
    if args.pad.is_some() && args.files.len() > 1 {
        return Err("--pad names one pad: give one file with it".into());
    }
    let jobs: Vec<(PathBuf, PadId)> = args
        .files
        .iter()
        .map(|file| {
            let name = match &args.pad {
                Some(p) => p.clone(),
                None => file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let pad = PadId::sanitize(&name).map_err(|e| format!("{}: {e}", file.display()))?;
            Ok((file.clone(), pad))
        })
        .collect::<CliResult<_>>()?;
    match source {
        Source::DataDir(dir) => {
            let store = open_store(&dir)?;
            for (file, pad) in &jobs {
                let bytes = std::fs::read(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                let revisions = match transfer::read_file(&name, &bytes)? {
                    Import::Etherpad(json) => {
                        transfer::import_etherpad(&store, pad.as_str(), &json)
                            .map_err(|e| format!("{}: {e}", file.display()))?
                    }
                    Import::Text(text) => set_text_offline(&store, pad.as_str(), &text)?,
                };
                eprintln!("{} → pad {pad} ({revisions} revisions)", file.display());
            }
        }
        Source::Server { url, api_key } => runtime()?.block_on(async {
            let client = http_client(api_key.as_deref())?;
            for (file, pad) in &jobs {
                let bytes = std::fs::read(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let form = reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
                let resp = client
                    .post(format!("{url}/p/{}/import", encode(pad.as_str())))
                    .multipart(form)
                    .send()
                    .await?;
                let status = resp.status();
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                if !status.is_success() {
                    let why = body["error"].as_str().unwrap_or("no reason given");
                    return Err(format!("{}: {why} ({status})", file.display()).into());
                }
                eprintln!(
                    "{} → pad {pad} ({} revisions)",
                    file.display(),
                    body["data"]["revisions"]
                );
            }
            Ok::<_, Box<dyn std::error::Error>>(())
        })?,
    }
    Ok(())
}

/// Replaces a stopped pad's text as one new revision, straight in the store.
fn set_text_offline(store: &SledStore, pad: &str, text: &str) -> CliResult<u64> {
    let (mut doc, head) = ypad_server::registry::load_doc(store, pad)?;
    let now = ypad_server::clock::wall_ms();
    store.create(pad, now)?;
    if let Some(update) = doc.set_text(text) {
        store.append(&[LogEntry {
            pad: pad.to_owned(),
            rev: head + 1,
            time_ms: now,
            author: None,
            update: update.into(),
            new_clients: Vec::new(),
        }])?;
        store.flush()?;
        return Ok(head + 1);
    }
    store.flush()?;
    Ok(head)
}

fn runtime() -> CliResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

fn http_client(api_key: Option<&str>) -> CliResult<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = api_key {
        headers.insert("apikey", key.parse()?);
    }
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// Percent-encodes a pad id for a URL path segment.
fn encode(pad: &str) -> String {
    pad.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
