-- Who could be in each audience, before consent and the platforms' rules: the members of every
-- segment (an audience names its segment; `vip` = every tier) and the top decile of
-- lookalike_scores (`lookalike_top`), with the values a value-based audience may carry.
WITH members AS (
    SELECT DISTINCT segment, customer_id FROM customer_segments
    UNION ALL
    SELECT 'lookalike_top' AS segment, customer_id FROM lookalike_scores WHERE decile = 1
)

SELECT
    m.segment,
    m.customer_id,
    cv.net_value_12m,
    cv.margin_weighted_spend_12m,
    cv.net_revenue_12m,
    cv.predicted_clv_12m
FROM members AS m
JOIN customer_value AS cv ON cv.customer_id = m.customer_id
