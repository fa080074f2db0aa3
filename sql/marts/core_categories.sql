-- Categories of the last 12 months ranked by how many VIPs bought them (then by the VIPs'
-- net revenue, then by name), with the VIPs' and everybody's revenue and margin rate.
WITH vips AS (
    SELECT DISTINCT customer_id FROM customer_segments WHERE segment = 'vip'
),

per_category AS (
    SELECT
        c.category,
        COUNT(v.customer_id) AS vip_buyers,
        COALESCE(CAST(SUM(CASE WHEN v.customer_id IS NOT NULL THEN c.net_revenue END) AS DOUBLE), 0) AS vip_net_revenue_12m,
        COALESCE(CAST(SUM(CASE WHEN v.customer_id IS NOT NULL THEN c.margin END) AS DOUBLE), 0) AS vip_margin_12m,
        COUNT(*) AS buyers_12m,
        CAST(SUM(c.net_revenue) AS DOUBLE) AS net_revenue_12m,
        CAST(SUM(c.margin) AS DOUBLE) AS margin_12m
    -- the VIPs first: the engine builds its hash table from the first table of a join
    FROM vips AS v
    RIGHT JOIN int_customer_categories AS c ON v.customer_id = c.customer_id
    GROUP BY c.category
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
