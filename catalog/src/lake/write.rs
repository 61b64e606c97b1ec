//! Writing locally: a folder or a file replaced whole or not at all.

use std::path::Path;

use datafusion::common::{DataFusionError, Result, plan_datafusion_err};

fn io_error(path: &Path, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("'{}': {e}", path.display()))
}

/// `.NAME.PID.SUFFIX` beside `path` (a `what`: file or folder), its
/// parent folder made: where a write is staged, hidden from a lake's
/// listing, apart from other processes' writes.
fn hidden_beside(path: &Path, suffix: &str, what: &str) -> Result<std::path::PathBuf> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| plan_datafusion_err!("'{}' names no {what}", path.display()))?;
    Ok(parent.join(format!(".{name}.{}.{suffix}", std::process::id())))
}

/// Replaces `folder` with what `fill` writes into an empty staging folder
/// beside it: readers see the old folder or the new one, and a failed
/// `fill` (or rename) leaves the old one. The staging folder's name starts
/// with a dot, so a lake never lists it as a table.
pub fn replace_folder(folder: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let staging = hidden_beside(folder, "new", "folder")?;
    let previous = hidden_beside(folder, "old", "folder")?;
    let _ = std::fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        std::fs::create_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
        fill(&staging)?;
        if folder.exists() {
            std::fs::rename(folder, &previous).map_err(|e| io_error(folder, e))?;
        }
        std::fs::rename(&staging, folder).map_err(|e| io_error(folder, e))?;
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    if result.is_err() && previous.exists() && !folder.exists() {
        let _ = std::fs::rename(&previous, folder);
    }
    let _ = std::fs::remove_dir_all(&previous);
    result
}

/// Writes `bytes` to `path` through a hidden file beside it, renamed over
/// it once complete: readers see the old file or the new one.
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let staging = hidden_beside(path, "new", "file")?;
    let result = std::fs::write(&staging, bytes)
        .map_err(|e| io_error(&staging, e))
        .and_then(|()| std::fs::rename(&staging, path).map_err(|e| io_error(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("out");
        replace_folder(&folder, |staging| {
            std::fs::write(staging.join("a"), b"1").map_err(|e| io_error(staging, e))
        })
        .unwrap();
        assert_eq!(std::fs::read(folder.join("a")).unwrap(), b"1");
        let error = replace_folder(&folder, |staging| {
            std::fs::write(staging.join("b"), b"2").map_err(|e| io_error(staging, e))?;
            Err(plan_datafusion_err!("disk full"))
        })
        .unwrap_err();
        assert!(error.to_string().contains("disk full"));
        // The old folder stands as it was, and nothing is left beside it.
        assert_eq!(std::fs::read(folder.join("a")).unwrap(), b"1");
        assert!(!folder.join("b").exists());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("page.html");
        write_file_atomically(&file, b"one").unwrap();
        write_file_atomically(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
        // A folder in the way: an error naming it, nothing left behind.
        let error = write_file_atomically(dir.path(), b"x").unwrap_err();
        assert!(
            error
                .to_string()
                .contains(&dir.path().display().to_string())
        );
    }
}
