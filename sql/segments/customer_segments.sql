-- Segment memberships, long form: one row per (customer, segment) saying why — the value and
-- the threshold it crossed. VIP rows carry the tier (ranking and tiers: vip_status). Rules and
-- defaults: docs/contract.md §1 and [params].
WITH judged AS (
    SELECT
        cv.*,
        v.rank_value,
        v.prior_rank_value,
        v.eligible,
        v.tier,
        v.tier_threshold,
        v.entry_threshold,
        v.reason AS vip_reason
    FROM customer_value AS cv
    JOIN vip_status AS v ON v.customer_id = cv.customer_id
),

-- big_spender compares with a quantile of active customers' AOV.
aov_cut AS (
    SELECT
        PERCENTILE_CONT(CAST($big_spender_aov_quantile AS DOUBLE)) WITHIN GROUP (ORDER BY aov_12m) AS threshold
    FROM customer_value
    WHERE orders_12m >= 1
),

-- The VIP family reads vip_status; the other segments need customer_value only.
segments AS (
    SELECT customer_id, 'vip' AS segment, tier, rank_value AS value, tier_threshold AS threshold,
           CAST(NULL AS DOUBLE) AS gap_to_vip, vip_reason AS reason
    FROM judged
    WHERE tier IS NOT NULL

    UNION ALL
    SELECT customer_id, 'near_vip', NULL, rank_value, entry_threshold,
           entry_threshold - rank_value,
           CONCAT(CAST($vip_rank_by AS VARCHAR), ' >= near_vip_ratio x VIP entry threshold',
                  CASE WHEN eligible THEN '' ELSE ' (not eligible)' END)
    FROM judged
    WHERE tier IS NULL
      AND orders_12m >= 1
      AND rank_value >= CAST($near_vip_ratio AS DOUBLE) * entry_threshold

    UNION ALL
    SELECT customer_id, 'lapsed_vip', NULL, prior_rank_value, entry_threshold, NULL,
           CONCAT('prior12m ', CAST($vip_rank_by AS VARCHAR),
                  ' >= VIP entry threshold and recency_days > lapse_days')
    FROM judged
    WHERE tier IS NULL
      AND prior_rank_value >= entry_threshold
      AND recency_days > $lapse_days

    UNION ALL
    SELECT customer_id, 'at_risk_vip', NULL,
           CASE WHEN rate_trend_3m < $at_risk_trend THEN rate_trend_3m ELSE p_alive END,
           CASE WHEN rate_trend_3m < $at_risk_trend
                THEN CAST($at_risk_trend AS DOUBLE) ELSE CAST($at_risk_p_alive AS DOUBLE) END,
           NULL,
           CASE WHEN rate_trend_3m < $at_risk_trend THEN 'VIP with rate_trend_3m < at_risk_trend'
                ELSE 'VIP with p_alive < at_risk_p_alive' END
    FROM judged
    WHERE tier IS NOT NULL
      AND (rate_trend_3m < $at_risk_trend OR p_alive < $at_risk_p_alive)

    UNION ALL
    SELECT customer_id, 'bargain_hunter', NULL, 1 - full_price_share_12m,
           CAST($bargain_min_discount_share AS DOUBLE), NULL,
           'share of revenue bought at a discount >= bargain_min_discount_share'
    FROM customer_value
    WHERE orders_12m >= 2
      AND 1 - full_price_share_12m >= $bargain_min_discount_share

    UNION ALL
    SELECT customer_id, 'high_cost', NULL,
           CASE WHEN return_rate_12m >= $high_cost_return_rate
                THEN return_rate_12m ELSE CAST(support_tickets_12m AS DOUBLE) END,
           CASE WHEN return_rate_12m >= $high_cost_return_rate
                THEN CAST($high_cost_return_rate AS DOUBLE) ELSE CAST($high_cost_tickets AS DOUBLE) END,
           NULL,
           CASE WHEN return_rate_12m >= $high_cost_return_rate THEN 'return_rate_12m >= high_cost_return_rate'
                ELSE 'support_tickets_12m >= high_cost_tickets' END
    FROM customer_value
    WHERE return_rate_12m >= $high_cost_return_rate
       OR support_tickets_12m >= $high_cost_tickets

    UNION ALL
    SELECT customer_id, 'advocate', NULL,
           CAST(CASE WHEN referrals_12m >= $advocate_min_referrals THEN referrals_12m ELSE reviews_12m END AS DOUBLE),
           CASE WHEN referrals_12m >= $advocate_min_referrals
                THEN CAST($advocate_min_referrals AS DOUBLE) ELSE CAST($advocate_min_reviews AS DOUBLE) END,
           NULL,
           CASE WHEN referrals_12m >= $advocate_min_referrals THEN 'referrals_12m >= advocate_min_referrals'
                ELSE 'reviews_12m >= advocate_min_reviews' END
    FROM customer_value
    WHERE referrals_12m >= $advocate_min_referrals
       OR reviews_12m >= $advocate_min_reviews

    UNION ALL
    -- first_order_ts >= D - new_customer_days days  <=>  tenure_days <= new_customer_days
    SELECT customer_id, 'new_customer', NULL, CAST(tenure_days AS DOUBLE),
           CAST($new_customer_days AS DOUBLE), NULL,
           'first order within new_customer_days days before the as-of date'
    FROM customer_value
    WHERE tenure_days <= $new_customer_days

    UNION ALL
    SELECT customer_id, 'one_time_buyer', NULL, CAST(lifetime_orders AS DOUBLE), 1.0, NULL,
           'exactly one completed order before the as-of date'
    FROM customer_value
    WHERE lifetime_orders = 1

    UNION ALL
    SELECT customer_id, 'loyal_frequent', NULL, CAST(orders_12m AS DOUBLE),
           CAST($loyal_min_orders_12m AS DOUBLE), NULL,
           'orders_12m >= loyal_min_orders_12m'
    FROM customer_value
    WHERE orders_12m >= $loyal_min_orders_12m

    UNION ALL
    SELECT j.customer_id, 'big_spender', NULL, j.aov_12m, a.threshold, NULL,
           'at most 2 orders in 12m and aov_12m >= the big_spender_aov_quantile of active customers'
    FROM aov_cut AS a
    CROSS JOIN customer_value AS j
    WHERE j.orders_12m <= 2
      AND j.aov_12m >= a.threshold
)

SELECT customer_id, segment, tier, value, threshold, gap_to_vip, reason
FROM segments
ORDER BY customer_id, segment
