-- The shop's five top categories: net revenue in the 12 months before D, highest first (ties by
-- name). Their revenue shares are lookalike features, and the same five serve both snapshots, so
-- a training feature and the current feature of the same name mean the same category.
SELECT category, CAST(category_rank AS BIGINT) AS category_rank
FROM (
    SELECT
        category,
        ROW_NUMBER() OVER (
            ORDER BY CAST(SUM(net_revenue) AS DOUBLE) DESC, category
        ) AS category_rank
    FROM int_customer_categories
    GROUP BY category
) AS ranked
WHERE category_rank <= 5
