//! Checks of one input file before the engine reads it: that it is a whole Parquet file, and
//! that its columns can stand for the canonical ones. Each problem is a typed value whose text
//! the caller puts next to the file's name.

use std::sync::Arc;

use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

use crate::io::schema::Column;

/// What is wrong with an input file.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("not a Parquet file: {size} bytes, fewer than any Parquet file has")]
    TooSmall { size: u64 },
    #[error("cannot read the Parquet footer: {0}")]
    Unreadable(object_store::Error),
    #[error("not a Parquet file, or a truncated one: it does not end in the Parquet magic bytes `PAR1`")]
    NoMagic,
    #[error(
        "truncated or corrupt Parquet file: its footer claims {footer} bytes of metadata, the whole file has {size}"
    )]
    FooterTooLong { footer: u64, size: u64 },
    #[error("column `{column}` has type {found}, expected {expected}")]
    WrongType { column: &'static str, found: String, expected: &'static str },
    #[error("missing column `{column}` ({expected}); the file has: {present}")]
    MissingColumn { column: &'static str, expected: &'static str, present: String },
}

/// A Parquet file ends in the footer's length (4 bytes, little-endian) and the magic `PAR1`
/// (`PARE`: encrypted footer). Checked before the parquet crate reads the footer: its decoder
/// (parquet 59, `push_decoder.rs`) subtracts the claimed length from the file size unchecked,
/// which panics (debug builds) or asks for a nonsensical range (release) when a damaged file
/// claims more footer than it has bytes.
pub async fn footer(store: &Arc<dyn ObjectStore>, object: &ObjectMeta) -> Result<(), FileProblem> {
    const MAGIC_AND_LENGTHS: u64 = 12; // "PAR1" at the start, then length + "PAR1" at the end
    let size = object.size;
    if size < MAGIC_AND_LENGTHS {
        return Err(FileProblem::TooSmall { size });
    }
    let tail = store.get_range(&object.location, size - 8..size).await.map_err(FileProblem::Unreadable)?;
    if tail.len() != 8 || !matches!(&tail[4..], b"PAR1" | b"PARE") {
        return Err(FileProblem::NoMagic);
    }
    let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer + MAGIC_AND_LENGTHS > size {
        return Err(FileProblem::FooterTooLong { footer, size });
    }
    Ok(())
}

/// Every canonical column is present (unless optional) with a stored type that can stand for it.
pub fn columns(canonical: &[Column], found: &arrow::datatypes::Schema) -> Result<(), FileProblem> {
    for column in canonical {
        match found.field_with_name(column.name) {
            Ok(field) if !column.kind.accepts(field.data_type()) => {
                return Err(FileProblem::WrongType {
                    column: column.name,
                    found: field.data_type().to_string(),
                    expected: column.kind.describe(),
                });
            }
            Ok(_) => {}
            Err(_) if column.optional => {}
            Err(_) => {
                let present = found.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ");
                return Err(FileProblem::MissingColumn {
                    column: column.name,
                    expected: column.kind.describe(),
                    present,
                });
            }
        }
    }
    Ok(())
}
