-- One row per customer with any completed order before the as-of date D, with the measures of
-- docs/contract.md §1 (12m = [D - 12 months, D), money in the shop's currency). A customer without a
-- customer record still gets a row: this table is built from orders only.
WITH orders AS (
    SELECT
        customer_id,
        COUNT(*) FILTER (WHERE order_ts >= $start_12m) AS orders_12m,
        COUNT(*) FILTER (WHERE order_ts >= $start_6m) AS orders_6m,
        COUNT(*) FILTER (WHERE order_ts >= $start_3m) AS orders_3m,
        MIN(order_ts) AS first_order_ts,
        MAX(order_ts) AS last_order_ts,
        COUNT(*) AS lifetime_orders
    FROM stg_orders
    GROUP BY customer_id
),

last_12m AS (
    SELECT * FROM int_customer_periods WHERE period = '12m'
),

prior_12m AS (
    SELECT * FROM int_customer_periods WHERE period = 'prior12m'
),

lifetime AS (
    SELECT customer_id, CAST(margin AS DOUBLE) AS lifetime_margin
    FROM int_customer_lifetime
),

-- Categories bought in 12m, ranked by net revenue (ties by name).
category_revenue AS (
    SELECT
        customer_id,
        category,
        ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY CAST(net_revenue AS DOUBLE) DESC, category) AS category_rank
    FROM int_customer_categories
),

-- The list takes the rows in the order the window ranked them: they reach the aggregate ranked,
-- as DataFusion groups a sorted stream without an exchange in between. Written as
-- ARRAY_AGG(category ORDER BY category_rank), the engine keeps one accumulator object per
-- customer instead of its vectorised one (8.7 and 9.1 s against 5.6 and 7.6 s on the second
-- dataset at 1M, same table); tests/it/business_fixtures.rs checks the order on 2,000 customers.
-- On another engine, add the ORDER BY back.
categories AS (
    SELECT
        customer_id,
        MAX(CASE WHEN category_rank = 1 THEN category END) AS top_category_12m,
        ARRAY_AGG(category) AS categories_12m
    FROM category_revenue
    GROUP BY customer_id
),

reviews AS (
    SELECT customer_id, COUNT(*) AS reviews_12m
    FROM stg_reviews
    WHERE review_ts >= $start_12m
    GROUP BY customer_id
),

-- A referral counts when the referred customer's first completed order falls in the window.
referrals AS (
    SELECT r.referrer_id AS customer_id, COUNT(DISTINCT r.referred_id) AS referrals_12m
    FROM int_referred_first_orders AS f
    JOIN stg_referrals AS r ON r.referred_id = f.customer_id
    WHERE f.first_order_ts >= $start_12m
    GROUP BY r.referrer_id
)

SELECT
    o.customer_id,
    o.orders_12m,
    o.orders_6m,
    o.orders_3m,
    w.gross_revenue AS gross_revenue_12m,
    w.net_revenue AS net_revenue_12m,
    w.net_revenue / NULLIF(o.orders_12m, 0) AS aov_12m,
    w.margin AS margin_12m,
    w.margin / NULLIF(w.net_revenue, 0) AS margin_rate_12m,
    w.margin_weighted_spend AS margin_weighted_spend_12m,
    w.full_price_revenue / NULLIF(w.gross_revenue, 0) AS full_price_share_12m,
    w.refunds / NULLIF(w.gross_revenue, 0) AS return_rate_12m,
    w.returns_count AS returns_count_12m,
    w.support_tickets AS support_tickets_12m,
    w.indirect_cost AS indirect_cost_12m,
    w.net_value AS net_value_12m,
    COALESCE(rf.referrals_12m, 0) AS referrals_12m,
    COALESCE(rv.reviews_12m, 0) AS reviews_12m,
    CAST(o.orders_3m * 4 AS DOUBLE) / NULLIF(o.orders_12m, 0) AS rate_trend_3m,
    o.first_order_ts,
    o.last_order_ts,
    -- whole days from the date of the order to D (date - date is a number of days)
    $as_of_date - CAST(o.last_order_ts AS DATE) AS recency_days,
    $as_of_date - CAST(o.first_order_ts AS DATE) AS tenure_days,
    o.lifetime_orders,
    COALESCE(lt.lifetime_margin, 0) AS lifetime_margin,
    c.top_category_12m,
    c.categories_12m,
    -- from the CLV model (customer_clv); null when it could not be fitted
    clv.p_alive,
    clv.expected_orders_12m,
    clv.expected_order_value,
    clv.predicted_clv_12m,
    -- the ranking values over prior12m = [D - 24 months, D - 12 months), for lapsed_vip
    p.net_revenue AS net_revenue_prior12m,
    p.margin_weighted_spend AS margin_weighted_spend_prior12m,
    p.net_value AS net_value_prior12m
FROM orders AS o
JOIN last_12m AS w ON w.customer_id = o.customer_id
JOIN prior_12m AS p ON p.customer_id = o.customer_id
LEFT JOIN lifetime AS lt ON lt.customer_id = o.customer_id
LEFT JOIN categories AS c ON c.customer_id = o.customer_id
LEFT JOIN reviews AS rv ON rv.customer_id = o.customer_id
LEFT JOIN referrals AS rf ON rf.customer_id = o.customer_id
LEFT JOIN customer_clv AS clv ON clv.customer_id = o.customer_id
ORDER BY o.customer_id
