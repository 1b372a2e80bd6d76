//! The `cachescope` command line. Argument parsing only; all simulation work
//! is in [`crate::sim`].

use clap::Parser;

/// Simulate caches drifting from their database under concurrency.
///
/// The command line runs the same simulation core as the browser playground.
/// Build and serve the playground with `make serve`.
#[derive(Debug, Parser)]
#[command(name = "cachescope", version, arg_required_else_help = true)]
pub struct Cli {}

/// Parses the process arguments (printing help or the version and exiting
/// when asked) and returns the process exit code.
pub fn main() -> i32 {
    let _cli = Cli::parse();
    0
}
