//! Files whose runs were found too short to pay, remembered for the session.

use std::collections::HashSet;
use std::sync::Mutex;

use datafusion::datasource::listing::PartitionedFile;

/// The most files remembered; past it the record starts over (a file read
/// as runs again costs a page or so of each column before it is handed on).
const MOST_FILES: usize = 10_000;

/// The versions of files (location, size and modification time) whose runs
/// of some columns turned out too short to pay when a [`super::RunScanExec`]
/// read them: the scans planned after that keep DataFusion's reader for
/// them, rather than reading their first pages as runs again each query.
#[derive(Debug, Default)]
pub(crate) struct ShortRunFiles(Mutex<HashSet<FileColumns>>);

/// A version of a file and the columns read of it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct FileColumns {
    location: String,
    size: u64,
    modified_micros: i64,
    columns: Vec<String>,
}

impl FileColumns {
    fn new(file: &PartitionedFile, columns: &[String]) -> Self {
        let meta = &file.object_meta;
        Self {
            location: meta.location.to_string(),
            size: meta.size,
            modified_micros: meta.last_modified.timestamp_micros(),
            columns: columns.to_vec(),
        }
    }
}

impl ShortRunFiles {
    /// Notes that `columns` of `file` have runs too short to pay.
    pub(crate) fn record(&self, file: &PartitionedFile, columns: &[String]) {
        // A poisoned lock only loses this note.
        if let Ok(mut files) = self.0.lock() {
            if files.len() >= MOST_FILES {
                files.clear();
            }
            files.insert(FileColumns::new(file, columns));
        }
    }

    /// Whether `columns` of this version of `file` were found too short.
    pub(crate) fn contains(&self, file: &PartitionedFile, columns: &[String]) -> bool {
        self.0
            .lock()
            .is_ok_and(|files| files.contains(&FileColumns::new(file, columns)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_remembered_for_its_columns_and_version() {
        let short = ShortRunFiles::default();
        let file = PartitionedFile::new("lake/drug_exposure/part-0.parquet", 1000);
        let columns = ["person_id".to_string(), "drug_concept_id".to_string()];
        assert!(!short.contains(&file, &columns));
        short.record(&file, &columns);
        assert!(short.contains(&file, &columns));
        // Other columns, or another version of the file, are not.
        assert!(!short.contains(&file, &columns[..1]));
        let rewritten = PartitionedFile::new("lake/drug_exposure/part-0.parquet", 1001);
        assert!(!short.contains(&rewritten, &columns));
    }
}
