-- Every customer's ranking value (chosen by vip_rank_by), eligibility, rank and tier, the first
-- half of vip_status. A table of its own because vip_status reads it twice (every row, and each
-- tier's lowest value); as a CTE the engine would rank every customer twice
-- (docs/performance.md, rule 5).
WITH customers AS (
    SELECT
        customer_id,
        orders_12m,
        return_rate_12m,
        CASE
            WHEN $vip_rank_by = 'net_value_12m' THEN net_value_12m
            WHEN $vip_rank_by = 'margin_weighted_spend_12m' THEN margin_weighted_spend_12m
            WHEN $vip_rank_by = 'net_revenue_12m' THEN net_revenue_12m
            WHEN $vip_rank_by = 'predicted_clv_12m' THEN predicted_clv_12m
        END AS rank_value,
        -- the same value over prior12m, for lapsed_vip (a CLV prediction has no past value)
        CASE
            WHEN $vip_rank_by = 'net_value_12m' THEN net_value_prior12m
            WHEN $vip_rank_by = 'margin_weighted_spend_12m' THEN margin_weighted_spend_prior12m
            WHEN $vip_rank_by = 'net_revenue_12m' THEN net_revenue_prior12m
        END AS prior_rank_value,
        orders_12m >= $vip_min_orders_12m
            AND COALESCE(return_rate_12m, 0) <= $vip_max_return_rate AS eligible
    FROM customer_value
),

-- Dynamic mode: rank eligible customers with a positive value (value desc, customer_id asc)
-- and cut at shares of the N active customers: a tier holds ranks k <= floor(share x N).
cutoffs AS (
    -- the epsilon keeps a share x N that is an integer from landing just below it
    SELECT
        COUNT(*) AS n,
        FLOOR(CAST($vip_share_platinum AS DOUBLE) * COUNT(*) + 1e-9) AS platinum_k,
        FLOOR(CAST($vip_share_gold AS DOUBLE) * COUNT(*) + 1e-9) AS gold_k,
        FLOOR(CAST($vip_share_silver AS DOUBLE) * COUNT(*) + 1e-9) AS silver_k
    FROM customers
    WHERE orders_12m >= 1
),

ranked AS (
    SELECT
        customer_id,
        ROW_NUMBER() OVER (ORDER BY rank_value DESC, customer_id ASC) AS vip_rank
    FROM customers
    WHERE eligible AND rank_value > 0
)

SELECT
    c.customer_id,
    c.rank_value,
    c.prior_rank_value,
    c.eligible,
    r.vip_rank,
    x.n AS active_customers,
    CASE
        WHEN $vip_mode = 'dynamic' THEN
            CASE
                WHEN r.vip_rank <= x.platinum_k THEN 'platinum'
                WHEN r.vip_rank <= x.gold_k THEN 'gold'
                WHEN r.vip_rank <= x.silver_k THEN 'silver'
            END
        -- static mode: eligible and value at least the tier's threshold
        WHEN c.eligible AND c.rank_value >= $vip_threshold_platinum THEN 'platinum'
        WHEN c.eligible AND c.rank_value >= $vip_threshold_gold THEN 'gold'
        WHEN c.eligible AND c.rank_value >= $vip_threshold_silver THEN 'silver'
    END AS tier,
    CASE
        WHEN r.vip_rank <= x.platinum_k THEN x.platinum_k
        WHEN r.vip_rank <= x.gold_k THEN x.gold_k
        WHEN r.vip_rank <= x.silver_k THEN x.silver_k
    END AS tier_cutoff_rank
-- the small side first: the engine keeps the left side of a cross join in memory and streams
-- the right one through it (the other way round it emits one batch per left row)
FROM cutoffs AS x
CROSS JOIN customers AS c
LEFT JOIN ranked AS r ON r.customer_id = c.customer_id
