-- Every customer record, with the reason it cannot be used (NULL = accepted). Customer records
-- carry no event time, so all of them are input of every run. A consent given after the run's own
-- start cannot have happened yet: the record is broken, and consent is never assumed from one.
WITH row_checks AS (
    SELECT
        *,
        CASE
            WHEN NULLIF(TRIM(customer_id), '') IS NULL THEN 'null_key'
            WHEN consent_ts > $run_started_at THEN 'future_timestamp'
        END AS row_problem
    FROM raw.customers
),

-- One customer_id with different records: none is used (not even for audiences).
-- Found in two steps because almost every customer_id is unique: the keys of more than one valid
-- row are counted first (one number a key), and only their rows are compared column by column (a
-- DISTINCT over every column of every row would hold all of them).
repeated AS (
    SELECT customer_id
    FROM row_checks
    WHERE row_problem IS NULL
    GROUP BY customer_id
    HAVING COUNT(*) > 1
),

-- Per repeated key: whether its valid rows disagree (more than one version). One row a key, so
-- the final join also flags the rows that may be identical copies (`repeated_key`).
repeated_versions AS (
    SELECT customer_id, COUNT(*) > 1 AS conflicting
    FROM (
        SELECT DISTINCT
            r.customer_id, r.email, r.phone, r.first_name, r.last_name, r.city, r.region, r.postal_code,
            r.country, r.birth_date, r.gender, r.ad_consent, r.consent_ts
        FROM repeated AS k
        JOIN row_checks AS r ON r.customer_id = k.customer_id
        WHERE r.row_problem IS NULL
    ) AS versions
    GROUP BY customer_id
)

-- `repeated_key`: another valid row has the same customer_id; only such rows can be copies, so
-- only they pay for the DISTINCT in stg_customers.
SELECT
    r.customer_id,
    r.email,
    r.phone,
    r.first_name,
    r.last_name,
    r.city,
    r.region,
    r.postal_code,
    r.country,
    r.birth_date,
    r.gender,
    r.ad_consent,
    r.consent_ts,
    COALESCE(r.row_problem, CASE WHEN v.conflicting THEN 'conflicting_duplicate' END) AS reject_reason,
    v.customer_id IS NOT NULL AS repeated_key
-- the few repeated keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM repeated_versions AS v
RIGHT JOIN row_checks AS r ON v.customer_id = r.customer_id
