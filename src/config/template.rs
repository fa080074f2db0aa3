//! The `vipseg.toml` that `vipseg init` writes: the sources to fill in, and every other key with
//! its default, commented out. Rendered from the defaults themselves, so it cannot drift from them.

use serde::Serialize;

use super::audiences::Audiences;
use super::params::Params;
use super::{EngineConfig, OutputConfig};
use crate::io::schema::Source;

/// The config file of a new project whose models live in `models_dir` (relative to the file).
pub fn render(models_dir: &str) -> String {
    let mut text = String::from(
        "# vipseg configuration. Every key but the required sources has a default; the defaults are\n\
         # shown commented out. Reference: README.md and docs/contract.md of the vipseg repository.\n\n\
         # Sources: a folder (or glob) of Parquet files per table: a plain path, file://, s3://, az://\n\
         # or gs:// (credentials from each cloud's standard environment variables).\n",
    );
    for source in Source::ALL {
        let url = format!("{}url = \"data/{source}/\"\n", if source.required() { "" } else { "# " });
        let note = if source.required() { "required" } else { "optional: left out, it reads as empty" };
        text.push_str(&format!("{}[sources.{source}]   # {note}\n{url}", if source.required() { "" } else { "# " }));
    }
    text.push_str(&format!(
        "\n# The SQL models: the files `vipseg init` wrote next to this file.\n[models]\ndir = \"{models_dir}\"\n"
    ));
    text.push_str(&commented("output", &OutputConfig::default(), &[]));
    text.push_str(&commented("params", &Params::default(), &[]));
    let engine_unset = [
        ("scheduler", "\"df://127.0.0.1:50050\"   # Ballista scheduler (kind = \"ballista\")"),
        ("target_partitions", "2   # default: the number of cores"),
        ("memory_limit", "\"4GiB\"   # default: no limit; beyond it, sorts and joins spill to disk"),
        ("concurrent_models", "1   # default 1; 2 overlaps models for a few percent, at more memory"),
    ];
    text.push_str(&commented("engine", &EngineConfig::default(), &engine_unset));
    text.push_str(&audiences());
    text
}

/// The default audiences, commented out: an entry of the same name replaces one.
fn audiences() -> String {
    let mut text = String::from(
        "
# Audience files for the ad platforms (docs/audiences.md): an entry replaces the default of
         # the same name; `platforms = []` switches one off; `segment` names a segment of
         # customer_segments (default: the audience's name) or lookalike_top.
",
    );
    text.push_str("[audiences]\n");
    let table = toml::Table::try_from(Audiences::default()).expect("audiences serialise as a TOML table");
    for (name, entry) in &table {
        let parts: Vec<String> = entry.as_table().into_iter().flatten().map(|(k, v)| format!("{k} = {v}")).collect();
        text.push_str(&format!("# {name} = {{ {} }}\n", parts.join(", ")));
    }
    text
}

/// `[section]` with every key of `defaults` as a commented line (nested tables inline), then the
/// keys without a default (`unset`: key and an example value).
fn commented<T: Serialize>(section: &str, defaults: &T, unset: &[(&str, &str)]) -> String {
    let mut text = format!("\n[{section}]\n");
    let table = toml::Table::try_from(defaults).expect("settings serialise as a TOML table");
    for (key, value) in &table {
        match value {
            toml::Value::Table(inner) => {
                let parts: Vec<String> = inner.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                text.push_str(&format!("# {key} = {{ {} }}\n", parts.join(", ")));
            }
            other => text.push_str(&format!("# {key} = {other}\n")),
        }
    }
    for (key, example) in unset {
        text.push_str(&format!("# {key} = {example}\n"));
    }
    text
}
