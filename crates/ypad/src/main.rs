//! The `ypad` binary: parse arguments, set up logging, run the chosen command.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use ypad_server::transfer::Format;

mod transfer_cli;
use tracing_subscriber::EnvFilter;

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
}

/// Where `export` and `import` find pads.
#[derive(Args)]
struct Target {
    /// Work on this data directory directly (the server must be stopped).
    #[arg(long, env = "YPAD_DATA_DIR", default_value = "./ypad-data")]
    data_dir: PathBuf,
    /// Work through a running server instead, e.g. http://127.0.0.1:9001.
    #[arg(long)]
    server: Option<String>,
    /// The server's API key (`APIKEY.txt` in its data directory).
    #[arg(long, env = "YPAD_API_KEY")]
    api_key: Option<String>,
}

impl Target {
    fn source(self) -> transfer_cli::Source {
        match self.server {
            Some(url) => transfer_cli::Source::Server {
                url: url.trim_end_matches('/').to_owned(),
                api_key: self.api_key,
            },
            None => transfer_cli::Source::DataDir(self.data_dir),
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
    /// md, txt, html or etherpad.
    #[arg(long, default_value = "md", value_parser = parse_format)]
    format: Format,
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

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("unknown format {s:?}: use md, txt, html or etherpad"))
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "YPAD_LISTEN", default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    /// Directory of the embedded sled store.
    #[arg(long, env = "YPAD_DATA_DIR", default_value = "./ypad-data")]
    data_dir: PathBuf,
    /// Seconds a pad without connections stays in memory.
    #[arg(long, env = "YPAD_IDLE_EVICT_SECS", default_value_t = 60)]
    idle_evict_secs: u64,
    /// Largest WebSocket message accepted, in bytes; larger ones close the connection (1009).
    #[arg(long, env = "YPAD_MAX_MESSAGE_BYTES", default_value_t = 16 * 1024 * 1024)]
    max_message_bytes: usize,
    /// Open WebSocket connections the server accepts.
    #[arg(long, env = "YPAD_MAX_CONNECTIONS", default_value_t = 20_000)]
    max_connections: usize,
    /// Open WebSocket connections one pad accepts.
    #[arg(long, env = "YPAD_MAX_CONNECTIONS_PER_PAD", default_value_t = 5_000)]
    max_connections_per_pad: usize,
    /// Sustained messages per second one connection may send (bursts of 10× are allowed).
    #[arg(long, env = "YPAD_MAX_FRAMES_PER_SEC", default_value_t = 200)]
    max_frames_per_sec: u32,
    /// Largest pad, in characters (UTF-16 code units).
    #[arg(long, env = "YPAD_MAX_PAD_CHARS", default_value_t = 8 * 1024 * 1024)]
    max_pad_chars: u64,
    /// Seconds an HTTP connection has to send a request's line and headers before it is closed.
    #[arg(
        long,
        env = "YPAD_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    header_read_timeout_secs: u64,
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
        Command::Export(cmd) => transfer_cli::export(
            cmd.target.source(),
            transfer_cli::ExportArgs {
                pads: cmd.pads,
                prefix: cmd.prefix,
                format: cmd.format,
                out: cmd.out,
            },
        ),
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
        let mut config = ypad_server::Config::new(&args.data_dir);
        config.idle_evict = Duration::from_secs(args.idle_evict_secs);
        config.max_message_bytes = args.max_message_bytes;
        config.max_connections = args.max_connections;
        config.max_connections_per_pad = args.max_connections_per_pad;
        config.max_frames_per_sec = args.max_frames_per_sec;
        config.max_pad_chars = args.max_pad_chars;
        config.header_read_timeout = Duration::from_secs(args.header_read_timeout_secs);
        let server = ypad_server::Server::open(config).await?;
        println!("HTTP API key in {}", server.api_key_path().display());
        // Tests and scripts read the port from this line; keep its wording.
        println!(
            "ypad listening on http://{addr}/ (data in {})",
            args.data_dir.display()
        );
        server.serve(listener, shutdown_signal()).await?;
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

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
