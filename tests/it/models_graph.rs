//! The model graph: dependency order, cycles, unknown relations and SQL errors with file and line.

use std::path::Path;

use datafusion::prelude::SessionContext;
use vipseg::error::ModelError;
use vipseg::project::Project;
use vipseg::project::model_files::ModelsLocation;

fn project_with(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Project, ModelError>) {
    let dir = tempfile::TempDir::new().unwrap();
    for (name, sql) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, sql).unwrap();
    }
    let project = Project::load(ModelsLocation::Folder(dir.path()), &SessionContext::new().state());
    (dir, project)
}

#[test]
fn models_run_in_dependency_order_whatever_their_file_names() {
    let (_dir, project) = project_with(&[
        ("a_final.sql", "SELECT * FROM b_middle"),
        ("b_middle.sql", "SELECT * FROM c_first JOIN raw.orders ON true"),
        ("c_first.sql", "SELECT 1 AS x"),
    ]);
    let project = project.unwrap();
    let order: Vec<&str> = project.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(order, ["c_first", "b_middle", "a_final"]);
    assert!(project.get("b_middle").unwrap().sources.contains("orders"));
}

#[test]
fn a_cycle_is_reported_with_the_files_on_it() {
    let (_dir, project) = project_with(&[
        ("x.sql", "SELECT * FROM y"),
        ("y.sql", "SELECT * FROM z"),
        ("z.sql", "SELECT * FROM x"),
        ("free.sql", "SELECT 1 AS one"),
    ]);
    let message = project.unwrap_err().to_string();
    assert!(message.contains("cycle"), "{message}");
    for file in ["x.sql", "y.sql", "z.sql"] {
        assert!(message.contains(file), "{message} should name {file}");
    }
    assert!(!message.contains("free.sql"), "{message}");
}

#[test]
fn an_unknown_relation_is_reported_with_its_file() {
    let (_dir, project) = project_with(&[("m.sql", "SELECT * FROM no_such_model")]);
    let error = project.unwrap_err();
    assert!(matches!(&error, ModelError::UnknownRelation { relation, .. } if relation == "no_such_model"), "{error}");
    assert!(error.to_string().contains("m.sql"));
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let (_dir, project) = project_with(&[("broken.sql", "SELECT a,\n       b\nFROM t\nWHERE a = = 1\n")]);
    let message = project.unwrap_err().to_string();
    assert!(message.contains("broken.sql:4:"), "{message}");
}

#[test]
fn ddl_is_not_a_model() {
    let (_dir, project) = project_with(&[("bad.sql", "CREATE TABLE t AS SELECT 1")]);
    let message = project.unwrap_err().to_string();
    assert!(message.contains("bad.sql") && message.contains("one SELECT"), "{message}");
}

#[test]
fn selectors_follow_dbt() {
    let (_dir, project) = project_with(&[
        ("a.sql", "SELECT 1 AS x"),
        ("b.sql", "SELECT * FROM a"),
        ("c.sql", "SELECT * FROM b"),
        ("d.sql", "SELECT 2 AS y"),
    ]);
    let project = project.unwrap();
    let names = |sel: &str| project.select(&[sel.to_string()]).unwrap().into_iter().collect::<Vec<_>>();
    assert_eq!(names("b"), ["b"]);
    assert_eq!(names("b+"), ["b", "c"]);
    assert_eq!(names("+b"), ["a", "b"]);
    assert!(matches!(project.select(&["nope".to_string()]), Err(vipseg::error::UsageError::UnknownSelector { .. })));
}

#[test]
fn the_shipped_models_form_a_valid_graph() {
    let project =
        Project::load(ModelsLocation::Folder(&crate::support::repo_sql_dir()), &SessionContext::new().state()).unwrap();
    assert!(project.get("customer_value").is_some());
    assert!(Path::new(&project.get("customer_value").unwrap().file).exists());
}

/// The copy built into the binary is the repository's `sql/`: same models, same SQL, same order.
#[test]
fn the_models_built_into_the_binary_are_the_shipped_folder() {
    let state = SessionContext::new().state();
    let folder = Project::load(ModelsLocation::Folder(&crate::support::repo_sql_dir()), &state).unwrap();
    let shipped = Project::load(ModelsLocation::Shipped, &state).unwrap();
    let summary = |p: &Project| -> Vec<(String, String, Vec<String>)> {
        p.models.iter().map(|m| (m.name.clone(), m.sql.clone(), m.depends_on.iter().cloned().collect())).collect()
    };
    assert_eq!(summary(&shipped), summary(&folder));
    assert_eq!(shipped.assertions.len(), folder.assertions.len());
    assert!(shipped.get("customer_value").unwrap().file.starts_with("<shipped>/marts/"));
}
