//! The `ypad` binary: parse arguments, set up logging, run the chosen command.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
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
        // Tests and scripts read the port from this line; keep its wording.
        println!(
            "ypad listening on http://{addr}/ (data in {})",
            args.data_dir.display()
        );
        ypad_server::run(listener, config, shutdown_signal()).await?;
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
