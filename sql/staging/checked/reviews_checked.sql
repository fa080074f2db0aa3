-- Every review that is input of this run, with the reason it cannot be used (NULL = accepted).
-- Reviews with as_of <= review_ts <= run_started_at are later facts, not input of this run; a
-- review_ts after the run's own start cannot have happened yet: future_timestamp.
WITH row_checks AS (
    SELECT
        customer_id,
        review_ts,
        rating,
        CASE
            WHEN NULLIF(TRIM(customer_id), '') IS NULL THEN 'null_key'
            WHEN review_ts IS NULL THEN 'null_value'
            WHEN review_ts > $run_started_at THEN 'future_timestamp'
            -- ratings are 1 to 5 stars; a review without a rating is still a review
            WHEN rating < 1 OR rating > 5 THEN 'out_of_range'
        END AS row_problem
    FROM raw.reviews
    WHERE review_ts < $as_of OR review_ts > $run_started_at OR review_ts IS NULL
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
-- the few conflicting keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM conflicting AS c
RIGHT JOIN row_checks AS r ON c.customer_id = r.customer_id AND c.review_ts = r.review_ts
