//! All-or-nothing publishing. A run writes its tables to `<output>/_staging/<run_id>/`, copies
//! them under fresh names into `<output>/<table>/as_of=<D>/`, and then commits by creating
//! `<output>/_vipseg/commits/as_of=<D>/<seq>.json` with a create-only write: that one object
//! names every file of every table, so a reader that resolves through the latest commit sees the
//! previous complete run or the new one, never a mix. Two runs racing for the same as_of cannot
//! both create the same sequence number. Files no commit names (from crashed or losing runs)
//! are deleted by the next successful run.
//!
//! With `[output] format = "delta"` each table is instead a Delta table whose as-of partition
//! the run replaces in one Delta commit (`delta.rs`); the commit record, created afterwards in
//! the same way, stays the marker of a complete run across tables: it names each table's Delta
//! version. Documents (`stage_document`) stay plain files in both formats.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::delta::{self, DeltaVersion};
use crate::config::OutputFormat;
use crate::error::{Error, PublishError};
use crate::io::retry;
use crate::io::store::Location;

const STAGING: &str = "_staging";
const COMMITS: [&str; 2] = ["_vipseg", "commits"];

/// The commit record: the run's results and the files of every published table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Commit {
    pub seq: u64,
    pub run_id: String,
    pub as_of: NaiveDate,
    pub committed_at: DateTime<Utc>,
    pub tables: BTreeMap<String, PublishedTable>,
    /// The run results document of the run that made this commit.
    pub run_results: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedTable {
    /// Paths relative to the output root.
    pub files: Vec<String>,
    pub rows: u64,
    /// The run that wrote these files (a selective run keeps other tables of earlier runs).
    pub run_id: String,
    /// `format = "delta"`: the Delta table and the version this run wrote (then `files` are the
    /// partition's data files in that version). Absent for Parquet tables and documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta: Option<DeltaVersion>,
}

/// One run's view of the output: where it stages, and the commit it started from.
pub struct Publisher {
    pub root: Location,
    pub as_of: NaiveDate,
    pub run_id: String,
    base: Option<Commit>,
    format: OutputFormat,
    /// Names staged with `stage_document`: plain files in every format.
    documents: Mutex<BTreeSet<String>>,
}

impl Publisher {
    /// Reads the latest commit for `as_of`; the run may only publish directly on top of it.
    pub async fn begin(root: Location, as_of: NaiveDate, run_id: String) -> Result<Self, Error> {
        let base = latest_commit(&root, as_of).await?;
        remove_abandoned_staging(&root, Utc::now()).await;
        Ok(Self { root, as_of, run_id, base, format: OutputFormat::Parquet, documents: Mutex::default() })
    }

    /// Publishes the tables in `format` (default: Parquet).
    pub fn with_format(mut self, format: OutputFormat) -> Self {
        self.format = format;
        self
    }

    /// Whether `name` is published as a Delta table (not a document, not Parquet).
    fn is_delta(&self, name: &str) -> bool {
        self.format == OutputFormat::Delta && !self.documents.lock().is_ok_and(|d| d.contains(name))
    }

    pub fn staging_dir(&self, table: &str) -> StorePath {
        self.root.child(&[STAGING, &self.run_id, table])
    }

    fn partition(&self, table: &str) -> StorePath {
        self.root.child(&[table, &format!("as_of={}", self.as_of)])
    }

    /// Makes the staged `tables` (name, rows) visible in one step; returns the commit.
    pub async fn publish(&self, tables: &[(String, u64)], run_results: serde_json::Value) -> Result<Commit, Error> {
        tracing::info!(as_of = %self.as_of, tables = tables.len(), "publishing");
        let mut published = self.base.as_ref().map(|c| c.tables.clone()).unwrap_or_default();
        for (table, rows) in tables {
            let run_id = self.run_id.clone();
            let entry = if self.is_delta(table) {
                let written = delta::replace_partition(&self.root, table, &self.staging_dir(table), self.as_of).await?;
                tracing::info!(table, version = written.delta.version, "Delta version written");
                PublishedTable { files: written.files, rows: *rows, run_id, delta: Some(written.delta) }
            } else {
                PublishedTable { files: self.copy_to_partition(table).await?, rows: *rows, run_id, delta: None }
            };
            published.insert(table.clone(), entry);
        }
        let commit = Commit {
            seq: self.base.as_ref().map_or(1, |c| c.seq + 1),
            run_id: self.run_id.clone(),
            as_of: self.as_of,
            committed_at: Utc::now(),
            tables: published,
            run_results,
        };
        self.create_commit(&commit).await?;
        tracing::info!(as_of = %self.as_of, seq = commit.seq, "committed");
        // Published. From here on nothing may fail the run: the clean-up below is best effort
        // (whatever it leaves, the next successful run removes), and a run that reported an
        // error after publishing would mislead its orchestrator.
        if let Err(e) = self.clean_up(tables, &commit).await {
            tracing::warn!(
                "published as_of={} commit {}, but cleaning up failed (the next run retries): {e}",
                self.as_of,
                commit.seq
            );
        }
        Ok(commit)
    }

    /// Deletes the partition files no commit names and this run's staging area.
    async fn clean_up(&self, tables: &[(String, u64)], commit: &Commit) -> Result<(), Error> {
        let path = commit_path(&self.root, self.as_of, commit.seq);
        let committed_at = self.root.store.head(&path).await.map_err(|e| self.store_error(&path, e))?.last_modified;
        // A Delta table's older files belong to its older versions (time travel): removing them
        // is Delta's VACUUM, not ours.
        for (table, _) in tables.iter().filter(|(t, _)| !self.is_delta(t)) {
            self.delete_unreferenced(table, commit, committed_at).await?;
        }
        self.discard().await
    }

    /// Stages a document the run publishes next to its tables (`report.html`, audience files):
    /// listed in `publish`'s tables like a table (with 0 rows), it is copied into
    /// `<output>/<name>/as_of=<D>/` and named by the same commit, so it appears atomically with
    /// the tables it describes.
    pub async fn stage_document(&self, name: &str, file_name: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let path = self.document_dir(name).join(file_name);
        self.root.store.put(&path, bytes.into()).await.map_err(|e| self.store_error(&path, e))?;
        Ok(())
    }

    /// The staging folder of a document the caller writes itself (audience files written by the
    /// engine): like `stage_document`, it is published as plain files in every format.
    pub fn document_dir(&self, name: &str) -> StorePath {
        if let Ok(mut documents) = self.documents.lock() {
            documents.insert(name.to_string());
        }
        self.staging_dir(name)
    }

    /// The latest commit of the latest as-of date before this run's: what "the previous
    /// published date" means for audience diffs.
    pub async fn previous_date_commit(&self) -> Result<Option<Commit>, Error> {
        let commits = self.root.child(&COMMITS);
        let folders = match self.root.store.list_with_delimiter(Some(&commits)).await {
            Ok(listing) => listing.common_prefixes,
            Err(object_store::Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(self.store_error(&commits, e)),
        };
        let mut dates: Vec<NaiveDate> = folders
            .iter()
            .filter_map(|dir| dir.filename()?.strip_prefix("as_of=")?.parse().ok())
            .filter(|d| *d < self.as_of)
            .collect();
        dates.sort();
        for date in dates.into_iter().rev() {
            if let Some(commit) = latest_commit(&self.root, date).await? {
                return Ok(Some(commit));
            }
        }
        Ok(None)
    }

    /// Deletes this run's staging area (after publishing, or when nothing is published).
    pub async fn discard(&self) -> Result<(), Error> {
        delete_prefix(&self.root, &self.root.child(&[STAGING, &self.run_id]), |_| true).await
    }

    async fn copy_to_partition(&self, table: &str) -> Result<Vec<String>, Error> {
        let staged = list(&self.root, &self.staging_dir(table)).await?;
        let partition = self.partition(table);
        let mut files = Vec::with_capacity(staged.len());
        for (i, meta) in staged.iter().enumerate() {
            // Staged tables are Parquet; a staged document keeps its own extension.
            let extension = meta.location.extension().unwrap_or("parquet");
            let target = partition.clone().join(format!("part-{}-{i:04}.{extension}", self.run_id));
            self.root.store.copy(&meta.location, &target).await.map_err(|e| self.store_error(&target, e))?;
            files.push(relative(&self.root, &target));
        }
        Ok(files)
    }

    /// Create-only write of the next sequence number.
    async fn create_commit(&self, commit: &Commit) -> Result<(), Error> {
        let path = commit_path(&self.root, self.as_of, commit.seq);
        let body = PutPayload::from(serde_json::to_vec_pretty(commit).map_err(|e| Error::Internal(e.to_string()))?);
        let options = PutOptions { mode: PutMode::Create, ..Default::default() };
        // A broken connection after the request went out (reset, timeout) leaves it open whether
        // the store wrote the record, and the object store does not repeat a non-idempotent
        // request. A create-only write is safe to repeat — it never overwrites — and the repeat
        // settles the doubt: it succeeds, or it finds the record and the run id says whose it is.
        let written = retry::on_broken_connection("committing", &path, || {
            self.root.store.put_opts(&path, body.clone(), options.clone())
        })
        .await;
        match written {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {
                // Either another run won the race, or our own write landed and only its
                // response was lost (then the repeat found our own record).
                let existing = read_commit(&self.root, &path).await?;
                if existing.run_id == self.run_id {
                    return Ok(());
                }
                self.discard_partition_files(commit).await;
                Err(PublishError::Conflict { as_of: self.as_of.to_string(), other_run: existing.run_id }.into())
            }
            Err(e) => Err(self.store_error(&path, e)),
        }
    }

    /// After losing a race: remove the copies this run made — the files the commit names for
    /// tables this run wrote (best effort; the winner's clean-up or the next run removes whatever
    /// remains). Not Delta tables: their files are in a committed Delta version.
    async fn discard_partition_files(&self, commit: &Commit) {
        let ours = commit.tables.values().filter(|t| t.run_id == self.run_id && t.delta.is_none());
        for file in ours.flat_map(|t| &t.files) {
            let _ = self.root.store.delete(&self.root.path_of(file)).await;
        }
    }

    /// Deletes files in the table's partition that the commit does not name and that were
    /// written before it (later files may belong to a run that started after this commit).
    async fn delete_unreferenced(
        &self,
        table: &str,
        commit: &Commit,
        committed_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let keep = &commit.tables[table].files;
        let root = &self.root;
        delete_prefix(root, &self.partition(table), |meta| {
            meta.last_modified <= committed_at && !keep.contains(&relative(root, &meta.location))
        })
        .await
    }

    fn store_error(&self, path: &StorePath, source: object_store::Error) -> Error {
        PublishError::Store { url: self.root.url_of(path, false), source }.into()
    }
}

/// Staging areas older than this belong to runs that were killed: no run takes a day.
const ABANDONED_AFTER_HOURS: i64 = 24;

/// Removes `_staging/<run_id>/` of runs that started over a day ago (a run id begins with its
/// start time), so killed runs do not leave files behind forever. Best effort: a failure here
/// must not fail the run that found the leftovers.
async fn remove_abandoned_staging(root: &Location, now: DateTime<Utc>) {
    let staging = root.child(&[STAGING]);
    let Ok(listing) = root.store.list_with_delimiter(Some(&staging)).await else { return };
    for dir in listing.common_prefixes {
        let Some(run_id) = dir.filename() else { continue };
        let started = run_id.get(..16).and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%SZ").ok());
        let abandoned = started.is_some_and(|t| now - t.and_utc() > chrono::Duration::hours(ABANDONED_AFTER_HOURS));
        if abandoned && delete_prefix(root, &dir, |_| true).await.is_err() {
            tracing::warn!("could not remove the abandoned staging area {}", root.url_of(&dir, true));
        }
    }
}

fn relative(root: &Location, path: &StorePath) -> String {
    let full = path.as_ref();
    let prefix = root.prefix.as_ref();
    full.strip_prefix(prefix).unwrap_or(full).trim_start_matches('/').to_string()
}

fn commits_dir(root: &Location, as_of: NaiveDate) -> StorePath {
    root.child(&[COMMITS[0], COMMITS[1], &format!("as_of={as_of}")])
}

fn commit_path(root: &Location, as_of: NaiveDate, seq: u64) -> StorePath {
    commits_dir(root, as_of).join(format!("{seq:010}.json"))
}

async fn list(root: &Location, prefix: &StorePath) -> Result<Vec<object_store::ObjectMeta>, Error> {
    let mut entries: Vec<_> = root
        .store
        .list(Some(prefix))
        .try_collect()
        .await
        .map_err(|source| PublishError::Store { url: root.url_of(prefix, true), source })?;
    entries.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(entries)
}

async fn delete_prefix(
    root: &Location,
    prefix: &StorePath,
    should_delete: impl Fn(&object_store::ObjectMeta) -> bool,
) -> Result<(), Error> {
    for meta in list(root, prefix).await?.iter().filter(|m| should_delete(m)) {
        // S3 deletes are POSTs the object store does not repeat after a broken connection;
        // deleting is idempotent, so repeat it here.
        match retry::on_broken_connection("deleting", &meta.location, || root.store.delete(&meta.location)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(source) => {
                return Err(PublishError::Store { url: root.url_of(&meta.location, false), source }.into());
            }
        }
    }
    Ok(())
}

async fn read_commit(root: &Location, path: &StorePath) -> Result<Commit, Error> {
    let store_error = |source| PublishError::Store { url: root.url_of(path, false), source };
    let bytes = root.store.get(path).await.map_err(store_error)?.bytes().await.map_err(store_error)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| PublishError::CorruptCommit { path: root.url_of(path, false), message: e.to_string() }.into())
}

/// The latest complete run for `as_of`, if any: what readers should read.
pub async fn latest_commit(root: &Location, as_of: NaiveDate) -> Result<Option<Commit>, Error> {
    let entries = list(root, &commits_dir(root, as_of)).await?;
    // Zero-padded sequence numbers sort by name; the list is sorted.
    match entries.iter().rev().find(|m| m.location.extension() == Some("json")) {
        Some(meta) => Ok(Some(read_commit(root, &meta.location).await?)),
        None => Ok(None),
    }
}

/// The URLs of a published table's files in the latest commit (what a reader should scan).
pub async fn published_files(root: &Location, as_of: NaiveDate, table: &str) -> Result<Option<Vec<String>>, Error> {
    let Some(commit) = latest_commit(root, as_of).await? else { return Ok(None) };
    Ok(commit.tables.get(table).map(|t| t.urls(root)))
}

impl PublishedTable {
    /// The URLs of the table's files (they are stored relative to the output root).
    pub fn urls(&self, root: &Location) -> Vec<String> {
        self.files.iter().map(|f| root.url_of(&root.path_of(f), false)).collect()
    }
}
