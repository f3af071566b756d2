//! The `kintsugi` binary: the window with no subcommand, the command line with one.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = match cli::Args::try_parse() {
        Ok(a) => a,
        Err(e) => return cli::usage_error(e),
    };
    init_logging();
    let error_status = args.error_status();
    match cli::run(args) {
        Ok(status) => status,
        Err(e) => {
            // One clear line; the cause chain joined, never a backtrace.
            eprintln!("kintsugi: {}", format_chain(&e));
            if e.downcast_ref::<cli::BadArgument>().is_some() {
                ExitCode::from(2)
            } else {
                error_status
            }
        }
    }
}

fn format_chain(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn init_logging() {
    // Logs go to stderr, carry no document content, and are quiet unless KINTSUGI_LOG asks.
    let filter = tracing_subscriber::EnvFilter::try_from_env("KINTSUGI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
