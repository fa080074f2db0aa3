-- Every support ticket that is input of this run, with the reason it cannot be used (NULL =
-- accepted). Tickets with as_of <= ticket_ts <= run_started_at are later facts, not input of this
-- run; a ticket_ts after the run's own start cannot have happened yet: future_timestamp.
WITH row_checks AS (
    SELECT
        customer_id,
        ticket_ts,
        cost,
        CASE
            WHEN NULLIF(TRIM(customer_id), '') IS NULL THEN 'null_key'
            WHEN ticket_ts IS NULL THEN 'null_value'
            WHEN ticket_ts > $run_started_at THEN 'future_timestamp'
            WHEN isnan(cost) OR abs(cost) = CAST('Infinity' AS DOUBLE) THEN 'non_finite_number'
            WHEN cost < 0 THEN 'negative_cost'
            WHEN cost > 1e12 THEN 'out_of_range'
        END AS row_problem
    FROM raw.support_tickets
    WHERE ticket_ts < $as_of OR ticket_ts > $run_started_at OR ticket_ts IS NULL
),

-- The same ticket (customer_id, ticket_ts) with different costs.
conflicting AS (
    SELECT customer_id, ticket_ts
    FROM (
        SELECT DISTINCT customer_id, ticket_ts, cost
        FROM row_checks
        WHERE row_problem IS NULL
    ) AS versions
    GROUP BY customer_id, ticket_ts
    HAVING COUNT(*) > 1
)

SELECT
    r.customer_id,
    r.ticket_ts,
    r.cost,
    COALESCE(r.row_problem, CASE WHEN c.customer_id IS NOT NULL THEN 'conflicting_duplicate' END) AS reject_reason
-- the few conflicting keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM conflicting AS c
RIGHT JOIN row_checks AS r ON c.customer_id = r.customer_id AND c.ticket_ts = r.ticket_ts
