//! `ypad export` and `ypad import`: whole pads to and from files, either straight on a data
//! directory through the pad engine (with the server stopped: sled allows one process), on a
//! cluster's PostgreSQL database (as a node of its own for the while: it claims the pads it
//! imports into, and leaves pads open on a running node to that node), or through a running
//! server's HTTP endpoints.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use ypad_core::PadId;
use ypad_engine::{Engine, ExportOptions, Format, Settings};
use ypad_store::{Claim, NodeInfo, PgStore, SledStore, Store};

pub type CliResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Where pads come from or go to.
pub enum Source {
    DataDir(PathBuf),
    /// A cluster's PostgreSQL database.
    Database(String),
    Server {
        url: String,
        api_key: Option<String>,
    },
}

/// How long export and import wait for the store's lock. Long enough for a server that is
/// just stopping to let go; a running server never will, and the hint to use `--server` should
/// come without a long wait.
const LOCK_GRACE: Duration = Duration::from_secs(1);

/// The pad engine over a stopped server's data directory.
pub(crate) fn open_engine(dir: &Path) -> CliResult<Engine> {
    let store = SledStore::open_with_grace(dir, LOCK_GRACE).map_err(|e| {
        format!(
            "cannot open the store in {}: {e} (is a server running on it? stop it, or use --server)",
            dir.display()
        )
    })?;
    Ok(Engine::start(Arc::new(store), &settings(None)))
}

/// The pad engine over a cluster's database for reading what the pads' owners committed; it
/// claims nothing, so it must not write.
pub(crate) fn open_database_reader(url: &str) -> CliResult<Engine> {
    let store = PgStore::open(url).map_err(|e| format!("cannot open the database: {e}"))?;
    Ok(Engine::start(Arc::new(store), &settings(None)))
}

/// The pad engine over a cluster's database, as a node that serves nobody: its id says so.
fn open_database(url: &str) -> CliResult<(Engine, String)> {
    let store = PgStore::open(url).map_err(|e| format!("cannot open the database: {e}"))?;
    let node = format!("cli-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let cluster = ypad_engine::ClusterNode {
        info: NodeInfo {
            id: node.clone(),
            advertise_url: String::new(),
        },
        lease_ttl: CLI_LEASE,
    };
    Ok((
        Engine::start(Arc::new(store), &settings(Some(cluster))),
        node,
    ))
}

/// The command line's lease on a cluster's database: it renews it while it works.
const CLI_LEASE: Duration = Duration::from_secs(5);

fn settings(cluster: Option<ypad_engine::ClusterNode>) -> Settings {
    Settings {
        history_block_len: ypad_engine::DEFAULT_HISTORY_BLOCK_LEN,
        // Nothing sweeps here, and a file imported by the operator is not held to the size
        // limit of edits from the network.
        idle_evict: Duration::MAX,
        max_pad_chars: u64::MAX,
        cluster,
    }
}

pub(crate) fn progress(len: usize) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // indicatif draws only on a terminal, so scripts get clean output.
    bar
}

/// File name of a pad's export: the pad id, made safe for file systems.
pub(crate) fn file_name(pad: &str, format: Format) -> String {
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
    /// Comment threads as footnotes (Markdown, text, HTML).
    pub comments: bool,
    pub out: PathBuf,
}

pub fn export(source: Source, args: ExportArgs) -> CliResult {
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    match source {
        Source::DataDir(dir) => runtime()?.block_on(async {
            let engine = open_engine(&dir)?;
            let exported = export_pads(&engine, &args).await;
            engine.shutdown().await;
            eprintln!("exported {} pad(s) to {}", exported?, args.out.display());
            Ok::<_, Box<dyn std::error::Error>>(())
        })?,
        // Reads only what the pads' owners committed: no claim is needed.
        Source::Database(url) => runtime()?.block_on(async {
            let engine = open_database_reader(&url)?;
            let exported = export_pads(&engine, &args).await;
            engine.shutdown().await;
            eprintln!("exported {} pad(s) to {}", exported?, args.out.display());
            Ok::<_, Box<dyn std::error::Error>>(())
        })?,
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
                        "{url}/p/{}/export/{}{}",
                        encode(pad),
                        args.format.extension(),
                        if args.comments { "?comments=1" } else { "" }
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

async fn export_pads(engine: &Engine, args: &ExportArgs) -> CliResult<usize> {
    let all: Vec<String> = engine
        .blocking(|s| s.list())
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let pads = select(all, args)?;
    let bar = progress(pads.len());
    for pad in &pads {
        bar.set_message(pad.clone());
        let id = PadId::parse(pad).map_err(|e| format!("{pad}: {e}"))?;
        let body = engine
            .export(
                &id,
                pad,
                None,
                ExportOptions {
                    format: args.format,
                    comments: args.comments,
                },
            )
            .await
            .map_err(|e| format!("{pad}: {e}"))?;
        write(&args.out, pad, args.format, &body)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(pads.len())
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
        Source::DataDir(dir) => runtime()?.block_on(async {
            let engine = open_engine(&dir)?;
            let imported = import_files(&engine, &jobs).await;
            engine.shutdown().await;
            imported
        })?,
        Source::Database(url) => runtime()?.block_on(async {
            let (engine, node) = open_database(&url)?;
            let imported = claim_all(&engine, &node, &jobs).await;
            let imported = match imported {
                Ok(()) => import_files(&engine, &jobs).await,
                Err(e) => Err(e),
            };
            // Commits, then releases the pads and the lease.
            engine.shutdown().await;
            imported
        })?,
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

/// Claims every pad to import into, refusing pads a running node owns: its browsers would not
/// see an import written beside it.
async fn claim_all(engine: &Engine, node: &str, jobs: &[(PathBuf, PadId)]) -> CliResult {
    for (file, pad) in jobs {
        let (key, node) = (pad.to_string(), node.to_owned());
        let claim = engine
            .blocking(move |s: &dyn Store| s.cluster().map(|c| c.claim(&key, &node)))
            .await
            .transpose()
            .map_err(|e| format!("{}: {e}", file.display()))?;
        if let Some(Claim::Theirs { owner, .. }) = claim {
            return Err(format!(
                "{}: pad {pad} is open on node {} ({}): import through --server {}",
                file.display(),
                owner.id,
                owner.advertise_url,
                owner.advertise_url
            )
            .into());
        }
    }
    Ok(())
}

async fn import_files(engine: &Engine, jobs: &[(PathBuf, PadId)]) -> CliResult {
    for (file, pad) in jobs {
        let bytes =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let content = ypad_engine::read_file(&name, &bytes)?;
        let revisions = engine
            .import(pad, content)
            .await
            .map_err(|e| format!("{}: {e}", file.display()))?;
        eprintln!("{} → pad {pad} ({revisions} revisions)", file.display());
    }
    Ok(())
}

pub(crate) fn runtime() -> CliResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub(crate) fn http_client(api_key: Option<&str>) -> CliResult<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(key) = api_key {
        headers.insert("apikey", key.parse()?);
    }
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

/// What a URL path segment may carry unencoded (RFC 3986's unreserved characters).
const PATH_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a pad id for a URL path segment.
pub(crate) fn encode(pad: &str) -> String {
    utf8_percent_encode(pad, PATH_UNRESERVED).to_string()
}
