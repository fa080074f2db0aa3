-- Every customer's standing for VIP (docs/contract.md §1): the ranking value chosen by vip_rank_by,
-- eligibility, rank, tier and the thresholds, so "why (not) VIP?" is answered by one row.
-- The ranks and tiers come from int_vip_ranks; this model adds the thresholds and the reason.

-- A tier's threshold: static, its parameter; dynamic, its cut-off value (lowest value inside).
WITH tier_thresholds AS (
    SELECT
        tier,
        CASE
            WHEN $vip_mode = 'dynamic' THEN MIN(rank_value)
            WHEN tier = 'platinum' THEN CAST($vip_threshold_platinum AS DOUBLE)
            WHEN tier = 'gold' THEN CAST($vip_threshold_gold AS DOUBLE)
            ELSE CAST($vip_threshold_silver AS DOUBLE)
        END AS threshold
    FROM int_vip_ranks
    WHERE tier IS NOT NULL
    GROUP BY tier
),

-- The VIP entry threshold: static, the lowest tier threshold; dynamic, the lowest VIP value
-- (NULL without VIPs: then nobody is near or lapsed).
entry AS (
    SELECT
        CASE
            WHEN $vip_mode = 'static' THEN CAST($vip_threshold_silver AS DOUBLE)
            ELSE MIN(threshold)
        END AS threshold
    FROM tier_thresholds
)

SELECT
    t.customer_id,
    t.rank_value,
    t.prior_rank_value,
    t.eligible,
    t.vip_rank,
    t.tier,
    th.threshold AS tier_threshold,
    e.threshold AS entry_threshold,
    CASE
        WHEN t.tier IS NULL THEN NULL
        WHEN $vip_mode = 'dynamic' THEN
            CONCAT('rank ', CAST(t.vip_rank AS VARCHAR), ' of ', CAST(t.active_customers AS VARCHAR),
                   ' active customers; ', t.tier, ' = rank <= ', CAST(CAST(t.tier_cutoff_rank AS BIGINT) AS VARCHAR))
        ELSE CONCAT(CAST($vip_rank_by AS VARCHAR), ' >= ', t.tier, ' threshold')
    END AS reason
FROM entry AS e
CROSS JOIN int_vip_ranks AS t
LEFT JOIN tier_thresholds AS th ON th.tier = t.tier
ORDER BY t.customer_id
