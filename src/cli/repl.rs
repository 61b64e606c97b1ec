//! The interactive shell: multi-line statements ended by `;`, history, and
//! psql-style backslash commands.

use std::path::PathBuf;

use datafusion::common::{DataFusionError, Result};
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::exec::run_sql;
use super::one_line;
use super::print::PrintOptions;
use crate::RwidContext;

const PROMPT: &str = "rwid> ";
const CONTINUATION_PROMPT: &str = "  ... ";

const HELP: &str = "\
Statements end with `;` and may span lines. Commands:
  \\d            list tables
  \\d TABLE      describe a table's columns
  \\df [TEXT]    list functions (rwid's first), optionally matching TEXT
  \\?            this help
  \\q            quit";

/// A line that is a backslash command, parsed.
#[derive(Debug, PartialEq, Eq)]
enum MetaCommand {
    ListTables,
    Describe(String),
    ListFunctions(Option<String>),
    Help,
    Quit,
    Unknown(String),
}

impl MetaCommand {
    fn parse(line: &str) -> MetaCommand {
        let mut words = line.trim().trim_end_matches(';').split_whitespace();
        let command = words.next().unwrap_or_default();
        let argument = words.next().map(str::to_string);
        match (command, argument) {
            ("\\q" | "\\quit", _) => MetaCommand::Quit,
            ("\\?" | "\\h" | "\\help", _) => MetaCommand::Help,
            ("\\d", None) => MetaCommand::ListTables,
            ("\\d", Some(table)) => MetaCommand::Describe(table),
            ("\\df", pattern) => MetaCommand::ListFunctions(pattern),
            (other, _) => MetaCommand::Unknown(other.to_string()),
        }
    }

    /// The SQL that answers a listing command.
    fn sql(&self) -> Option<String> {
        match self {
            MetaCommand::ListTables => Some(
                "SELECT table_schema AS schema, table_name AS name, table_type AS type \
                 FROM information_schema.tables WHERE table_schema <> 'information_schema' \
                 ORDER BY 1, 2"
                    .to_string(),
            ),
            MetaCommand::Describe(table) => {
                // The lake's columns, with what the specification says of
                // the standard ones.
                let (schema, name) = match table.split_once('.') {
                    Some((schema, name)) => (Some(schema), name),
                    None => (None, table.as_str()),
                };
                let quote = |s: &str| s.replace('\'', "''");
                let schema_filter = schema
                    .map(|s| format!(" AND c.table_schema = '{}'", quote(s)))
                    .unwrap_or_default();
                Some(format!(
                    "SELECT c.column_name, c.data_type, c.is_nullable, s.required, s.description \
                     FROM information_schema.columns c \
                     LEFT JOIN standard_columns() s ON s.table_schema = c.table_schema \
                      AND s.table_name = c.table_name AND s.column_name = c.column_name \
                     WHERE c.table_name = '{}'{schema_filter} \
                     ORDER BY c.table_schema, c.ordinal_position",
                    quote(name)
                ))
            }
            MetaCommand::ListFunctions(pattern) => {
                let filter = pattern
                    .as_ref()
                    .map(|p| format!(" AND routine_name ILIKE '%{}%'", p.replace('\'', "''")))
                    .unwrap_or_default();
                Some(format!(
                    "SELECT DISTINCT routine_name AS name, function_type AS type, description \
                     FROM information_schema.routines WHERE true{filter} \
                     ORDER BY name"
                ))
            }
            _ => None,
        }
    }
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".rwid_history"))
}

/// Runs the shell until `\q` or end of input.
pub async fn run(ctx: &RwidContext, options: &PrintOptions) -> Result<()> {
    let mut editor = DefaultEditor::new()
        .map_err(|e| DataFusionError::Execution(format!("cannot start the shell: {e}")))?;
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    if !options.quiet {
        println!(
            "rwid {} (DataFusion {}). Type \\? for help, \\q to quit.",
            env!("CARGO_PKG_VERSION"),
            datafusion::DATAFUSION_VERSION
        );
    }

    let mut statement = String::new();
    loop {
        let prompt = if statement.is_empty() {
            PROMPT
        } else {
            CONTINUATION_PROMPT
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                statement.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                return Err(DataFusionError::Execution(format!(
                    "cannot read input: {e}"
                )));
            }
        };
        if statement.is_empty() && line.trim_start().starts_with('\\') {
            let _ = editor.add_history_entry(line.trim());
            let command = MetaCommand::parse(&line);
            match &command {
                MetaCommand::Quit => break,
                MetaCommand::Help => println!("{HELP}"),
                MetaCommand::Unknown(name) => {
                    eprintln!("Error: unknown command {name}; \\? lists commands")
                }
                _ => report(run_sql(ctx, &command.sql().unwrap_or_default(), options).await),
            }
            continue;
        }
        if !statement.is_empty() {
            statement.push('\n');
        }
        statement.push_str(&line);
        if statement.trim_end().ends_with(';') {
            let _ = editor.add_history_entry(statement.trim());
            report(run_sql(ctx, &statement, options).await);
            statement.clear();
        }
    }
    if !statement.trim().is_empty() {
        report(run_sql(ctx, &statement, options).await);
    }
    if let Some(path) = &history {
        // History is a convenience; failing to save it must not fail the session.
        let _ = editor.save_history(path);
    }
    Ok(())
}

/// Errors in the shell are reported and the session goes on.
fn report(result: Result<()>) {
    if let Err(e) = result {
        eprintln!("Error: {}", one_line(&e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backslash_commands() {
        assert_eq!(MetaCommand::parse("\\q"), MetaCommand::Quit);
        assert_eq!(MetaCommand::parse("\\d"), MetaCommand::ListTables);
        assert_eq!(
            MetaCommand::parse("\\d clinical.person;"),
            MetaCommand::Describe("clinical.person".into())
        );
        assert_eq!(
            MetaCommand::parse("\\df dicom"),
            MetaCommand::ListFunctions(Some("dicom".into()))
        );
        assert_eq!(
            MetaCommand::parse("\\x"),
            MetaCommand::Unknown("\\x".into())
        );
    }

    #[test]
    fn function_filter_is_quoted() {
        let sql = MetaCommand::ListFunctions(Some("a'b".into()))
            .sql()
            .unwrap();
        assert!(sql.contains("'%a''b%'"), "{sql}");
    }
}
