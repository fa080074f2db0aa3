//! The SQL functions vipseg adds to every session it builds (local, Ballista client, scheduler,
//! executors): the audience normalisers (`export::functions`) and `hash` (`hash.rs`).

mod hash;

use datafusion::logical_expr::ScalarUDF;
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
    let mut udfs = crate::export::functions::udfs();
    udfs.push(ScalarUDF::new_from_impl(hash::Hash::new()));
    udfs
}
