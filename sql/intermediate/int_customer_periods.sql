-- The value measures of docs/contract.md §1 per customer and period ('12m', 'prior12m'), one
-- definition for both: customer_value shows 12m; lapsed_vip compares prior12m with today's bar.
WITH periods AS (
    SELECT '12m' AS period
    UNION ALL SELECT 'prior12m'
),

buyers AS (
    SELECT DISTINCT customer_id FROM stg_orders
),

orders AS (
    SELECT customer_id, period, COUNT(*) AS orders
    FROM (
        SELECT
            customer_id,
            CASE
                WHEN order_ts >= $start_12m THEN '12m'
                WHEN order_ts >= $start_24m THEN 'prior12m'
            END AS period
        FROM stg_orders
    ) AS o
    WHERE period IS NOT NULL
    GROUP BY customer_id, period
),

lines AS (
    SELECT
        customer_id,
        period,
        CAST(SUM(CAST(gross_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS gross_revenue,
        CAST(SUM(CAST(full_price_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS full_price_revenue,
        CAST(SUM(CAST(refunds AS DECIMAL(38, 9))) AS DOUBLE) AS refunds,
        CAST(SUM(CAST(net_revenue AS DECIMAL(38, 9))) AS DOUBLE) AS net_revenue,
        CAST(SUM(CAST(margin AS DECIMAL(38, 9))) AS DOUBLE) AS margin,
        SUM(returns_count) AS returns_count
    FROM int_line_values
    WHERE period IS NOT NULL
    GROUP BY customer_id, period
),

tickets AS (
    SELECT customer_id, period, COUNT(*) AS tickets, CAST(SUM(CAST(cost AS DECIMAL(38, 9))) AS DOUBLE) AS ticket_costs
    FROM (
        SELECT
            customer_id,
            cost,
            CASE
                WHEN ticket_ts >= $start_12m THEN '12m'
                WHEN ticket_ts >= $start_24m THEN 'prior12m'
            END AS period
        FROM stg_support_tickets
    ) AS t
    WHERE period IS NOT NULL
    GROUP BY customer_id, period
),

measures AS (
    SELECT
        b.customer_id,
        p.period,
        COALESCE(o.orders, 0) AS orders,
        COALESCE(l.gross_revenue, 0) AS gross_revenue,
        COALESCE(l.full_price_revenue, 0) AS full_price_revenue,
        COALESCE(l.refunds, 0) AS refunds,
        COALESCE(l.net_revenue, 0) AS net_revenue,
        COALESCE(l.margin, 0) AS margin,
        COALESCE(l.returns_count, 0) AS returns_count,
        COALESCE(t.tickets, 0) AS support_tickets,
        COALESCE(t.ticket_costs, 0)
            + COALESCE(l.returns_count, 0) * CAST($return_handling_cost AS DOUBLE) AS indirect_cost
    -- The small side first: the engine keeps the left side of a cross join in memory and streams
    -- the right one through it (the other way round it emits one batch per left row). Likewise
    -- the period's sums come before the customers, kept whole by RIGHT JOIN: a hash join builds
    -- its table from the first input, and a chain from the customers built one of all of them,
    -- wider at each join.
    FROM tickets AS t
    RIGHT JOIN (
        lines AS l
        RIGHT JOIN (
            orders AS o
            RIGHT JOIN (periods AS p CROSS JOIN buyers AS b)
            ON o.customer_id = b.customer_id AND o.period = p.period
        ) ON l.customer_id = b.customer_id AND l.period = p.period
    ) ON t.customer_id = b.customer_id AND t.period = p.period
),

-- Margin per unit of net revenue over all sales of the period: margin_weighted_spend re-weights
-- a customer's margin into currency at this rate (so it sums to the period's net revenue).
-- Summed by window over the customers' rows: a CTE of its own would make the engine compute
-- `lines` a second time.
global_rate AS (
    SELECT
        *,
        CAST(SUM(CAST(margin AS DECIMAL(38, 9))) OVER (PARTITION BY period) AS DOUBLE)
            / NULLIF(CAST(SUM(CAST(net_revenue AS DECIMAL(38, 9))) OVER (PARTITION BY period) AS DOUBLE), 0)
            AS margin_rate
    FROM measures
)

SELECT
    customer_id,
    period,
    orders,
    gross_revenue,
    full_price_revenue,
    refunds,
    net_revenue,
    margin,
    returns_count,
    support_tickets,
    indirect_cost,
    margin - indirect_cost AS net_value,
    margin / NULLIF(margin_rate, 0) AS margin_weighted_spend
FROM global_rate
