-- Every order row that is input of this run, with the reason it cannot be used (NULL = accepted).
-- Rows with as_of <= order_ts <= run_started_at are later facts, not input of this run (a backfill
-- for D must see what the run on D saw): they are neither accepted nor rejected. A timestamp after
-- the run's own start cannot have happened yet: such a row is input, rejected as future_timestamp.
WITH input AS (
    SELECT
        order_id,
        customer_id,
        order_ts,
        -- compared trimmed of whitespace (spaces, tabs, line breaks) and lower-cased
        LOWER(TRIM(BOTH E' \t\r\n' FROM status)) AS status,
        channel
    FROM raw.orders
    WHERE order_ts < $as_of OR order_ts > $run_started_at OR order_ts IS NULL
),

row_checks AS (
    SELECT
        *,
        CASE
            -- a blank id is no id
            WHEN NULLIF(TRIM(order_id), '') IS NULL OR NULLIF(TRIM(customer_id), '') IS NULL THEN 'null_key'
            WHEN order_ts IS NULL OR status IS NULL THEN 'null_value'
            WHEN order_ts > $run_started_at THEN 'future_timestamp'
            WHEN status NOT IN ('completed', 'cancelled', 'pending', 'refunded') THEN 'unknown_status'
        END AS row_problem
    FROM input
),

-- An order_id whose valid rows disagree: nothing tells which version is right, so none is
-- used. Identical rows are one version: they collapse in stg_orders.
-- Found in two steps because almost every order_id is unique: the keys of more than one valid row
-- are counted first (one number a key), and only their rows are compared column by column (a
-- DISTINCT over every column of every row would hold all of them).
repeated AS (
    SELECT order_id
    FROM row_checks
    WHERE row_problem IS NULL
    GROUP BY order_id
    HAVING COUNT(*) > 1
),

-- Per repeated key: whether its valid rows disagree (more than one version). One row a key, so
-- the final join also flags the rows that may be identical copies (`repeated_key`).
repeated_versions AS (
    SELECT order_id, COUNT(*) > 1 AS conflicting
    FROM (
        SELECT DISTINCT r.order_id, r.customer_id, r.order_ts, r.status, r.channel
        FROM repeated AS k
        JOIN row_checks AS r ON r.order_id = k.order_id
        WHERE r.row_problem IS NULL
    ) AS versions
    GROUP BY order_id
)

-- `repeated_key`: another valid row has the same order_id; only such rows can be copies, so only
-- they pay for the DISTINCT in stg_orders.
SELECT
    r.order_id,
    r.customer_id,
    r.order_ts,
    r.status,
    r.channel,
    COALESCE(r.row_problem, CASE WHEN v.conflicting THEN 'conflicting_duplicate' END) AS reject_reason,
    v.order_id IS NOT NULL AS repeated_key
-- the few repeated keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM repeated_versions AS v
RIGHT JOIN row_checks AS r ON v.order_id = r.order_id
