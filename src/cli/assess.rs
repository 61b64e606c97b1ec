//! `rwid assess`: a context-of-use profile run on a lake, its verdict
//! printed per requirement and its results written to a folder.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use datafusion::common::{DataFusionError, Result};

use crate::fitness::{compare::compare, output, read_profile, run};
use crate::report::{ReportOptions, assessment_report};
use crate::{RwidConfig, RwidContext};

/// The report's file name in the results folder.
pub const REPORT_FILE: &str = "report.html";

#[derive(Debug, Args)]
pub struct AssessArgs {
    /// The profile: a TOML file, or builtin:NAME (nsclc_pembrolizumab_recist,
    /// amyloid_pet_centiloid, cardiac_lvef).
    #[arg(long, value_name = "PROFILE")]
    pub profile: String,
    /// Folder the results are written to (replaced whole once complete):
    /// assessment.json, a Parquet file per result table and report.html.
    #[arg(long, value_name = "DIR", required_unless_present = "sql")]
    pub out: Option<PathBuf>,
    /// An earlier run's folder or assessment.json: each check is marked NEW,
    /// RESOLVED, PERSISTING or STABLE against it.
    #[arg(long, value_name = "DIR_OR_JSON")]
    pub compare: Option<PathBuf>,
    /// Exit with status 1 when the dataset's verdict is this or worse.
    #[arg(long, value_enum, value_name = "VERDICT")]
    pub fail_on: Option<FailOn>,
    /// Suppress counts from 1 to N-1 in report.html (shown as <N), and leave
    /// out the rows naming persons, so that the report can leave the institution.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(2..))]
    pub suppress_below: Option<u64>,
    /// Print every check's SQL instead of running it.
    #[arg(long)]
    pub sql: bool,
}

/// Verdicts `--fail-on` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    NotFit,
    NotAssessable,
    FitWithCaveats,
}

pub async fn run(args: &AssessArgs, config: RwidConfig, quiet: bool) -> Result<ExitCode> {
    let source = read_profile(&args.profile).map_err(|e| DataFusionError::Plan(e.0))?;
    if config.lakes.is_empty() {
        return Err(DataFusionError::Plan(
            "rwid assess works on a lake: give --lake ROOT".to_string(),
        ));
    }
    let ctx = RwidContext::new(config).await?;
    if args.sql {
        for check in run::compile(ctx.session(), &source).await {
            println!("-- {}: {}", check.id, check.description);
            match &check.measure {
                crate::fitness::check::Measure::Units { with, select } => {
                    println!("{with}\n{select};\n");
                }
                crate::fitness::check::Measure::Statistic { with, select, .. } => {
                    println!("{with}\n{select};\n");
                }
                crate::fitness::check::Measure::Stated { .. } => {
                    println!("-- (a check of the profile itself: no SQL)\n");
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let previous = match &args.compare {
        Some(path) => Some(read_previous(path)?),
        None => None,
    };
    let assessment = run::assess(ctx.session(), &source).await?;
    let changes = previous.map(|p| compare(&assessment.checks, &p));
    if let Some(out) = &args.out {
        let options = ReportOptions {
            suppress_below: args.suppress_below,
        };
        let page = assessment_report(&assessment, changes.as_deref(), &options)
            .map_err(|e| DataFusionError::Execution(e.to_string()))?;
        output::write(
            out,
            &assessment,
            changes.as_deref(),
            &[(REPORT_FILE, page.as_bytes())],
        )?;
        if !quiet {
            eprintln!(
                "results written to {}; the report: {}",
                out.display(),
                out.join(REPORT_FILE).display()
            );
        }
    }
    if !quiet {
        println!(
            "{} ({} {})",
            source.profile.title, source.profile.id, source.profile.version
        );
    }
    for line in output::verdict_lines(&assessment) {
        println!("{line}");
    }
    let failing = args.fail_on.is_some_and(|bound| {
        use crate::fitness::verdict::Verdict;
        let worst_allowed = match bound {
            FailOn::NotFit => Verdict::NotFit,
            FailOn::NotAssessable => Verdict::NotAssessable,
            FailOn::FitWithCaveats => Verdict::FitWithCaveats,
        };
        assessment.verdict.verdict <= worst_allowed
    });
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn read_previous(path: &std::path::Path) -> Result<serde_json::Value> {
    let file = if path.is_dir() {
        path.join("assessment.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).map_err(|e| {
        DataFusionError::Execution(format!(
            "cannot read the earlier assessment '{}': {e}",
            file.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        DataFusionError::Execution(format!(
            "'{}' is not an assessment's JSON: {e}",
            file.display()
        ))
    })
}
