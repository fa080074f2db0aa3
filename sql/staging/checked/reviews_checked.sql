-- Every review that is input of this run, with the reason it cannot be used (NULL = accepted).
-- Reviews with review_ts >= as_of are later facts, not input of this run.
WITH row_checks AS (
    SELECT
        customer_id,
        review_ts,
        rating,
        CASE
            WHEN NULLIF(TRIM(customer_id), '') IS NULL THEN 'null_key'
            WHEN review_ts IS NULL THEN 'null_value'
        END AS row_problem
    FROM raw.reviews
    WHERE review_ts < $as_of OR review_ts IS NULL
),

-- The same review (customer_id, review_ts) with different ratings.
conflicting AS (
    SELECT customer_id, review_ts
    FROM (
        SELECT DISTINCT customer_id, review_ts, rating
        FROM row_checks
        WHERE row_problem IS NULL
    ) AS versions
    GROUP BY customer_id, review_ts
    HAVING COUNT(*) > 1
)

SELECT
    r.customer_id,
    r.review_ts,
    r.rating,
    COALESCE(r.row_problem, CASE WHEN c.customer_id IS NOT NULL THEN 'conflicting_duplicate' END) AS reject_reason
FROM row_checks AS r
LEFT JOIN conflicting AS c ON c.customer_id = r.customer_id AND c.review_ts = r.review_ts
