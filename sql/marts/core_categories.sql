-- Categories of the last 12 months ranked by how many VIPs bought them (then by the VIPs'
-- net revenue, then by name), with the VIPs' and everybody's revenue and margin rate.
WITH vips AS (
    SELECT DISTINCT customer_id FROM customer_segments WHERE segment = 'vip'
),

lines AS (
    SELECT
        l.category,
        l.customer_id,
        l.net_revenue,
        l.margin,
        v.customer_id IS NOT NULL AS is_vip
    -- the VIPs first: the engine builds its hash table from the first table of a join
    FROM vips AS v
    RIGHT JOIN int_line_values AS l ON v.customer_id = l.customer_id
    WHERE l.period = '12m'
),

per_category AS (
    SELECT
        category,
        COUNT(DISTINCT CASE WHEN is_vip THEN customer_id END) AS vip_buyers,
        COALESCE(CAST(SUM(CAST(CASE WHEN is_vip THEN net_revenue END AS DECIMAL(38, 9))) AS DOUBLE), 0) AS vip_net_revenue_12m,
        COALESCE(CAST(SUM(CAST(CASE WHEN is_vip THEN margin END AS DECIMAL(38, 9))) AS DOUBLE), 0) AS vip_margin_12m,
        COUNT(DISTINCT customer_id) AS buyers_12m,
        CAST(SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m,
        CAST(SUM(CAST(margin AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m
    FROM lines
    GROUP BY category
),

vip_count AS (
    SELECT COUNT(*) AS vips FROM vips
)

SELECT
    ROW_NUMBER() OVER (ORDER BY vip_buyers DESC, vip_net_revenue_12m DESC, category ASC) AS category_rank,
    category,
    vip_buyers,
    CAST(vip_buyers AS DOUBLE) / NULLIF(vip_count.vips, 0) AS vip_buyer_share,
    vip_net_revenue_12m,
    vip_margin_12m,
    vip_margin_12m / NULLIF(vip_net_revenue_12m, 0) AS vip_margin_rate_12m,
    buyers_12m,
    net_revenue_12m,
    margin_12m,
    margin_12m / NULLIF(net_revenue_12m, 0) AS margin_rate_12m
FROM per_category
CROSS JOIN vip_count
ORDER BY category_rank
