//! The model graph: dbt-style selection (`name`, `name+`, `+name`), ancestors and descendants,
//! and the dependency order models run in.

use std::collections::{BTreeMap, BTreeSet};

use super::{Model, Project};
use crate::error::{ModelError, UsageError};

impl Project {
    /// dbt-style selection: `name`, `name+` (and everything downstream), `+name` (and upstream).
    /// No selector selects everything.
    pub fn select(&self, selectors: &[String]) -> Result<BTreeSet<String>, UsageError> {
        if selectors.is_empty() {
            return Ok(self.models.iter().map(|m| m.name.clone()).collect());
        }
        let mut selected = BTreeSet::new();
        for selector in selectors.iter().flat_map(|s| s.split([',', ' '])).filter(|s| !s.is_empty()) {
            let upstream = selector.starts_with('+');
            let downstream = selector.ends_with('+');
            let name = selector.trim_matches('+');
            if self.get(name).is_none() {
                return Err(UsageError::UnknownSelector { selector: selector.to_string() });
            }
            selected.insert(name.to_string());
            if upstream {
                selected.extend(self.ancestors(name));
            }
            if downstream {
                selected.extend(self.descendants(name));
            }
        }
        Ok(selected)
    }

    /// Every model `name` reads, directly or not.
    pub fn ancestors(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(current) = stack.pop() {
            if let Some(model) = self.get(&current) {
                for dep in &model.depends_on {
                    if found.insert(dep.clone()) {
                        stack.push(dep.clone());
                    }
                }
            }
        }
        found
    }

    /// Every model that reads `name`, directly or not.
    pub fn descendants(&self, name: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        // Models are in dependency order, so one forward pass sees each parent before its child.
        for model in &self.models {
            if model.depends_on.iter().any(|d| d == name || found.contains(d)) {
                found.insert(model.name.clone());
            }
        }
        found
    }
}

/// Kahn's algorithm with ties broken by name, so the order is stable across runs. Hand-written
/// (30 lines) because the error must name the files of the cycle, which graph crates do not give.
pub(super) fn topological_order(mut models: BTreeMap<String, Model>) -> Result<Vec<Model>, ModelError> {
    let mut ordered = Vec::with_capacity(models.len());
    let mut done: BTreeSet<String> = BTreeSet::new();
    while !models.is_empty() {
        let ready: Vec<String> =
            models.values().filter(|m| m.depends_on.iter().all(|d| done.contains(d))).map(|m| m.name.clone()).collect();
        if ready.is_empty() {
            return Err(ModelError::Cycle { cycle: describe_cycle(&models) });
        }
        for name in ready {
            let model = models.remove(&name).expect("ready model present");
            done.insert(name);
            ordered.push(model);
        }
    }
    Ok(ordered)
}

/// Walks unresolved dependencies from any remaining model until a model repeats.
fn describe_cycle(remaining: &BTreeMap<String, Model>) -> String {
    let mut path: Vec<&Model> = Vec::new();
    let mut current = remaining.values().next().expect("non-empty");
    loop {
        if let Some(pos) = path.iter().position(|m| m.name == current.name) {
            let cycle: Vec<String> = path[pos..]
                .iter()
                .chain(std::iter::once(&current))
                .map(|m| format!("{} ({})", m.name, m.file))
                .collect();
            return cycle.join(" -> ");
        }
        path.push(current);
        let next = current
            .depends_on
            .iter()
            .find_map(|d| remaining.get(d))
            .expect("a model in a cycle has a remaining dependency");
        current = next;
    }
}
