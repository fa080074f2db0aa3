//! Where a project's files come from: a folder on disk (`[models] dir`), or the shipped models
//! embedded in the binary, so a config file is all a run needs. Either way the rest of the
//! project sees the same list of files.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::ModelError;

/// The shipped `sql/` folder, built into the binary (build.rs rebuilds when it changes).
static SHIPPED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/sql");

/// The declarations file next to the SQL files.
pub const DECLARATIONS: &str = "models.toml";

/// Where the models are read from.
#[derive(Debug, Clone, Copy)]
pub enum ModelsLocation<'a> {
    /// A project folder a data engineer edits (`[models] dir`, `--models-dir`).
    Folder(&'a Path),
    /// The models shipped with this binary.
    Shipped,
}

/// One file of the project.
#[derive(Debug, Clone)]
pub struct ModelFile {
    /// Path below the models folder, e.g. `marts/customer_value.sql`.
    pub relative: PathBuf,
    /// Path as shown in messages: relative to the working directory for a folder,
    /// `<shipped>/...` for the embedded models.
    pub display: String,
    pub text: String,
}

impl ModelsLocation<'_> {
    /// Every `*.sql` file, sorted by path.
    pub fn sql_files(&self) -> Result<Vec<ModelFile>, ModelError> {
        let mut files = match self {
            ModelsLocation::Folder(dir) => {
                let mut paths = Vec::new();
                collect_sql_paths(dir, &mut paths)?;
                paths.into_iter().map(|path| read_file(dir, &path)).collect::<Result<Vec<_>, _>>()?
            }
            ModelsLocation::Shipped => {
                let mut found = Vec::new();
                collect_shipped(&SHIPPED, &mut found);
                found
            }
        };
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(files)
    }

    /// The declarations file, if there is one.
    pub fn declarations(&self) -> Result<Option<ModelFile>, ModelError> {
        match self {
            ModelsLocation::Folder(dir) => match read_file(dir, &dir.join(DECLARATIONS)) {
                Ok(file) => Ok(Some(file)),
                Err(ModelError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            },
            ModelsLocation::Shipped => Ok(SHIPPED.get_file(DECLARATIONS).map(shipped_file)),
        }
    }

    /// How to name the location in messages.
    pub fn describe(&self) -> String {
        match self {
            ModelsLocation::Folder(dir) => display_path(dir),
            ModelsLocation::Shipped => "<shipped>".to_string(),
        }
    }
}

/// Writes the shipped models into `dir` (for `vipseg init`), refusing to overwrite a file.
pub fn write_shipped(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut files = Vec::new();
    collect_all_shipped(&SHIPPED, &mut files);
    for file in files {
        let target = dir.join(file.path());
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::OpenOptions::new().write(true).create_new(true).open(&target).and_then(|mut out| {
            use std::io::Write;
            out.write_all(file.contents())
        })?;
        written.push(target);
    }
    Ok(written)
}

/// A path as a person would type it: relative to the working directory when below it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

fn read_file(dir: &Path, path: &Path) -> Result<ModelFile, ModelError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelError::Read { path: path.to_path_buf(), source })?;
    let relative = path.strip_prefix(dir).unwrap_or(path).to_path_buf();
    Ok(ModelFile { relative, display: display_path(path), text })
}

fn collect_sql_paths(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ModelError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ModelError::Read { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let path = entry.map_err(|source| ModelError::Read { path: dir.to_path_buf(), source })?.path();
        if path.is_dir() {
            collect_sql_paths(&path, out)?;
        } else if is_sql(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_sql(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "sql")
}

fn shipped_file(file: &include_dir::File<'_>) -> ModelFile {
    ModelFile {
        relative: file.path().to_path_buf(),
        display: format!("<shipped>/{}", file.path().display()),
        text: String::from_utf8_lossy(file.contents()).into_owned(),
    }
}

fn collect_shipped(dir: &Dir<'_>, out: &mut Vec<ModelFile>) {
    let mut files = Vec::new();
    collect_all_shipped(dir, &mut files);
    out.extend(files.into_iter().filter(|f| is_sql(f.path())).map(shipped_file));
}

fn collect_all_shipped<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    out.extend(dir.files());
    for sub in dir.dirs() {
        collect_all_shipped(sub, out);
    }
}
