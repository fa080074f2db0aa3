//! The validation measures of the lookalike model: the area under the ROC curve (Mann–Whitney,
//! ties counted half) and the plain RFM score it is compared with.

use std::cmp::Ordering;

/// The AUC of `scores` against `labels`: the probability that a random positive scores above a
/// random negative, a tie counting one half (the Mann–Whitney U statistic over n+ x n-, with
/// mid-ranks for tied scores). None when either class is empty or a score is not finite.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() || scores.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let ranks = mid_ranks(scores);
    let positive_rank_sum: f64 = ranks.iter().zip(labels).filter(|(_, l)| **l).map(|(r, _)| r).sum();
    let (p, n) = (positives as f64, negatives as f64);
    Some((positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// Ranks 1..=n of `values` ascending, each group of equal values getting the mean of its ranks.
fn mid_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]) == Ordering::Equal {
            end += 1;
        }
        // positions start..end hold ranks start+1 ..= end: their mean
        let mid = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        start = end;
    }
    ranks
}

/// The plain RFM score of each customer: the sum of the quintiles (1..=5) of recency (fewer days
/// since the last order = higher), frequency and monetary value, each among `recency_days.len()`
/// customers. Equal values share a quintile.
pub fn rfm_scores(recency_days: &[f64], frequency: &[f64], monetary: &[f64]) -> Vec<f64> {
    let recent: Vec<f64> = recency_days.iter().map(|d| -d).collect();
    let (r, f, m) = (quintiles(&recent), quintiles(frequency), quintiles(monetary));
    (0..r.len()).map(|i| r[i] + f[i] + m[i]).collect()
}

/// Quintile 1..=5 of each value: 1 + floor(5 x (values strictly below it) / n), so ties share a
/// quintile and the lowest value is in quintile 1.
pub fn quintiles(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|s| s.total_cmp(v) == Ordering::Less);
            1.0 + ((5 * below) / n.max(1)) as f64
        })
        .collect()
}
