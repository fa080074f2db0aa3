//! The run's audience files: written into the staging area with their diffs against the
//! previous published date, so that the publish that commits the tables commits them too (a
//! reader never sees the audiences of one run with the tables of another).

use std::collections::BTreeSet;

use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt, stream};
use object_store::ObjectStoreExt;

use crate::config::audiences::{Audiences, Platform};
use crate::config::params::RankBy;
use crate::error::{Error, PublishError};
use crate::export::diff::{self, DiffRequest};
use crate::export::file::{self, FileRequest};
use crate::export::{AudienceFile, platform};
use crate::io::store::Location;
use crate::run::publish::{Commit, Publisher};

/// Audience files staged by this run, and the documents to name in the commit.
#[derive(Default)]
pub struct Staged {
    pub files: Vec<AudienceFile>,
    pub documents: Vec<(String, u64)>,
}

/// The three documents of one (audience, platform): the full file, its adds and its removes.
struct Names {
    full: String,
    adds: String,
    removes: String,
}

fn names(audience: &str, platform: Platform) -> Names {
    let base = format!("audiences/{audience}/{platform}");
    Names { full: format!("{base}/full"), adds: format!("{base}/adds"), removes: format!("{base}/removes") }
}

/// Writes every configured file whose platform model this run built, `concurrency` at a time
/// (each file is its own query and diff), in the configuration's order.
pub async fn stage(
    ctx: &SessionContext,
    audiences: &Audiences,
    publisher: &Publisher,
    built: &BTreeSet<String>,
    concurrency: usize,
) -> Result<Staged, Error> {
    let previous = publisher.previous_date_commit().await?;
    let wanted = audiences.files().filter(|(_, _, platform)| built.contains(platform::format(*platform).model));
    let files = stream::iter(wanted.map(|(audience, config, platform)| {
        stage_file(ctx, publisher, previous.as_ref(), audience, config.segment_of(audience), config.value, platform)
    }));
    let mut staged = Staged::default();
    for (documents, file) in files.buffered(concurrency.max(1)).try_collect::<Vec<_>>().await? {
        staged.documents.extend(documents);
        staged.files.push(file);
    }
    Ok(staged)
}

/// One audience file for one platform, with its adds and removes against `previous`.
async fn stage_file(
    ctx: &SessionContext,
    publisher: &Publisher,
    previous: Option<&Commit>,
    audience: &str,
    segment: &str,
    value: Option<RankBy>,
    platform: Platform,
) -> Result<(Vec<(String, u64)>, AudienceFile), Error> {
    let names = names(audience, platform);
    let file_name = |kind: &str| format!("{audience}-{platform}{kind}.csv");
    let url_in = |table: &str, file: String| publisher.root.url_of(&publisher.document_dir(table).join(file), false);
    let request = FileRequest { segment, platform, value, url: url_in(&names.full, file_name("")) };
    let written = file::write(ctx, &request).await?;
    let previous_urls = match previous {
        Some(commit) => comparable_previous(&publisher.root, commit, &names.full, &written.columns).await?,
        None => None,
    };
    let (adds_url, removes_url) =
        (url_in(&names.adds, file_name("-adds")), url_in(&names.removes, file_name("-removes")));
    let diff = diff::write(
        ctx,
        &DiffRequest {
            current_url: &request.url,
            columns: &written.columns,
            value_column: written.value_column.as_deref(),
            previous_urls: previous_urls.as_deref(),
            adds_url: &adds_url,
            removes_url: &removes_url,
        },
    )
    .await?;
    tracing::info!(audience, %platform, rows = written.rows, adds = diff.adds, removes = diff.removes, "audience file staged");
    for warning in &written.warnings {
        tracing::warn!("audience {audience} for {platform}: {warning}");
    }
    let documents = vec![(names.full, written.rows), (names.adds, diff.adds), (names.removes, diff.removes)];
    let file = AudienceFile {
        audience: audience.to_string(),
        platform,
        segment: segment.to_string(),
        value: value.filter(|_| written.value_column.is_some()).map(|v| v.column()),
        url: None,
        rows: written.rows,
        left_out: written.left_out,
        empty_fields: written.empty_fields,
        adds: diff.adds,
        removes: diff.removes,
        adds_url: None,
        removes_url: None,
        previous_as_of: previous_urls.as_ref().and(previous.map(|c| c.as_of)),
        warnings: written.warnings,
    };
    Ok((documents, file))
}

/// The previous date's file of the same audience and platform, if it has the same columns (a
/// file of another format cannot be compared row by row: then every row is an add).
async fn comparable_previous(
    root: &Location,
    commit: &Commit,
    table: &str,
    columns: &[String],
) -> Result<Option<Vec<String>>, Error> {
    let Some(published) = commit.tables.get(table) else { return Ok(None) };
    for file in &published.files {
        let path = root.path_of(file);
        let store_error = |source| PublishError::Store { url: root.url_of(&path, false), source };
        let meta = root.store.head(&path).await.map_err(store_error)?;
        let head = root.store.get_range(&path, 0..meta.size.min(64 * 1024)).await.map_err(store_error)?;
        let first_line = String::from_utf8_lossy(&head);
        if !diff::header_matches(first_line.lines().next().unwrap_or_default(), columns) {
            tracing::warn!("{table}: the file of {} has other columns; every row counts as an add", commit.as_of);
            return Ok(None);
        }
    }
    Ok(Some(published.urls(root)))
}

/// Fills in the published URLs once the commit names the files.
pub fn set_urls(files: &mut [AudienceFile], commit: &Commit, root: &Location) {
    let url = |table: &str| commit.tables.get(table).and_then(|t| t.urls(root).into_iter().next());
    for file in files {
        let names = names(&file.audience, file.platform);
        file.url = url(&names.full);
        file.adds_url = url(&names.adds);
        file.removes_url = url(&names.removes);
    }
}
