//! Listing a DICOM table's files. Archives nest files by patient, study and
//! series, without extensions, so a location is listed recursively and
//! every file is a candidate (dot files excepted).

use datafusion::object_store::ObjectMeta;
use datafusion::object_store::path::Path;

/// Every file under a local folder, following symbolic links as the object
/// store's lister does, with one `stat` per file where that lister makes
/// three: on a warm cache, listing is most of the cost of a small scan.
/// Each folder is read once, whatever links lead to it, as `find -L` and
/// `fd` do: a link back up the tree is a loop, not more files.
pub(crate) fn list_local_folder(root: &std::path::Path) -> std::io::Result<Vec<ObjectMeta>> {
    let mut files = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    let mut visited = std::collections::HashSet::new();
    while let Some(folder) = folders.pop() {
        // A folder that cannot be resolved is read under its own name; the
        // error, if any, comes from reading it.
        let identity = std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone());
        if !visited.insert(identity) {
            continue;
        }
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            // A prefix that is not a folder lists nothing, as on object stores.
            Err(e) if folder == root && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) if folder == root && e.kind() == std::io::ErrorKind::NotADirectory => continue,
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", folder.display()),
                ));
            }
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let metadata = if entry.file_type()?.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(metadata) => metadata,
                    Err(_) => continue, // a dangling link
                }
            } else {
                entry.metadata()?
            };
            if metadata.is_dir() {
                folders.push(path);
            } else if metadata.is_file() {
                let Ok(location) = Path::from_absolute_path(&path) else {
                    continue; // not representable as an object path (not UTF-8)
                };
                files.push(ObjectMeta {
                    location,
                    last_modified: metadata
                        .modified()
                        .map(chrono::DateTime::<chrono::Utc>::from)
                        .unwrap_or_default(),
                    size: metadata.len(),
                    e_tag: None,
                    version: None,
                });
            }
        }
    }
    Ok(files)
}

/// Dot files (`.DS_Store`, editors' files) are never DICOM.
pub(crate) fn is_hidden(location: &Path) -> bool {
    location
        .filename()
        .is_some_and(|name| name.starts_with('.'))
}
