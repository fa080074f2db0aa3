//! `vipseg run`, `vipseg compile` and `vipseg test`: the commands that run the project.

use serde_json::json;

use super::args::ProjectArgs;
use super::output::{print_json, report_error};
use crate::error::{Error, ExitStatus};
use crate::run::data_tests::TestStatus;
use std::io::IsTerminal;

use crate::run::pipeline::{self, RunRequest};
use crate::run::{inspect, summary};

pub async fn run(project: &ProjectArgs, select: Vec<String>) -> ExitStatus {
    let config = match project.load() {
        Ok(config) => config,
        Err(e) => return report_error(&e),
    };
    let request = RunRequest { config, as_of: project.as_of(), select };
    let results = pipeline::run(&request).await;
    print_json(&results.to_json());
    // A person at a terminal gets a few lines; an orchestrator reads the JSON on stdout.
    if std::io::stderr().is_terminal() {
        eprint!("{}", summary::human(&results));
    }
    results.status.exit_status()
}

/// `run --dry-run`: what `run` would do — config, sources, SQL, plans, the selection and the
/// commit it would build on — without writing anything.
pub async fn dry_run(project: &ProjectArgs, select: &[String]) -> Result<ExitStatus, Error> {
    let config = project.load()?;
    let as_of = project.as_of();
    let plan = inspect::dry_run(&config, as_of, select).await?;
    print_json(&json!({ "status": "ok", "dry_run": true, "as_of": as_of, "plan": plan }));
    Ok(ExitStatus::Success)
}

pub async fn compile(project: &ProjectArgs) -> Result<ExitStatus, Error> {
    let compiled = inspect::compile(&project.load()?, project.as_of()).await?;
    print_json(&json!({ "status": "ok", "models": compiled }));
    Ok(ExitStatus::Success)
}

pub async fn test(project: &ProjectArgs) -> Result<ExitStatus, Error> {
    let tests = inspect::test_published(&project.load()?, project.as_of()).await?;
    let failed = tests.iter().filter(|t| t.status == TestStatus::Fail).count();
    let status = if failed == 0 { "pass" } else { "fail" };
    print_json(&json!({ "status": status, "failed": failed, "tests": tests }));
    Ok(if failed == 0 { ExitStatus::Success } else { ExitStatus::DataFailure })
}
