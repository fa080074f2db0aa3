//! The SQL functions vipseg adds to every session it builds (local, Ballista client, scheduler,
//! executors): the audience normalisers (`normalizers.rs`) and `hash` (`hash.rs`).

mod hash;
mod normalizers;

use std::iter;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};
use datafusion::prelude::SessionContext;

/// Registers vipseg's SQL functions in `ctx`.
pub fn register(ctx: &SessionContext) {
    for udf in udfs() {
        ctx.register_udf(udf);
    }
}

/// vipseg's SQL functions, for sessions built without a `SessionContext` (a Ballista scheduler or
/// executor knows them by name: a plan names its functions, it does not carry them).
pub fn udfs() -> Vec<ScalarUDF> {
    let mut udfs = normalizers::udfs();
    udfs.push(ScalarUDF::new_from_impl(hash::Hash::new()));
    udfs
}

/// Calls `evaluate` on the arguments as arrays of the batch's rows; when every argument is a
/// scalar (a call on literals), on one-row arrays, and the answer is a scalar again.
fn invoke_on_arrays(
    args: ScalarFunctionArgs,
    evaluate: impl FnOnce(&[ArrayRef], usize) -> Result<ArrayRef>,
) -> Result<ColumnarValue> {
    let all_scalar = args.args.iter().all(|arg| matches!(arg, ColumnarValue::Scalar(_)));
    let rows = if all_scalar { 1 } else { args.number_rows };
    let arrays = args.args.iter().map(|arg| arg.to_array(rows)).collect::<Result<Vec<_>>>()?;
    let out = evaluate(&arrays, rows)?;
    if all_scalar {
        ScalarValue::try_from_array(&out, 0).map(ColumnarValue::Scalar)
    } else {
        Ok(ColumnarValue::Array(out))
    }
}

/// The values of a string array of any Arrow string type (a NULL literal is typed Null).
fn strings(array: &ArrayRef) -> Result<Box<dyn Iterator<Item = Option<&str>> + '_>> {
    Ok(match array.data_type() {
        DataType::Utf8 => Box::new(array.as_string::<i32>().iter()),
        DataType::LargeUtf8 => Box::new(array.as_string::<i64>().iter()),
        DataType::Utf8View => Box::new(array.as_string_view().iter()),
        DataType::Null => Box::new(iter::repeat_n(None, array.len())),
        other => return exec_err!("expected a string argument, got {other}"),
    })
}
