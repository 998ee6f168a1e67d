//! Diagnostics of the tool itself, on stderr and never in the report.

use tracing_subscriber::EnvFilter;

/// `-v` logs at debug, `-vv` at trace; `GOLDPATH_LOG` (a tracing filter) wins when set.
pub fn init(verbose: u8) {
    let filter = match std::env::var("GOLDPATH_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::new(spec),
        _ => EnvFilter::new(match verbose {
            0 => "warn",
            1 => "goldpath=debug,goldpath_git=debug,goldpath_cli=debug",
            _ => "goldpath=trace,goldpath_git=trace,goldpath_cli=trace",
        }),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
