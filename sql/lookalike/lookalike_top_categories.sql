-- The shop's five top categories: net revenue in the 12 months before D, highest first (ties by
-- name). Their revenue shares are lookalike features, and the same five serve both snapshots, so
-- a training feature and the current feature of the same name mean the same category.
SELECT category, CAST(category_rank AS BIGINT) AS category_rank
FROM (
    SELECT
        category,
        ROW_NUMBER() OVER (
            ORDER BY CAST(SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS DOUBLE) DESC, category
        ) AS category_rank
    FROM int_line_values
    WHERE period = '12m'
    GROUP BY category
) AS ranked
WHERE category_rank <= 5
