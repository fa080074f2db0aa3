-- Share of 12-month margin by decile of active customers (orders_12m >= 1) ranked by
-- margin_12m desc (ties by customer_id): cumulative_margin_share at decile 2 reads "the top 20%
-- bring X%", spend_index at decile 1 reads "the top 10% spend N x the average".
WITH active AS (
    SELECT customer_id, margin_12m, net_revenue_12m
    FROM customer_value
    WHERE orders_12m >= 1
),

ranked AS (
    SELECT
        *,
        ROW_NUMBER() OVER (ORDER BY margin_12m DESC, customer_id ASC) AS k,
        COUNT(*) OVER () AS n
    FROM active
),

-- Decile d holds ranks (d - 1) N / 10 < k <= d N / 10, so decile 1 is exactly the top 10%
-- (NTILE would give the leftover customers to the first deciles instead).
deciles AS (
    SELECT *, CAST(CEIL(10.0 * k / n) AS BIGINT) AS decile
    FROM ranked
),

totals AS (
    SELECT COUNT(*) AS customers, CAST(SUM(CAST(margin_12m AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m, CAST(SUM(CAST(net_revenue_12m AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m
    FROM active
),

per_decile AS (
    SELECT decile, COUNT(*) AS customers, CAST(SUM(CAST(margin_12m AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m, CAST(SUM(CAST(net_revenue_12m AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m
    FROM deciles
    GROUP BY decile
)

SELECT
    d.decile,
    d.customers,
    CAST(SUM(d.customers) OVER (ORDER BY d.decile) AS DOUBLE) / t.customers AS cumulative_customer_share,
    d.margin_12m,
    d.margin_12m / NULLIF(t.margin_12m, 0) AS margin_share,
    SUM(d.margin_12m) OVER (ORDER BY d.decile) / NULLIF(t.margin_12m, 0) AS cumulative_margin_share,
    d.net_revenue_12m,
    d.net_revenue_12m / NULLIF(t.net_revenue_12m, 0) AS revenue_share,
    -- average net revenue per customer of the decile over that of all active customers
    (d.net_revenue_12m / d.customers) / NULLIF(t.net_revenue_12m / t.customers, 0) AS spend_index
FROM per_decile AS d
CROSS JOIN totals AS t
ORDER BY d.decile
