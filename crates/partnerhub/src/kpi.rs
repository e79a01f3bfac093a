//! `partnerhub kpi`: the alliances KPIs computed from telemetry files on the command line.
//!
//! A thin clap layer over `partnerhub-telemetry`; all logic lives in that crate.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use partnerhub_telemetry::address::parse_address;
use partnerhub_telemetry::generate::{
    generate_downloads, generate_pings, DownloadGeneration, PingGeneration,
};
use partnerhub_telemetry::month::Month;
use partnerhub_telemetry::{
    download_report, ping_report, BadLines, Classifier, Format, PingOptions, SplitBy, StageMap,
};

/// Arguments of `partnerhub kpi`.
#[derive(Debug, clap::Args)]
pub struct KpiArgs {
    #[command(subcommand)]
    pub command: KpiCommand,
}

/// The `kpi` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum KpiCommand {
    /// Hosting platform of IP addresses: `IP<TAB>PLATFORM<TAB>EVIDENCE` per address.
    ClassifyIp {
        /// Directory with a `sources.toml` manifest (default: the bundled snapshot).
        #[arg(long, value_name = "DIR")]
        ranges: Option<PathBuf>,
        #[arg(required = true, value_name = "IP")]
        ips: Vec<String>,
    },
    /// Active installations and SMAU per hosting platform per month, from ping files.
    Pings {
        #[arg(long, value_name = "DIR")]
        ranges: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        #[arg(long, value_enum)]
        by: Option<PingSplit>,
        /// Fail when any line is malformed.
        #[arg(long)]
        strict: bool,
        /// Stage → metric-path mapping (TOML `[[stage]] name, metrics`; default: built in).
        #[arg(long, value_name = "FILE")]
        stages: Option<PathBuf>,
        /// Count gitlab-development-kit installations too.
        #[arg(long)]
        include_development: bool,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Product downloads by distribution method per month, from access logs.
    Downloads {
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        #[arg(long, value_enum)]
        by: Option<DownloadSplit>,
        #[arg(long)]
        strict: bool,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Deterministic, realistic test data.
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
}

/// What `kpi generate` writes.
#[derive(Debug, clap::Subcommand)]
pub enum GenerateCommand {
    /// Weekly ping envelopes of a population of installations.
    Pings {
        #[arg(long)]
        installations: u64,
        #[arg(long, value_name = "YYYY-MM")]
        from: Month,
        #[arg(long, value_name = "YYYY-MM")]
        to: Month,
        #[arg(long)]
        seed: u64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Access-log lines of one month.
    Downloads {
        #[arg(long)]
        lines: u64,
        #[arg(long, value_name = "YYYY-MM")]
        month: Month,
        #[arg(long)]
        seed: u64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PingSplit {
    InstallationType,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DownloadSplit {
    Edition,
    Version,
    Os,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Table => Format::Table,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Json => Format::Json,
        }
    }
}

/// Runs a `kpi` subcommand.
pub fn run(args: KpiArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        KpiCommand::ClassifyIp { ranges, ips } => {
            let classifier = Classifier::load(ranges.as_deref())?;
            let mut out = String::new();
            for ip in &ips {
                let addr = parse_address(ip)?;
                let c = classifier.classify_ip(addr);
                out.push_str(&format!("{ip}\t{}\t{}\n", c.platform, c.evidence));
            }
            print(&out)
        }
        KpiCommand::Pings {
            ranges,
            format,
            by,
            strict,
            stages,
            include_development,
            files,
        } => {
            let classifier = Classifier::load(ranges.as_deref())?;
            let stages = match stages {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    StageMap::parse_toml(&text)?
                }
                None => StageMap::default(),
            };
            let options = PingOptions {
                stages,
                by_installation_type: by.is_some(),
                include_development,
            };
            let (report, bad) = ping_report(&files, &classifier, &options)?;
            finish(&report.table().render(format.into()), &bad, strict)
        }
        KpiCommand::Downloads {
            format,
            by,
            strict,
            files,
        } => {
            let split = by.map(|b| match b {
                DownloadSplit::Edition => SplitBy::Edition,
                DownloadSplit::Version => SplitBy::Version,
                DownloadSplit::Os => SplitBy::Os,
            });
            let (report, bad) = download_report(&files, split)?;
            finish(&report.table().render(format.into()), &bad, strict)
        }
        KpiCommand::Generate { what } => {
            match what {
                GenerateCommand::Pings {
                    installations,
                    from,
                    to,
                    seed,
                    out,
                } => {
                    let classifier = Classifier::bundled()?;
                    let spec = PingGeneration {
                        installations,
                        from,
                        to,
                        seed,
                    };
                    let n = generate_pings(&spec, &classifier, &out)?;
                    eprintln!("wrote {n} pings to {}", out.display());
                }
                GenerateCommand::Downloads {
                    lines,
                    month,
                    seed,
                    out,
                } => {
                    let spec = DownloadGeneration { lines, month, seed };
                    let n = generate_downloads(&spec, &out)?;
                    eprintln!("wrote {n} log lines to {}", out.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reports skipped lines on stderr and prints the report unless `--strict` turns them into a
/// failure.
fn finish(rendered: &str, bad: &BadLines, strict: bool) -> anyhow::Result<ExitCode> {
    if !bad.is_empty() {
        eprint!("{bad}");
    }
    if strict && !bad.is_empty() {
        eprintln!("error: {} malformed lines (--strict)", bad.count);
        return Ok(ExitCode::FAILURE);
    }
    print(rendered)
}

fn print(text: &str) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e.into()),
    }
}
