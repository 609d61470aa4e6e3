//! The `ypad` binary: parse arguments, set up logging, run the chosen command.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use ypad_engine::Format;

mod archive_cli;
mod event_cli;
mod migrate_cli;
mod transfer_cli;

#[derive(Parser)]
#[command(
    name = "ypad",
    version,
    about = "A real-time collaborative notes editor"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of `serve`, the default command.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the editor, the y-websocket endpoint and the HTTP API (the default).
    Serve(ServeArgs),
    /// Export pads to files: some by name, all with a prefix, or every pad.
    Export(ExportCmd),
    /// Import files into pads (.md, .txt, .html, .etherpad).
    Import(ImportCmd),
    /// Copy every pad with its whole history, the authors and the API key from one store to
    /// another: a data directory to PostgreSQL or back. Safe to run again after an
    /// interruption; verifies what it copied.
    Migrate(MigrateCmd),
    /// Events: a schedule of sessions, each with its pad, listed on `/e/{event}`.
    #[command(subcommand)]
    Event(EventCmd),
}

#[derive(Subcommand)]
enum EventCmd {
    /// Make an event (or make it again from an edited schedule) and its sessions' pads. Pads
    /// someone wrote in are kept as they are.
    Create(EventCreateCmd),
}

#[derive(Args)]
struct EventCreateCmd {
    /// The event's id, the prefix of its pads' ids (e.g. summit-2026).
    event: String,
    /// The schedule: .csv, .json or .ics (columns in README.md).
    #[arg(long)]
    from: PathBuf,
    #[arg(long)]
    title: Option<String>,
    /// A Markdown file each new session pad starts from ({{title}}, {{starts}}, {{room}},
    /// {{moderators}}, {{url}}, {{event}} are filled in).
    #[arg(long)]
    template: Option<PathBuf>,
    /// IANA zone of the schedule's times without an offset (default: the event's, else UTC).
    #[arg(long)]
    time_zone: Option<String>,
    /// Lock the pads when the last session ends (true), or lift that lock (false).
    #[arg(long)]
    freeze_after_end: Option<bool>,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
struct MigrateCmd {
    /// The store to copy: a data directory, or a postgres:// URL.
    #[arg(long)]
    from: String,
    /// Where to copy it: a data directory, or a postgres:// URL.
    #[arg(long)]
    to: String,
}

/// Where `export` and `import` find pads.
#[derive(Args)]
struct Target {
    /// Work on this data directory directly (the server must be stopped).
    #[arg(long, env = "YPAD_DATA_DIR", default_value = ypad_server::DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// Work on this PostgreSQL database (a cluster's) instead; pads open on a running node
    /// are left to it (import through `--server`).
    #[arg(
        long,
        env = "YPAD_DATABASE_URL",
        hide_env_values = true,
        conflicts_with = "server"
    )]
    database_url: Option<String>,
    /// Work through a running server instead, e.g. http://127.0.0.1:9001.
    #[arg(long)]
    server: Option<String>,
    /// The server's API key (`APIKEY.txt` in its data directory).
    #[arg(long, env = "YPAD_API_KEY")]
    api_key: Option<String>,
}

impl Target {
    fn source(self) -> transfer_cli::Source {
        match (self.server, self.database_url) {
            (Some(url), _) => transfer_cli::Source::Server {
                url: url.trim_end_matches('/').to_owned(),
                api_key: self.api_key,
            },
            (None, Some(url)) => transfer_cli::Source::Database(url),
            (None, None) => transfer_cli::Source::DataDir(self.data_dir),
        }
    }
}

#[derive(Args)]
struct ExportCmd {
    /// Pads to export; none means every pad (or every pad with --prefix).
    pads: Vec<String>,
    /// Export the pads whose id starts with this (e.g. one summit's).
    #[arg(long)]
    prefix: Option<String>,
    /// Export an event's archive: its sessions' pads with an `index.md` in schedule order
    /// (`--format md`), or a static site (`--format site`).
    #[arg(long, conflicts_with_all = ["pads", "prefix"])]
    event: Option<String>,
    /// md, txt, html or etherpad; with --event, md or site.
    #[arg(long, default_value = "md")]
    format: String,
    /// Add the pad's comment threads as footnotes at their text (md, txt, html; an .etherpad
    /// file always carries them).
    #[arg(long, conflicts_with = "event")]
    comments: bool,
    /// Directory to write one file per pad into.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    target: Target,
}

#[derive(Args)]
struct ImportCmd {
    /// Files to import; each goes into the pad named like the file (without extension).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Import the (single) file into this pad instead.
    #[arg(long)]
    pad: Option<String>,
    #[command(flatten)]
    target: Target,
}

fn export(cmd: ExportCmd) -> transfer_cli::CliResult {
    let source = cmd.target.source();
    if let Some(event) = cmd.event {
        let format = archive_cli::ArchiveFormat::parse(&cmd.format).ok_or_else(|| {
            format!(
                "unknown format {:?} for an event: use md or site",
                cmd.format
            )
        })?;
        return archive_cli::export_event(
            source,
            archive_cli::EventExportArgs {
                event,
                format,
                out: cmd.out,
            },
        );
    }
    let format = Format::parse(&cmd.format).ok_or_else(|| match cmd.format.as_str() {
        "site" => "--format site exports an event: give --event".to_owned(),
        other => format!("unknown format {other:?}: use md, txt, html or etherpad"),
    })?;
    transfer_cli::export(
        source,
        transfer_cli::ExportArgs {
            pads: cmd.pads,
            prefix: cmd.prefix,
            format,
            comments: cmd.comments,
            out: cmd.out,
        },
    )
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YPAD_LISTEN", default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    #[command(flatten)]
    config: ypad_server::Config,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    quiet_caught_panics();
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(args) => serve(args),
        Command::Export(cmd) => export(cmd),
        Command::Event(EventCmd::Create(cmd)) => event_cli::create(
            cmd.target.source(),
            event_cli::CreateArgs {
                event: cmd.event,
                from: cmd.from,
                title: cmd.title,
                template: cmd.template,
                time_zone: cmd.time_zone,
                freeze_after_end: cmd.freeze_after_end,
            },
        ),
        Command::Migrate(cmd) => migrate_cli::migrate(&cmd.from, &cmd.to),
        Command::Import(cmd) => transfer_cli::import(
            cmd.target.source(),
            transfer_cli::ImportArgs {
                files: cmd.files,
                pad: cmd.pad,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ypad: {err}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr()?;
        let data = match &args.config.database_url {
            Some(_) => "PostgreSQL".to_owned(),
            None => args.config.data_dir.display().to_string(),
        };
        let server = ypad_server::Server::open(args.config).await?;
        println!("HTTP API key in {}", server.api_key_path().display());
        // Tests and scripts read the port from this line; keep its wording.
        println!("ypad listening on http://{addr}/ (data in {data})");
        server
            .serve(listener, ypad_server::shutdown_signal())
            .await?;
        Ok(())
    })
}

/// yrs asserts on some malformed input; ypad-core catches those panics and closes the
/// offending connection. Report them as one log line instead of the default panic message.
fn quiet_caught_panics() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::warn!(%location, %message, "panic");
    }));
}
