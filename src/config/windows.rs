//! The run's as-of date D, the windows derived from it, and every value bound to the SQL models'
//! `$placeholders` (windows, business parameters, the run's start).

use chrono::{DateTime, Months, NaiveDate, Utc};
use datafusion::common::ParamValues;
use datafusion::scalar::ScalarValue;
use serde::Serialize;

use crate::config::params::Params;

/// The run's as-of date D and the window bounds derived from it (docs/contract.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Windows {
    pub as_of: NaiveDate,
    pub start_3m: NaiveDate,
    pub start_6m: NaiveDate,
    pub start_12m: NaiveDate,
    pub start_24m: NaiveDate,
    /// D - 1 day: the CLV model's observation end (lifetimes semantics).
    pub observation_end: NaiveDate,
}

impl Windows {
    pub fn new(as_of: NaiveDate) -> Self {
        // chrono clamps month arithmetic to the month's last day (2024-03-31 - 1 month = 2024-02-29).
        let back = |m: u32| as_of - Months::new(m);
        Self {
            as_of,
            start_3m: back(3),
            start_6m: back(6),
            start_12m: back(12),
            start_24m: back(24),
            observation_end: as_of.pred_opt().expect("as_of after 0001-01-01"),
        }
    }

    /// The lookalike model's training snapshot: the windows a run on D - 12 months would have,
    /// so features computed "as of D - 12 months" inside this run are those of that run.
    pub fn training_snapshot(&self) -> Windows {
        Windows::new(self.start_12m)
    }

    fn scalars(&self) -> Vec<(String, ScalarValue)> {
        let date = date_scalar;
        let training = self.training_snapshot();
        vec![
            ("as_of".into(), ts_scalar(self.as_of)),
            ("as_of_date".into(), date(self.as_of)),
            ("start_3m".into(), ts_scalar(self.start_3m)),
            ("start_6m".into(), ts_scalar(self.start_6m)),
            ("start_12m".into(), ts_scalar(self.start_12m)),
            ("start_24m".into(), ts_scalar(self.start_24m)),
            ("observation_end".into(), date(self.observation_end)),
            // The lookalike training snapshot S = D - 12 months and its windows [S - n months, S).
            ("training_as_of".into(), ts_scalar(training.as_of)),
            ("training_as_of_date".into(), date(training.as_of)),
            ("training_start_3m".into(), ts_scalar(training.start_3m)),
            ("training_start_6m".into(), ts_scalar(training.start_6m)),
            ("training_start_12m".into(), ts_scalar(training.start_12m)),
        ]
    }
}

/// The CLV holdout period `[holdout_start, as_of)` and its calibration's observation end.
pub fn holdout_start(windows: &Windows, params: &Params) -> NaiveDate {
    windows.as_of - Months::new(params.clv_holdout_months)
}

/// Every value a model may use as `$name`: the run's windows, the business parameters, and
/// `$run_started_at` — the wall-clock start of the run, so staging can tell a timestamp that
/// cannot have happened yet (a bad row) from a later fact that a backfill must not see.
pub fn bound_values(windows: &Windows, params: &Params, run_started_at: DateTime<Utc>) -> ParamValues {
    let mut all = windows.scalars();
    all.push((
        "run_started_at".into(),
        ScalarValue::TimestampMicrosecond(Some(run_started_at.timestamp_micros()), Some("UTC".into())),
    ));
    all.extend(params.scalars());
    let start = holdout_start(windows, params);
    all.push(("holdout_start_date".into(), date_scalar(start)));
    all.push(("holdout_observation_end".into(), date_scalar(start.pred_opt().expect("after 0001-01-01"))));
    ParamValues::from(all)
}

/// Midnight UTC of `d` as a UTC timestamp (what `*_ts` columns are compared with).
fn ts_scalar(d: NaiveDate) -> ScalarValue {
    let micros = d.and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp_micros();
    ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
}

/// A date as Arrow's `Date32`: days since 1970-01-01.
pub fn date32(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

pub fn date_scalar(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some(date32(d)))
}
