-- Every referral that is input of this run, with the reason it cannot be used (NULL = accepted).
-- Referrals with as_of <= referral_ts <= run_started_at are later facts, not input of this run; a
-- referral_ts after the run's own start cannot have happened yet: future_timestamp.
WITH row_checks AS (
    SELECT
        referrer_id,
        referred_id,
        referral_ts,
        CASE
            WHEN NULLIF(TRIM(referrer_id), '') IS NULL OR NULLIF(TRIM(referred_id), '') IS NULL THEN 'null_key'
            WHEN referral_ts IS NULL THEN 'null_value'
            WHEN referral_ts > $run_started_at THEN 'future_timestamp'
            WHEN referrer_id = referred_id THEN 'self_referral'
        END AS row_problem
    FROM raw.referrals
    WHERE referral_ts < $as_of OR referral_ts > $run_started_at OR referral_ts IS NULL
),

-- A customer is referred once: two different referrers (or dates) for one referred_id conflict.
conflicting AS (
    SELECT referred_id
    FROM (
        SELECT DISTINCT referred_id, referrer_id, referral_ts
        FROM row_checks
        WHERE row_problem IS NULL
    ) AS versions
    GROUP BY referred_id
    HAVING COUNT(*) > 1
)

SELECT
    r.referrer_id,
    r.referred_id,
    r.referral_ts,
    COALESCE(r.row_problem, CASE WHEN c.referred_id IS NOT NULL THEN 'conflicting_duplicate' END) AS reject_reason
-- the few conflicting keys first, kept whole by RIGHT JOIN: the hash table holds them, not every row
FROM conflicting AS c
RIGHT JOIN row_checks AS r ON c.referred_id = r.referred_id
