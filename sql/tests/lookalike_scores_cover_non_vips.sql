-- When the lookalike model is fitted, every customer of lookalike_features without a VIP tier at
-- D has a score (and nobody else: lookalike_scores_exclude_vips); when it is not, nobody has.
WITH fitted AS (
    SELECT COUNT(*) > 0 AS is_fitted FROM lookalike_model
)
SELECT f.customer_id, x.is_fitted, s.customer_id IS NOT NULL AS scored
FROM fitted AS x
CROSS JOIN lookalike_features AS f
LEFT JOIN vip_status AS v ON v.customer_id = f.customer_id
LEFT JOIN lookalike_scores AS s ON s.customer_id = f.customer_id
WHERE v.tier IS NULL AND x.is_fitted <> (s.customer_id IS NOT NULL)
