-- The lookalike model's training rows: every customer with a completed order before the training
-- snapshot (D - 12 months), with the model inputs at that snapshot, the label (holds a VIP tier
-- at D, from vip_status) and the raw measures of the RFM baseline; at most
-- `lookalike_sample_size` of them, picked by a seeded hash of customer_id, and split by another
-- seeded hash into training and holdout (`lookalike_holdout_share` of the sample). The same input
-- and seed give the same rows. The fit itself is in Rust (lookalike_model); every column not
-- named below (customer_id, vip_at_as_of, holdout, rfm_*) is a model input.
WITH labelled AS (
    SELECT
        i.* EXCLUDE (snapshot),
        v.tier IS NOT NULL AS vip_at_as_of,
        f.recency_days AS rfm_recency_days,
        f.orders_12m AS rfm_orders_12m,
        f.net_revenue_12m AS rfm_net_revenue_12m,
        MD5(CONCAT('sample:', CAST($lookalike_seed AS VARCHAR), ':', i.customer_id)) AS sample_key,
        MD5(CONCAT('holdout:', CAST($lookalike_seed AS VARCHAR), ':', i.customer_id)) AS split_key
    FROM lookalike_inputs AS i
    JOIN lookalike_snapshot_features AS f ON f.snapshot = i.snapshot AND f.customer_id = i.customer_id
    LEFT JOIN vip_status AS v ON v.customer_id = i.customer_id
    WHERE i.snapshot = 'training'
),

sampled AS (
    SELECT * EXCLUDE (sample_key)
    FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY sample_key, customer_id) AS sample_rank FROM labelled) AS ranked
    WHERE sample_rank <= $lookalike_sample_size
),

split AS (
    SELECT
        *,
        ROW_NUMBER() OVER (ORDER BY split_key, customer_id) AS split_rank,
        COUNT(*) OVER () AS sampled_rows
    FROM sampled
)

SELECT
    * EXCLUDE (split_key, sample_rank, split_rank, sampled_rows),
    split_rank <= ROUND(sampled_rows * CAST($lookalike_holdout_share AS DOUBLE)) AS holdout
FROM split
ORDER BY customer_id
