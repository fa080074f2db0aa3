//! `vipseg init DIR`: a project a data engineer edits — `vipseg.toml` with every key and its
//! default, and the shipped SQL models under `sql/` — without overwriting anything.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::output::print_json;
use crate::config::template;
use crate::error::{Error, ExitStatus};
use crate::project::model_files;

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  vipseg init my-shop && cd my-shop && $EDITOR vipseg.toml sql/marts/customer_value.sql"
)]
pub struct InitArgs {
    /// Folder of the new project (created if missing; existing files are never overwritten).
    #[arg(env = "VIPSEG_INIT_DIR", default_value = ".")]
    pub dir: PathBuf,
}

const MODELS_DIR: &str = "sql";
const CONFIG_FILE: &str = "vipseg.toml";

pub fn run(args: &InitArgs) -> Result<ExitStatus, Error> {
    let config = args.dir.join(CONFIG_FILE);
    let models = args.dir.join(MODELS_DIR);
    for existing in [&config, &models] {
        if existing.exists() {
            return Err(Error::Usage(crate::error::UsageError::WouldOverwrite { path: existing.clone() }));
        }
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io(format!("creating {}", args.dir.display()), e))?;
    let written =
        model_files::write_shipped(&models).map_err(|e| Error::io(format!("writing {}", models.display()), e))?;
    write_new(&config, &template::render(MODELS_DIR))?;
    tracing::info!("wrote {} and {} model files under {}", config.display(), written.len(), models.display());
    print_json(&json!({
        "status": "ok",
        "config": config.display().to_string(),
        "models_dir": models.display().to_string(),
        "files": written.len() + 1,
    }));
    Ok(ExitStatus::Success)
}

fn write_new(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}
