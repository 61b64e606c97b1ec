//! The `rwid` command line: arguments, non-interactive runs, the REPL and
//! result printing. Habits follow datafusion-cli and the DuckDB shell.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use datafusion::common::{DataFusionError, Result};

use crate::catalog::conformance;
use crate::report::{FlowStep, attrition_report, lake_check_report};
use crate::{RwidConfig, RwidContext};
use rwid_cohort::{Cohort, CohortDefinition};

mod assess;
mod demo;
mod exec;
mod print;
mod repl;
pub mod showcase;

pub use exec::run_sql;
pub use print::{OutputFormat, PrintOptions, print_result};

/// rwid: SQL over real-world imaging data (DICOM, OMOP CDM, lesion measurements).
#[derive(Debug, Parser)]
#[command(name = "rwid", version, about, long_about = None)]
pub struct Cli {
    /// Run this SQL and exit (repeatable; each may hold several statements).
    #[arg(short = 'c', long = "command", value_name = "SQL")]
    pub commands: Vec<String>,

    /// Run the SQL in this file and exit (repeatable).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Mount a lake: a folder or object-store URL whose Parquet tables become
    /// SQL tables, as catalog `lake` or, written NAME=ROOT, as catalog NAME.
    /// Repeatable; the first is the default catalog.
    #[arg(long = "lake", value_name = "[NAME=]ROOT", global = true)]
    pub lakes: Vec<String>,

    /// Harmonization rule file tried before the shipped rules (repeatable): a
    /// site's own vendor spellings or CT kernels, in the shape of methods/rules/*.toml.
    #[arg(long = "rules", value_name = "FILE", global = true)]
    pub rules: Vec<PathBuf>,

    /// Output format of query results.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, global = true)]
    pub format: OutputFormat,

    /// No banner, no timings: only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Most rows printed per result in table format (0 = all). Interactive default 40.
    #[arg(long, value_name = "N")]
    pub maxrows: Option<usize>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the demo lake (DICOM, OMOP CDM, lesion measurements) and run the showcase.
    Demo(DemoArgs),
    /// Index a DICOM archive into DESTINATION/instances.parquet; re-runs read only new or changed files.
    Ingest {
        /// DICOM folder, glob or object-store URL (s3://bucket/prefix/).
        source: String,
        /// Local folder of the index, e.g. a lake's imaging/instances.
        destination: PathBuf,
    },
    /// Run a cohort file (named criteria, each a query returning person_id):
    /// print the attrition and write the cohort to the lake's `derived` schema.
    Cohort {
        /// The cohort file, e.g. examples/nsclc_pembrolizumab_cohort.sql.
        file: PathBuf,
        /// Print the attrition only; write nothing to the lake.
        #[arg(long)]
        no_write: bool,
        /// Also write the attrition as an HTML page (a CONSORT-style flow) to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Assess the lake's fitness for a context-of-use profile: run its checks,
    /// print the verdict per requirement, write the results (JSON and Parquet).
    Assess(assess::AssessArgs),
    /// Lake maintenance.
    #[command(subcommand)]
    Lake(LakeCommand),
    /// Print the SQL function reference as Markdown (source of docs/functions.md).
    #[command(hide = true)]
    FunctionsDoc,
}

#[derive(Debug, Subcommand)]
pub enum LakeCommand {
    /// Check the lake's standard tables against OMOP CDM 5.4 and rwid's imaging
    /// specifications (columns, types, keys, linkage); exit status 1 when a check fails.
    Check {
        /// The lake root (default: --lake).
        root: Option<String>,
        /// Also write the findings as an HTML dashboard to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to write the demo lake to (replaced if it holds an earlier demo lake).
    #[arg(long, default_value = "demo-lake")]
    pub dir: PathBuf,
    /// Number of patients.
    #[arg(long, default_value_t = crate::demo::DEFAULT_PATIENTS)]
    pub patients: usize,
    /// Seed; the same seed always gives the same lake.
    #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
    pub seed: u64,
    /// Folder the NSCLC profile's assessment and its report.html are written to.
    #[arg(long, value_name = "DIR", default_value = "demo-assessment")]
    pub assessment: PathBuf,
}

impl Cli {
    /// The session configuration of every command: the lakes and the rule files.
    pub fn config(&self) -> RwidConfig {
        RwidConfig {
            lakes: self.lakes.clone(),
            rules: self.rules.clone(),
            ..RwidConfig::default()
        }
    }
}

/// Runs the command line and returns the process exit status.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Some(Command::Demo(args)) => {
            let options = PrintOptions::new(cli.format, cli.quiet, cli.maxrows.unwrap_or(0));
            demo::run(
                &args.dir,
                args.patients,
                args.seed,
                &args.assessment,
                cli.config(),
                &options,
            )
            .await?;
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Ingest {
            source,
            destination,
        }) => {
            // Ingesting reads DICOM files only; no lake to mount.
            let config = RwidConfig {
                lakes: Vec::new(),
                ..cli.config()
            };
            let ctx = RwidContext::new(config).await?;
            let report =
                crate::catalog::dicom::ingest::ingest(ctx.session(), source, destination).await?;
            if !cli.quiet {
                println!(
                    "{}: {} files ({} read, {} unchanged, {} removed since the last run, {} unreadable)",
                    report.index.display(),
                    report.files,
                    report.read,
                    report.unchanged,
                    report.removed,
                    report.unreadable
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Cohort {
            file,
            no_write,
            html,
        }) => {
            let ctx = lake_context(cli.config()).await?;
            let definition = CohortDefinition::read(file)?;
            let cohort = Cohort::run(&ctx, &definition).await?;
            if let Some(page) = html {
                let steps: Vec<FlowStep> = cohort
                    .attrition
                    .iter()
                    .map(|row| FlowStep {
                        criterion: row.criterion.clone(),
                        persons: row.persons as u64,
                        removed: row.removed as u64,
                        sql: row.sql.clone(),
                    })
                    .collect();
                let name = file.file_stem().map_or_else(
                    || file.display().to_string(),
                    |stem| stem.to_string_lossy().to_string(),
                );
                write_page(page, attrition_report(&name, &steps), cli.quiet)?;
            }
            let options = PrintOptions::new(cli.format, cli.quiet, 0);
            let attrition = cohort.attrition_batch()?;
            // The SQL column is provenance for the written table, too wide to print.
            let shown = attrition.project(&[0, 1, 2, 3, 4])?;
            print_result(
                &mut std::io::stdout().lock(),
                &shown.schema(),
                std::slice::from_ref(&shown),
                &options,
            )?;
            if !no_write {
                let root = ctx.lake_root().unwrap_or_default();
                if root.contains("://") {
                    return Err(DataFusionError::Plan(format!(
                        "cohorts are written to local lakes; '{root}' is a URL (use --no-write)"
                    )));
                }
                let written = cohort.write(std::path::Path::new(root))?;
                if !cli.quiet {
                    for folder in written {
                        eprintln!("wrote {}", folder.display());
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Assess(args)) => {
            return assess::run(args, cli.config(), cli.quiet).await;
        }
        Some(Command::Lake(LakeCommand::Check { root, html })) => {
            let mut config = cli.config();
            if let Some(root) = root {
                config.lakes = vec![root.clone()];
            }
            let lake = config.lakes.first().cloned().unwrap_or_default();
            let ctx = lake_context(config).await?;
            let findings = conformance::check_lake(ctx.session()).await?;
            if let Some(page) = html {
                write_page(page, lake_check_report(&lake, &findings), cli.quiet)?;
            }
            let failed = findings
                .iter()
                .any(|f| f.status == conformance::Status::Fail);
            let batch = conformance::findings_batch(findings)?;
            let options = PrintOptions::new(cli.format, cli.quiet, 0);
            print_result(
                &mut std::io::stdout().lock(),
                &batch.schema(),
                std::slice::from_ref(&batch),
                &options,
            )?;
            return Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            });
        }
        Some(Command::FunctionsDoc) => {
            print!("{}", crate::docs::functions_markdown()?);
            return Ok(ExitCode::SUCCESS);
        }
        None => {}
    }

    let ctx = RwidContext::new(cli.config()).await?;
    if !cli.quiet {
        print_lake_warnings(&ctx);
    }
    let interactive = cli.commands.is_empty() && cli.files.is_empty();
    if interactive {
        let options = PrintOptions::new(cli.format, cli.quiet, cli.maxrows.unwrap_or(40));
        repl::run(&ctx, &options).await?;
        return Ok(ExitCode::SUCCESS);
    }

    let options = PrintOptions::new(cli.format, cli.quiet, cli.maxrows.unwrap_or(0));
    for sql in &cli.commands {
        run_sql(&ctx, sql, &options).await?;
    }
    for file in &cli.files {
        let sql = std::fs::read_to_string(file).map_err(|e| {
            DataFusionError::Execution(format!("cannot read SQL file '{}': {e}", file.display()))
        })?;
        run_sql(&ctx, &sql, &options).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An error as one line: DataFusion's messages can span lines (nested
/// contexts, `Caused by`), which breaks log parsing and reads badly in a shell.
pub fn one_line(error: &DataFusionError) -> String {
    error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a rendered page atomically (a temporary file renamed over it).
fn write_page(
    path: &std::path::Path,
    page: std::result::Result<String, crate::report::ReportError>,
    quiet: bool,
) -> Result<()> {
    let page = page.map_err(|e| DataFusionError::Execution(e.to_string()))?;
    crate::catalog::lake::write_file_atomically(path, page.as_bytes())?;
    if !quiet {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The session of a command that works on a lake: `config` must name one.
async fn lake_context(config: RwidConfig) -> Result<RwidContext> {
    if config.lakes.is_empty() {
        return Err(DataFusionError::Plan(
            "this command works on a lake: give --lake ROOT".to_string(),
        ));
    }
    RwidContext::new(config).await
}

/// Unreadable tables, views left out and non-conforming standard tables:
/// the rest still queries; the user hears about them once.
fn print_lake_warnings(ctx: &RwidContext) {
    let warnings = ctx.lake_warnings();
    if warnings.is_empty() {
        return;
    }
    for warning in warnings.iter().take(10) {
        eprintln!("warning: {}", warning.summary());
    }
    if warnings.len() > 10 {
        eprintln!(
            "warning: and {} more; run `rwid lake check`",
            warnings.len() - 10
        );
    }
}
