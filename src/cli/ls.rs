//! `vipseg ls`: the models, how each is materialized, and what it reads.

use datafusion::prelude::SessionContext;
use serde_json::json;

use super::args::ProjectArgs;
use super::output::print_json;
use crate::error::{Error, ExitStatus};
use crate::project::Project;

pub fn ls(project: &ProjectArgs, as_json: bool) -> Result<ExitStatus, Error> {
    let config = project.load()?;
    // Parsing needs only a session's SQL settings; no source is read.
    let project = Project::load(config.models.location(), &SessionContext::new().state())?;
    if as_json {
        let models: Vec<_> = project
            .models
            .iter()
            .map(|m| {
                json!({
                    "name": m.name, "file": m.file, "materialized": m.materialized(),
                    "depends_on": m.depends_on, "sources": m.sources, "description": m.declaration.description,
                })
            })
            .collect();
        print_json(&json!({ "models": models }));
        return Ok(ExitStatus::Success);
    }
    for m in &project.models {
        let reads: Vec<String> =
            m.sources.iter().map(|s| format!("raw.{s}")).chain(m.depends_on.iter().cloned()).collect();
        println!(
            "{:<28} {:<6} {:<44} <- {}",
            m.name,
            format!("{:?}", m.materialized()).to_lowercase(),
            m.file,
            reads.join(", ")
        );
    }
    Ok(ExitStatus::Success)
}
