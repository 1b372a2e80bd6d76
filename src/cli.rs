//! The `cachescope` command line. Argument parsing and printing only; all
//! simulation work is in [`crate::sim`].

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::lessons::{self, LESSONS};
use crate::sim::{Report, Scenario, Simulation, explore, sample};

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
        /// The scenario (JSON, see docs/SCENARIO.md).
        file: PathBuf,
        /// Leave the per-operation trace out of the report.
        #[arg(long)]
        no_trace: bool,
    },
    /// Follow every schedule of a scenario's scripted requests (and the
    /// background actors they set to work) and count those with stale
    /// reads, a cache diverging at the end, or lost writes, with the
    /// shortest schedule producing each. Faults that happen at an instant
    /// are placed at every point.
    Explore {
        /// The scenario (JSON, see docs/SCENARIO.md).
        file: PathBuf,
        /// Refuse beyond this many distinct states.
        #[arg(long, default_value_t = explore::DEFAULT_MAX_STATES)]
        max_states: usize,
        /// Instead of the counts, print the scenario with the shortest
        /// schedule showing this anomaly (`stale`, `divergent_at_end` or
        /// `lost_writes`), ready for `cachescope run`.
        #[arg(long, value_name = "ANOMALY")]
        example: Option<String>,
        /// Instead of counting every order, draw N orders from a random
        /// scheduler (each ready operation equally likely at every step)
        /// and print each anomaly's share with a 95% interval: for
        /// scenarios with too many orders to count (the stampedes). Where
        /// orders cannot be varied (a generated workload, a pause or
        /// partition spanning time), run the scenario as timed on N
        /// consecutive seeds instead, and give the shares of runs.
        #[arg(long, value_name = "N")]
        sample: Option<usize>,
        /// The sampler's seed (the scenario's own seed still decides what
        /// the simulation draws).
        #[arg(long, default_value_t = sample::DEFAULT_SAMPLE_SEED, requires = "sample")]
        seed: u64,
    },
    /// List the built-in lessons, one name a line.
    Presets,
    /// Print a built-in lesson's scenario as JSON (it runs as is).
    Preset {
        /// The lesson's name (see `cachescope presets`).
        name: String,
    },
    /// Measure the simulator: a hot-key stampede workload (4 instances, one
    /// key, TTL 1 s, DB read 120 ms, 100,000 Poisson reads a second, for as
    /// long as `--requests` takes) without trace. Prints one line of figures.
    Bench {
        /// How many read requests to generate.
        #[arg(long, default_value_t = 1_000_000)]
        requests: u64,
        /// The stampede protection (`none` or `lease`).
        #[arg(long, default_value = "none")]
        stampede: String,
        /// Measure this scenario file instead (the page's benchmark runs
        /// the same file in wasm, to compare the two).
        #[arg(long)]
        scenario: Option<std::path::PathBuf>,
    },
    /// Measure the explorer on four concurrent writers of three operations
    /// each (369,600 schedules). Prints one line of figures.
    BenchExplore,
    /// Run a scenario on a real Redis and PostgreSQL: the same strategy
    /// code, each operation performed for real in the order the model
    /// runs them. Prints the report of the real run with a `real` section:
    /// the servers' versions and every difference from the model's run.
    Real {
        /// The scenario (JSON, see docs/SCENARIO.md).
        file: PathBuf,
        /// The Redis to use (`redis://127.0.0.1:6379/`); only keys starting
        /// `cachescope:` are touched.
        #[arg(long)]
        redis: String,
        /// The PostgreSQL to use (`postgres://user@127.0.0.1:5432/db`);
        /// only the schema `cachescope` is touched.
        #[arg(long)]
        postgres: String,
        /// Leave the per-operation trace out of the report.
        #[arg(long)]
        no_trace: bool,
        /// Run live instead: each request a thread of its own on a real
        /// clock (and a consumer thread per bus partition on Redis
        /// Streams), the servers deciding (Redis's own expiry, PostgreSQL's
        /// transactions held open); prints what the servers recorded, the
        /// verdicts judged from that record, and the model's replay of the
        /// order it shows.
        #[arg(long)]
        live: bool,
        /// Live runs: real milliseconds per model millisecond.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Check the lessons against a real Redis and PostgreSQL: each
    /// lesson's own run replayed for real, every schedule the explorer
    /// enumerates (a sample past --sample), and timed runs with real
    /// threads. Prints the tables; exits 1 if a replayed run disagrees.
    /// Without URLs it starts throwaway servers on free loopback ports and
    /// removes them afterwards.
    Conformance {
        /// The Redis to use (with --postgres).
        #[arg(long, requires = "postgres")]
        redis: Option<String>,
        /// The PostgreSQL to use (with --redis).
        #[arg(long, requires = "redis")]
        postgres: Option<String>,
        /// Only this lesson (repeatable).
        #[arg(long = "lesson", value_name = "NAME")]
        lessons: Vec<String>,
        /// Enumerate the interleavings only of lessons with at most this
        /// many schedules (0: replay only).
        #[arg(long, value_name = "N")]
        interleavings_up_to: Option<u128>,
        /// Past this many schedules, run an evenly spread sample of this
        /// many.
        #[arg(long, default_value_t = 20_000)]
        sample: u128,
        /// Timed runs with real threads per lesson that allows them
        /// (0: none).
        #[arg(long, default_value_t = 5)]
        timed_runs: u32,
        /// Live runs per lesson that allows them (0: none).
        #[arg(long, default_value_t = 5)]
        live_runs: u32,
        /// Live runs of random scenarios (0: none).
        #[arg(long, default_value_t = 20)]
        live_random: u32,
        /// Real milliseconds per model millisecond in timed and live runs.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
        /// Print the rows as JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

/// Exit code for bad input.
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
        Command::Real {
            file,
            redis,
            postgres,
            no_trace,
            live: false,
            ..
        } => real(&file, &redis, &postgres, !no_trace),
        Command::Real {
            file,
            redis,
            postgres,
            live: true,
            scale,
            ..
        } => live(&file, &redis, &postgres, scale),
        Command::Conformance {
            redis,
            postgres,
            lessons,
            interleavings_up_to,
            sample,
            timed_runs,
            live_runs,
            live_random,
            scale,
            json,
        } => {
            let options = crate::real::conformance::Options {
                replay: true,
                interleavings_up_to: interleavings_up_to.unwrap_or(u128::MAX),
                sample,
                timed_runs,
                scale,
                live_runs,
                live_random,
            };
            let urls = redis.zip(postgres);
            conformance(urls, &lessons, &options, json)
        }
        Command::Run { file, no_trace } => {
            let scenario = load(&file)?;
            let mut sim = Simulation::new(&scenario)
                .map_err(|e| format!("{}: {e}", file.display()))?
                .without_replay();
            if no_trace {
                // Not recording keeps memory independent of the run's length.
                sim = sim.without_trace();
            }
            sim.run();
            Ok(Report::of(&sim, !no_trace).to_json())
        }
        Command::Explore {
            file,
            max_states,
            example,
            sample: samples,
            seed,
        } => {
            let scenario = load(&file)?;
            let anomaly = example
                .map(|name| {
                    explore::Anomaly::named(&name).ok_or_else(|| {
                        format!(
                            "--example: expected one of {}, got {name:?}",
                            explore::Anomaly::ALL.map(|a| a.name()).join(", ")
                        )
                    })
                })
                .transpose()?;
            if let Some(samples) = samples {
                if samples == 0 {
                    return Err("--sample: at least one order".to_string());
                }
                let (summary, sampler) = sample::sample(&scenario, samples, seed, &mut |_| {})
                    .map_err(|e| format!("{}: {e}", file.display()))?;
                return match anomaly {
                    None => Ok(summary.to_json()),
                    Some(anomaly) => {
                        let replay = sampler.example(&summary, anomaly).ok_or_else(|| {
                            let what = if summary.over_seeds() { "run" } else { "order" };
                            format!(
                                "{}: no sampled {what} shows {} (0 of {samples})",
                                file.display(),
                                anomaly.name()
                            )
                        })?;
                        Ok(serde_json::to_string_pretty(&replay).expect("a scenario serialises"))
                    }
                };
            }
            let limits = explore::Limits { max_states };
            let exploration = explore::explore(&scenario, limits, &mut progress_on_stderr())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            match anomaly {
                None => Ok(exploration.to_json()),
                Some(anomaly) => {
                    let schedule = exploration.shortest(anomaly).ok_or_else(|| {
                        format!(
                            "{}: no schedule shows {} (0 of {})",
                            file.display(),
                            anomaly.name(),
                            exploration.schedules()
                        )
                    })?;
                    let replay = exploration.scenario_with(schedule);
                    Ok(serde_json::to_string_pretty(&replay).expect("a scenario serialises"))
                }
            }
        }
        Command::Bench {
            requests,
            stampede,
            scenario,
        } => bench(requests, &stampede, scenario.as_deref()),
        Command::BenchExplore => bench_explore(),
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

/// `cachescope real`: the report of the real run, with its `real` section.
fn real(
    file: &std::path::Path,
    redis: &str,
    postgres: &str,
    with_trace: bool,
) -> Result<String, String> {
    let scenario = load(file)?;
    Simulation::new(&scenario).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut backend = crate::real::Backend::connect(redis, postgres)?;
    let run = backend
        .run(&scenario, with_trace)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    backend.release()?;
    let section = crate::real::RealSection {
        redis: &backend.redis_version,
        postgres: &backend.postgres_version,
        agree: run.differences.is_empty() && run.real_anomalies == run.model_anomalies,
        differences: &run.differences,
        model_decides: crate::real::model_decides(&scenario),
    };
    let mut report: serde_json::Value =
        serde_json::from_str(&run.report.to_json()).expect("a report is JSON");
    report["real"] = serde_json::to_value(&section).expect("plain data serialises");
    Ok(serde_json::to_string_pretty(&report).expect("plain data serialises"))
}

/// `cachescope real --live`: what the servers recorded, the verdicts and
/// the model's replay. A disagreement is a finding, printed like an
/// agreement.
fn live(file: &std::path::Path, redis: &str, postgres: &str, scale: u32) -> Result<String, String> {
    let scenario = load(file)?;
    Simulation::new(&scenario).map_err(|e| format!("{}: {e}", file.display()))?;
    let backend = crate::real::Backend::connect(redis, postgres)?;
    let run = crate::real::live::run(redis, postgres, &scenario, scale)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let report = crate::real::live_check::LiveReport::of(
        &run,
        &backend.redis_version,
        &backend.postgres_version,
    )?;
    Ok(serde_json::to_string_pretty(&report).expect("plain data serialises"))
}

/// `cachescope conformance`: on the given servers, or on throwaway ones.
/// Disagreements are findings, not bad input: the table is printed and
/// the process exits 1.
fn conformance(
    urls: Option<(String, String)>,
    names: &[String],
    options: &crate::real::conformance::Options,
    json: bool,
) -> Result<String, String> {
    use crate::real::conformance;
    let chosen: Vec<lessons::Lesson> = if names.is_empty() {
        LESSONS.to_vec()
    } else {
        names
            .iter()
            .map(|name| {
                lessons::lesson(name)
                    .copied()
                    .ok_or_else(|| format!("--lesson: no lesson named {name:?}"))
            })
            .collect::<Result<_, _>>()?
    };
    let mut throwaway = None;
    let (redis, postgres) = match urls {
        Some(urls) => urls,
        None => {
            eprintln!("conformance: starting throwaway redis-server and postgres on loopback");
            let servers = throwaway.insert(crate::real::servers::Servers::start()?);
            (servers.redis_url.clone(), servers.postgres_url.clone())
        }
    };
    let mut backend = crate::real::Backend::connect(&redis, &postgres)?;
    eprintln!(
        "conformance: Redis {}, PostgreSQL {}",
        backend.redis_version, backend.postgres_version
    );
    let started = std::time::Instant::now();
    let mut last_line = started;
    let mut progress = |row: &conformance::Row| {
        let now = std::time::Instant::now();
        if now.duration_since(last_line).as_secs() >= 1 {
            last_line = now;
            let of = row
                .schedules
                .map_or(String::new(), |total| format!(" of {total}"));
            eprintln!(
                "conformance: {} {:?}: {} run(s){of}, {} disagree ({:.0} s)",
                row.lesson,
                row.mode,
                row.runs,
                row.disagree,
                now.duration_since(started).as_secs_f64()
            );
        }
    };
    let rows = conformance::run_all(&mut backend, &chosen, options, &mut progress)?;
    eprintln!(
        "conformance: {} run(s) in {:.1} s",
        rows.iter().map(|r| r.runs).sum::<u64>(),
        started.elapsed().as_secs_f64()
    );
    let timed = conformance::timed_all(&backend, &chosen, options, &mut |row| {
        eprintln!(
            "conformance: {} timed: {} of {} runs agree ({:.0} s)",
            row.lesson,
            row.runs_agree,
            row.runs,
            started.elapsed().as_secs_f64()
        );
    })?;
    let live = conformance::live_all(&backend, &chosen, options, &mut |row| {
        eprintln!(
            "conformance: {} live: {} of {} runs explained ({:.0} s)",
            row.lesson,
            row.explained,
            row.runs,
            started.elapsed().as_secs_f64()
        );
    })?;
    let output = if json {
        let both = serde_json::json!({ "rows": rows, "timed": timed, "live": live });
        serde_json::to_string_pretty(&both).expect("plain data serialises")
    } else {
        format!(
            "{}\n{}\n{}",
            conformance::table(&rows),
            conformance::timed_table(&timed, options.scale),
            conformance::live_table(&live, options.scale)
        )
    };
    // Stopped here, as exiting would skip their drop.
    drop(backend);
    drop(throwaway);
    if rows.iter().any(|row| row.disagree > 0) {
        println!("{output}");
        std::process::exit(1);
    }
    Ok(output)
}

/// Reads and parses a scenario file.
fn load(file: &std::path::Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    Scenario::from_json(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// A progress line on stderr about once a second, once an exploration has
/// run for a second (short ones stay quiet).
fn progress_on_stderr() -> impl FnMut(explore::Progress) {
    let started = std::time::Instant::now();
    let mut last_line = started;
    move |progress| {
        let now = std::time::Instant::now();
        if now.duration_since(started).as_secs() >= 1
            && now.duration_since(last_line).as_secs() >= 1
        {
            last_line = now;
            eprintln!(
                "explore: about {:.0}% done: {} distinct states, {} revisits, depth {} ({:.0} s)",
                progress.fraction * 100.0,
                progress.states,
                progress.revisits,
                progress.depth,
                now.duration_since(started).as_secs_f64()
            );
        }
    }
}

/// Explores four concurrent writers (invalidate-on-write with a delayed
/// double delete: commit, delete, delete again later; three operations
/// each, so 12!/(3!^4) = 369,600 schedules) and describes the run.
fn bench_explore() -> Result<String, String> {
    let writer = |id: &str, value: &str| serde_json::json!({ "id": id, "op": "write", "key": "k", "value": value, "at_ms": 0 });
    let scenario = serde_json::json!({
        "name": "bench: four writers, three operations each",
        "keys": { "k": "v0" },
        "latency_ms": { "cache": 1, "db_read": 10, "db_write": 20 },
        "strategy": { "write": "invalidate", "double_delete_ms": 50, "ttl_ms": 300000 },
        "requests": [writer("W1", "a"), writer("W2", "b"), writer("W3", "c"), writer("W4", "d")]
    });
    let scenario = Scenario::from_json(&scenario.to_string()).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let exploration = explore::explore(&scenario, explore::Limits::default(), &mut |_| {})
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let schedules = exploration.schedules();
    Ok(format!(
        "explore schedules={schedules} states={} revisits={} wall_s={seconds:.3} \
         schedules_per_s={:.0} states_per_s={:.0} peak_rss_kib={}",
        exploration.states(),
        exploration.revisits(),
        schedules as f64 / seconds,
        exploration.states() as f64 / seconds,
        peak_rss_kib().map_or("unknown".to_string(), |k| k.to_string()),
    ))
}

/// Runs the benchmark workload (or the scenario in `file`) without trace
/// and describes the run in one line.
fn bench(requests: u64, stampede: &str, file: Option<&std::path::Path>) -> Result<String, String> {
    let scenario = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Scenario::from_json(&text).map_err(|e| e.to_string())?
        }
        None => hot_key_stampede(requests, stampede)?,
    };
    let mut sim = Simulation::new(&scenario)
        .map_err(|e| e.to_string())?
        .without_trace()
        .without_replay();
    // The command line may read the wall clock; the core never does.
    let started = std::time::Instant::now();
    sim.run();
    let seconds = started.elapsed().as_secs_f64();
    let report = Report::of(&sim, false);
    let ops = sim.counters().effects;
    Ok(format!(
        "stampede={} requests={} simulated_ops={ops} wall_s={seconds:.3} \
         ops_per_s={:.0} db_reads={} peak_db_concurrency={} peak_rss_kib={}",
        scenario.strategy.stampede.name(),
        sim.generated().reads + sim.generated().writes,
        ops as f64 / seconds,
        report.db.reads,
        report.db.peak_concurrent_reads,
        peak_rss_kib().map_or("unknown".to_string(), |k| k.to_string()),
    ))
}

/// The default benchmark: a hot key read 100,000 times a second by four
/// instances, for as long as `requests` reads take.
fn hot_key_stampede(requests: u64, stampede: &str) -> Result<Scenario, String> {
    // A fixed rate, so that more requests means a longer run, not more
    // concurrency: peak memory should then not grow with `requests`.
    let reads_per_s = 100_000.0;
    let duration_ms = (requests as f64 / reads_per_s * 1000.0).ceil() as u64;
    let scenario = serde_json::json!({
        "name": "bench: hot-key stampede",
        "seed": 1,
        "apps": 4,
        "keys": { "hot": "v1" },
        "latency_ms": { "cache": 1, "db_read": 120, "db_write": 20 },
        "strategy": { "stampede": stampede, "ttl_ms": 1000 },
        "workload": {
            "duration_ms": duration_ms,
            "reads_per_s": reads_per_s,
            "arrival": "poisson"
        }
    });
    Scenario::from_json(&scenario.to_string()).map_err(|e| e.to_string())
}

/// The process's peak resident memory (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
