-- Per segment and tier: customers and the 12-month revenue and margin they bring, with their
-- shares of all customers of customer_value. Segment 'vip' also has an all-tiers row (tier NULL).
WITH totals AS (
    SELECT
        COUNT(*) AS customers,
        CAST(SUM(CAST(net_revenue_12m AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m,
        CAST(SUM(CAST(margin_12m AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m
    FROM customer_value
),

members AS (
    SELECT s.segment, s.tier, cv.customer_id, cv.net_revenue_12m, cv.margin_12m
    FROM customer_segments AS s
    JOIN customer_value AS cv ON cv.customer_id = s.customer_id
    UNION ALL
    -- all VIP tiers together
    SELECT s.segment, NULL, cv.customer_id, cv.net_revenue_12m, cv.margin_12m
    FROM customer_segments AS s
    JOIN customer_value AS cv ON cv.customer_id = s.customer_id
    WHERE s.segment = 'vip'
),

per_segment AS (
    SELECT
        segment,
        tier,
        COUNT(*) AS customers,
        CAST(SUM(CAST(net_revenue_12m AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m,
        CAST(SUM(CAST(margin_12m AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m
    FROM members
    GROUP BY segment, tier
)

SELECT
    p.segment,
    p.tier,
    p.customers,
    CAST(p.customers AS DOUBLE) / t.customers AS customer_share,
    p.net_revenue_12m,
    p.net_revenue_12m / NULLIF(t.net_revenue_12m, 0) AS revenue_share,
    p.margin_12m,
    p.margin_12m / NULLIF(t.margin_12m, 0) AS margin_share,
    p.net_revenue_12m / p.customers AS avg_net_revenue_12m
FROM per_segment AS p
CROSS JOIN totals AS t
ORDER BY p.segment, p.tier NULLS FIRST
