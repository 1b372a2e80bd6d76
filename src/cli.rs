//! The `cachescope` command line. Argument parsing and printing only; all
//! simulation work is in [`crate::sim`].

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::lessons::{self, LESSONS};
use crate::sim::{Report, Scenario, Simulation};

/// Simulate caches drifting from their database under concurrency.
///
/// The command line runs the same simulation core as the browser playground.
/// Build and serve the playground with `make serve`.
#[derive(Debug, Parser)]
#[command(name = "cachescope", version, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario file and print its report as JSON.
    Run {
        /// The scenario (JSON, see the README).
        file: PathBuf,
        /// Leave the per-operation trace out of the report.
        #[arg(long)]
        no_trace: bool,
    },
    /// List the built-in lessons, one name a line.
    Presets,
    /// Print a built-in lesson's scenario as JSON (it runs as is).
    Preset {
        /// The lesson's name (see `cachescope presets`).
        name: String,
    },
}

/// Exit code for bad input (spec section 5).
const BAD_INPUT: i32 = 2;

/// Parses the process arguments and runs the command; returns the process
/// exit code. Output goes to stdout, errors to stderr.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(output) => {
            // A reader that stops early (`| head`) closes the pipe; that is
            // the reader's choice, not an error worth a panic.
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
                Ok(()) => 0,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
                Err(e) => {
                    eprintln!("cachescope: cannot write the output: {e}");
                    1
                }
            }
        }
        Err(message) => {
            eprintln!("cachescope: {message}");
            BAD_INPUT
        }
    }
}

/// Runs one command; `Err` is the one-line message for bad input.
fn execute(command: Command) -> Result<String, String> {
    match command {
        Command::Run { file, no_trace } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let scenario =
                Scenario::from_json(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let mut sim =
                Simulation::new(&scenario).map_err(|e| format!("{}: {e}", file.display()))?;
            sim.run();
            Ok(Report::of(&sim, !no_trace).to_json())
        }
        Command::Presets => Ok(LESSONS
            .iter()
            .map(|lesson| lesson.name)
            .collect::<Vec<_>>()
            .join("\n")),
        Command::Preset { name } => lessons::lesson(&name)
            .map(|lesson| lesson.scenario_json.trim_end().to_string())
            .ok_or_else(|| {
                format!(
                    "no preset named {name:?}; `cachescope presets` lists them: {}",
                    LESSONS
                        .iter()
                        .map(|l| l.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }),
    }
}
