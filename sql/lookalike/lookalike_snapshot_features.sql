-- Behaviour features per customer and snapshot date S, one definition for the two snapshots of
-- the lookalike model (docs/lookalike.md):
--   'current'  S = D                what lookalike_features publishes and lookalike_scores scores
--   'training' S = D - 12 months    what the model learns from (label: VIP at D)
-- Every window is relative to S (12m = [S - 12 months, S), 6m, 3m), and only facts before S
-- count: orders, returns (return_ts < S), tickets, reviews, referrals. The current snapshot thus
-- repeats customer_value's measures (tests/lookalike_features_match_customer_value.sql checks);
-- its money measures are read from the tables customer_value reads.
-- A customer has a row for S when they have a completed order before S.
WITH snapshots AS (
    SELECT
        'current' AS snapshot,
        $as_of AS snapshot_ts,
        $as_of_date AS snapshot_date,
        $start_12m AS start_12m,
        $start_6m AS start_6m,
        $start_3m AS start_3m
    UNION ALL
    SELECT
        'training',
        $training_as_of,
        $training_as_of_date,
        $training_start_12m,
        $training_start_6m,
        $training_start_3m
),

-- Completed orders before S, flagged by window; channels compared trimmed and lower-cased.
orders AS (
    SELECT
        s.snapshot,
        o.customer_id,
        o.order_ts,
        LOWER(TRIM(o.channel)) AS channel,
        o.order_ts >= s.start_12m AS in_12m,
        o.order_ts >= s.start_6m AS in_6m,
        o.order_ts >= s.start_3m AS in_3m
    -- the small side first: the engine keeps the left side of a join in memory
    FROM snapshots AS s
    JOIN stg_orders AS o ON o.order_ts < s.snapshot_ts
),

order_measures AS (
    SELECT
        snapshot,
        customer_id,
        COUNT(*) FILTER (WHERE in_12m) AS orders_12m,
        COUNT(*) FILTER (WHERE in_6m) AS orders_6m,
        COUNT(*) FILTER (WHERE in_3m) AS orders_3m,
        COUNT(*) FILTER (WHERE in_12m AND channel = 'web') AS web_orders_12m,
        COUNT(*) FILTER (WHERE in_12m AND channel = 'app') AS app_orders_12m,
        COUNT(*) FILTER (WHERE in_12m AND channel = 'store') AS store_orders_12m,
        COUNT(*) FILTER (WHERE in_12m AND channel = 'marketplace') AS marketplace_orders_12m,
        MIN(order_ts) AS first_order_ts,
        MAX(order_ts) AS last_order_ts
    FROM orders
    GROUP BY snapshot, customer_id
),

-- The current snapshot's line measures are the 12m measures customer_value shows: they come from
-- int_customer_periods and int_customer_categories, so only the training window's lines are
-- valued here (the returns known at D are those int_line_values nets).

-- Returns known at the training S, per line: a return after S is not known yet.
training_returned AS (
    SELECT
        order_id,
        sku,
        SUM(quantity) AS returned_quantity,
        CAST(SUM(CAST(refund_amount AS DECIMAL(38, 9))) AS DOUBLE) AS refunds
    FROM stg_returns
    WHERE return_ts < $training_as_of
    GROUP BY order_id, sku
),

-- Lines of the training window's orders, valued as int_line_values values them, net of the
-- returns known at S. stg_order_lines carries its order's time, so no line is joined to its
-- order. The small table of each join comes first, kept whole by RIGHT JOIN: the engine builds
-- its hash table from the first table.
training_lines AS (
    SELECT
        l.customer_id,
        c.category_rank,
        l.quantity * l.unit_price AS gross_revenue,
        CASE
            WHEN l.unit_price >= (1 - CAST($discount_tolerance AS DOUBLE)) * l.list_price
            THEN l.quantity * l.unit_price
            ELSE 0
        END AS full_price_revenue,
        COALESCE(r.refunds, 0) AS refunds,
        l.quantity * l.unit_price - COALESCE(r.refunds, 0) AS net_revenue,
        (l.quantity - COALESCE(r.returned_quantity, 0)) * (l.unit_price - l.unit_cost) AS margin
    FROM lookalike_top_categories AS c
    RIGHT JOIN (
        training_returned AS r
        RIGHT JOIN stg_order_lines AS l ON r.order_id = l.order_id AND r.sku = l.sku
    ) ON c.category = l.category
    WHERE l.order_ts >= $training_start_12m AND l.order_ts < $training_as_of
),

-- The current snapshot's revenue in each top category: one row per customer and category in
-- int_customer_categories, so each sum has one term, the exact sum of the lines.
current_categories AS (
    SELECT
        c.customer_id,
        CAST(SUM(CASE WHEN t.category_rank = 1 THEN c.gross_revenue END) AS DOUBLE) AS category_1_revenue,
        CAST(SUM(CASE WHEN t.category_rank = 2 THEN c.gross_revenue END) AS DOUBLE) AS category_2_revenue,
        CAST(SUM(CASE WHEN t.category_rank = 3 THEN c.gross_revenue END) AS DOUBLE) AS category_3_revenue,
        CAST(SUM(CASE WHEN t.category_rank = 4 THEN c.gross_revenue END) AS DOUBLE) AS category_4_revenue,
        CAST(SUM(CASE WHEN t.category_rank = 5 THEN c.gross_revenue END) AS DOUBLE) AS category_5_revenue
    FROM lookalike_top_categories AS t
    JOIN int_customer_categories AS c ON c.category = t.category
    GROUP BY c.customer_id
),

-- Sums of money are exact (decimal), so they do not depend on the order of summation.
line_measures AS (
    SELECT
        'training' AS snapshot,
        customer_id,
        CAST(SUM(CAST(gross_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS gross_revenue_12m,
        CAST(SUM(CAST(full_price_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS full_price_revenue_12m,
        CAST(SUM(CAST(refunds AS DECIMAL(38, 9))) AS DOUBLE) AS refunds_12m,
        CAST(SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue_12m,
        CAST(SUM(CAST(margin AS DECIMAL(38, 9))) AS DOUBLE) AS margin_12m,
        CAST(SUM(CAST(CASE WHEN category_rank = 1 THEN gross_revenue END AS DECIMAL(38, 9))) AS DOUBLE) AS category_1_revenue,
        CAST(SUM(CAST(CASE WHEN category_rank = 2 THEN gross_revenue END AS DECIMAL(38, 9))) AS DOUBLE) AS category_2_revenue,
        CAST(SUM(CAST(CASE WHEN category_rank = 3 THEN gross_revenue END AS DECIMAL(38, 9))) AS DOUBLE) AS category_3_revenue,
        CAST(SUM(CAST(CASE WHEN category_rank = 4 THEN gross_revenue END AS DECIMAL(38, 9))) AS DOUBLE) AS category_4_revenue,
        CAST(SUM(CAST(CASE WHEN category_rank = 5 THEN gross_revenue END AS DECIMAL(38, 9))) AS DOUBLE) AS category_5_revenue
    FROM training_lines
    GROUP BY customer_id
    UNION ALL
    SELECT
        'current',
        p.customer_id,
        p.gross_revenue,
        p.full_price_revenue,
        p.refunds,
        p.net_revenue,
        p.margin,
        c.category_1_revenue,
        c.category_2_revenue,
        c.category_3_revenue,
        c.category_4_revenue,
        c.category_5_revenue
    FROM current_categories AS c
    RIGHT JOIN int_customer_periods AS p ON c.customer_id = p.customer_id
    WHERE p.period = '12m'
),

tickets AS (
    SELECT s.snapshot, t.customer_id, COUNT(*) AS support_tickets_12m
    FROM snapshots AS s
    JOIN stg_support_tickets AS t ON t.ticket_ts >= s.start_12m AND t.ticket_ts < s.snapshot_ts
    GROUP BY s.snapshot, t.customer_id
),

reviews AS (
    SELECT s.snapshot, r.customer_id, COUNT(*) AS reviews_12m
    FROM snapshots AS s
    JOIN stg_reviews AS r ON r.review_ts >= s.start_12m AND r.review_ts < s.snapshot_ts
    GROUP BY s.snapshot, r.customer_id
),

-- A referral counts when it was made before S and the referred customer's first completed order
-- falls in the 12m window of S (as customer_value counts referrals_12m).
referrals AS (
    SELECT s.snapshot, r.referrer_id AS customer_id, COUNT(DISTINCT r.referred_id) AS referrals_12m
    FROM snapshots AS s
    JOIN stg_referrals AS r ON r.referral_ts < s.snapshot_ts
    JOIN int_referred_first_orders AS f ON f.customer_id = r.referred_id
    WHERE f.first_order_ts >= s.start_12m AND f.first_order_ts < s.snapshot_ts
    GROUP BY s.snapshot, r.referrer_id
),

-- Tickets, reviews and referrals in one row per customer and S, so that the final select joins
-- one small table rather than three (each join of the driving table costs a hash table).
engagement AS (
    SELECT
        snapshot,
        customer_id,
        SUM(support_tickets_12m) AS support_tickets_12m,
        SUM(reviews_12m) AS reviews_12m,
        SUM(referrals_12m) AS referrals_12m
    FROM (
        SELECT snapshot, customer_id, support_tickets_12m, 0 AS reviews_12m, 0 AS referrals_12m FROM tickets
        UNION ALL
        SELECT snapshot, customer_id, 0, reviews_12m, 0 FROM reviews
        UNION ALL
        SELECT snapshot, customer_id, 0, 0, referrals_12m FROM referrals
    ) AS counts
    GROUP BY snapshot, customer_id
)

SELECT
    o.snapshot,
    o.customer_id,
    -- whole days from the date of the last / first order before S to S
    s.snapshot_date - CAST(o.last_order_ts AS DATE) AS recency_days,
    s.snapshot_date - CAST(o.first_order_ts AS DATE) AS tenure_days,
    o.orders_12m,
    o.orders_6m,
    o.orders_3m,
    COALESCE(l.gross_revenue_12m, 0) AS gross_revenue_12m,
    COALESCE(l.net_revenue_12m, 0) AS net_revenue_12m,
    COALESCE(l.net_revenue_12m, 0) / NULLIF(o.orders_12m, 0) AS aov_12m,
    l.margin_12m / NULLIF(l.net_revenue_12m, 0) AS margin_rate_12m,
    l.full_price_revenue_12m / NULLIF(l.gross_revenue_12m, 0) AS full_price_share_12m,
    l.refunds_12m / NULLIF(l.gross_revenue_12m, 0) AS return_rate_12m,
    -- shares of 12m gross revenue in the shop's top five categories (lookalike_top_categories)
    COALESCE(l.category_1_revenue, 0) / NULLIF(l.gross_revenue_12m, 0) AS category_1_share_12m,
    COALESCE(l.category_2_revenue, 0) / NULLIF(l.gross_revenue_12m, 0) AS category_2_share_12m,
    COALESCE(l.category_3_revenue, 0) / NULLIF(l.gross_revenue_12m, 0) AS category_3_share_12m,
    COALESCE(l.category_4_revenue, 0) / NULLIF(l.gross_revenue_12m, 0) AS category_4_share_12m,
    COALESCE(l.category_5_revenue, 0) / NULLIF(l.gross_revenue_12m, 0) AS category_5_share_12m,
    -- shares of 12m orders by channel (other or missing channels are in none of them)
    CAST(o.web_orders_12m AS DOUBLE) / NULLIF(o.orders_12m, 0) AS web_share_12m,
    CAST(o.app_orders_12m AS DOUBLE) / NULLIF(o.orders_12m, 0) AS app_share_12m,
    CAST(o.store_orders_12m AS DOUBLE) / NULLIF(o.orders_12m, 0) AS store_share_12m,
    CAST(o.marketplace_orders_12m AS DOUBLE) / NULLIF(o.orders_12m, 0) AS marketplace_share_12m,
    COALESCE(e.support_tickets_12m, 0) AS support_tickets_12m,
    COALESCE(e.referrals_12m, 0) AS referrals_12m,
    COALESCE(e.reviews_12m, 0) AS reviews_12m
-- The smaller tables first, kept whole by RIGHT JOIN: the engine builds its hash table from the
-- first table of a join, and every customer of order_measures streams through them.
FROM snapshots AS s
JOIN (
    engagement AS e
    RIGHT JOIN (
        line_measures AS l
        RIGHT JOIN order_measures AS o ON l.snapshot = o.snapshot AND l.customer_id = o.customer_id
    ) ON e.snapshot = o.snapshot AND e.customer_id = o.customer_id
) ON s.snapshot = o.snapshot
-- No ORDER BY: a table read only by other models (each published one sorts its own rows) need
-- not be sorted, and sorting 1.5M rows cost this model about 0.6 s of its 7.
