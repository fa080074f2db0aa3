//! `hash(a, b, …)`: a 64-bit hash of its arguments, as DuckDB's `hash()`, so a model can count a
//! compound string key by one integer (a hash aggregate then keeps 8 bytes a key instead of the
//! strings). A model using it must check the keys themselves where equal hashes meet: two keys
//! may share a hash.
//!
//! Written here because DataFusion 55 has no such SQL function (`md5`/`digest` compute a
//! cryptographic hash and return 16 bytes or more). xxHash64 with a fixed seed (the crate is
//! already linked by parquet): the same value on every machine of a cluster, whatever its CPU
//! (ahash, DataFusion's own hash, picks its algorithm by CPU features).

use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility};
use twox_hash::XxHash64;

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Hash {
    signature: Signature,
}

impl Hash {
    pub fn new() -> Self {
        Self { signature: Signature::variadic_any(Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for Hash {
    fn name(&self) -> &str {
        "hash"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        super::invoke_on_arrays(args, |arrays, rows| {
            let mut hashes = vec![0u64; rows];
            for array in arrays {
                hash_into(&mut hashes, array)?;
            }
            Ok(Arc::new(UInt64Array::from(hashes)) as ArrayRef)
        })
    }
}

/// Folds one argument into each row's hash: the hash so far seeds the hash of the value, so the
/// order of the arguments counts and ("ab", "c") differs from ("a", "bc"). NULL changes the seed
/// in its own way, so it differs from the empty string.
fn hash_into(hashes: &mut [u64], array: &ArrayRef) -> Result<()> {
    if array.data_type().is_string() || array.data_type().is_null() {
        fold(hashes, super::strings(array)?);
    } else {
        // Other types by their text: a key column has one type, so `1` and `'1'` never meet.
        fold(hashes, super::strings(&cast(array, &DataType::Utf8)?)?);
    }
    Ok(())
}

const NULL_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

fn fold<'a>(hashes: &mut [u64], values: impl Iterator<Item = Option<&'a str>>) {
    for (hash, value) in hashes.iter_mut().zip(values) {
        *hash = match value {
            Some(text) => XxHash64::oneshot(*hash, text.as_bytes()),
            None => XxHash64::oneshot(*hash ^ NULL_SEED, &[]),
        };
    }
}
