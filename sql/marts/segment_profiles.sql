-- Who the members of each segment are: per segment and tier (segment 'vip' also with tier NULL
-- for all tiers together, as in segment_summary), the members by age band, gender, country,
-- region, channel and top category, long form. share = members with the value / members of the
-- segment; active_share = the same among all active customers (orders_12m >= 1); lift = share /
-- active_share (NULL when no active customer has the value). Only values the segment's members
-- have appear (a missing value has share 0).
--
-- Values: age in whole years at D from birth_date, in bands; 'unknown' without a customer record,
-- without a birth date, or with an impossible one (after D, or over 110 years: form placeholders
-- such as 1900-01-01). Text is trimmed (country upper-case, gender lower-case); null or blank is
-- 'unknown'. channel: the channel of most of the customer's 12m orders (ties by name); top
-- category: top_category_12m; both 'none' for a customer without an order in 12m.
WITH as_of AS (
    SELECT CAST($as_of_date AS DATE) AS d
),

-- Orders per customer and channel in 12m; the first row per customer is its main channel.
channel_orders AS (
    SELECT
        customer_id,
        COALESCE(NULLIF(LOWER(TRIM(channel)), ''), 'unknown') AS channel,
        COUNT(*) AS orders
    FROM stg_orders
    WHERE order_ts >= $start_12m
      AND order_ts < $as_of
    GROUP BY customer_id, COALESCE(NULLIF(LOWER(TRIM(channel)), ''), 'unknown')
),

main_channel AS (
    SELECT customer_id, channel
    FROM (
        SELECT
            customer_id,
            channel,
            ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY orders DESC, channel ASC) AS k
        FROM channel_orders
    ) AS ranked
    WHERE k = 1
),

ages AS (
    SELECT
        c.customer_id,
        c.gender,
        c.country,
        c.region,
        CAST(date_part('year', a.d) - date_part('year', c.birth_date) AS BIGINT)
            - CASE
                WHEN date_part('month', a.d) * 100 + date_part('day', a.d)
                     < date_part('month', c.birth_date) * 100 + date_part('day', c.birth_date)
                THEN 1 ELSE 0
              END AS age
    FROM as_of AS a
    CROSS JOIN stg_customers AS c
),

-- One row per customer of customer_value with the value of each dimension.
people AS (
    SELECT
        cv.customer_id,
        CASE
            WHEN g.age IS NULL OR g.age < 0 OR g.age > 110 THEN 'unknown'
            WHEN g.age < 25 THEN '<25'
            WHEN g.age < 35 THEN '25-34'
            WHEN g.age < 45 THEN '35-44'
            WHEN g.age < 55 THEN '45-54'
            WHEN g.age < 65 THEN '55-64'
            ELSE '65+'
        END AS age_band,
        COALESCE(NULLIF(LOWER(TRIM(g.gender)), ''), 'unknown') AS gender,
        COALESCE(NULLIF(UPPER(TRIM(g.country)), ''), 'unknown') AS country,
        COALESCE(NULLIF(TRIM(g.region), ''), 'unknown') AS region,
        CASE WHEN cv.orders_12m >= 1 THEN COALESCE(m.channel, 'unknown') ELSE 'none' END AS channel,
        CASE WHEN cv.orders_12m >= 1 THEN COALESCE(NULLIF(TRIM(cv.top_category_12m), ''), 'unknown') ELSE 'none' END
            AS top_category
    FROM customer_value AS cv
    LEFT JOIN ages AS g ON g.customer_id = cv.customer_id
    LEFT JOIN main_channel AS m ON m.customer_id = cv.customer_id
),

dimensions AS (
    SELECT 'age_band' AS dimension
    UNION ALL SELECT 'gender'
    UNION ALL SELECT 'country'
    UNION ALL SELECT 'region'
    UNION ALL SELECT 'channel'
    UNION ALL SELECT 'top_category'
),

-- The members of each segment and tier, and (segment NULL) all active customers: the baseline
-- is counted in the same pass as the segments.
members AS (
    SELECT segment, tier, customer_id FROM customer_segments
    UNION ALL
    -- all VIP tiers together
    SELECT segment, NULL, customer_id FROM customer_segments WHERE segment = 'vip'
    UNION ALL
    SELECT CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR), customer_id FROM customer_value WHERE orders_12m >= 1
),

sizes AS (
    SELECT segment, tier, COUNT(*) AS members
    FROM members
    GROUP BY segment, tier
),

-- The members with their values: joined before the long form, so the join matches each member
-- once rather than once per dimension (7.9M rows → 1.3M at 1M customers).
member_people AS (
    SELECT m.segment, m.tier, p.*
    FROM members AS m
    JOIN people AS p ON p.customer_id = m.customer_id
),

-- Long form, counted: one row per (segment, tier, dimension, value). One pass over the members,
-- not one per dimension: the engine recomputes a CTE wherever it is named (six UNION branches
-- were six passes). The dimensions come first: the engine keeps the left side of a cross join
-- in memory.
counted AS (
    SELECT
        mp.segment,
        mp.tier,
        d.dimension,
        CASE d.dimension
            WHEN 'age_band' THEN mp.age_band
            WHEN 'gender' THEN mp.gender
            WHEN 'country' THEN mp.country
            WHEN 'region' THEN mp.region
            WHEN 'channel' THEN mp.channel
            WHEN 'top_category' THEN mp.top_category
        END AS value,
        COUNT(*) AS customers
    FROM dimensions AS d
    CROSS JOIN member_people AS mp
    GROUP BY 1, 2, 3, 4
),

-- The baseline (segment NULL) beside every row, by window rather than by naming `counted` and
-- `sizes` again (each name of a CTE is one more pass of the engine over its work).
counted_with_active AS (
    SELECT
        *,
        MAX(CASE WHEN segment IS NULL THEN customers END) OVER (PARTITION BY dimension, value) AS active_customers
    FROM counted
),

sizes_with_active AS (
    SELECT
        *,
        MAX(CASE WHEN segment IS NULL THEN members END) OVER () AS active_members
    FROM sizes
),

shares AS (
    SELECT
        p.segment,
        p.tier,
        p.dimension,
        p.value,
        p.customers,
        CAST(p.customers AS DOUBLE) / s.members AS share,
        CAST(p.active_customers AS DOUBLE) / s.active_members AS active_share
    FROM sizes_with_active AS s
    JOIN counted_with_active AS p ON s.segment = p.segment AND s.tier IS NOT DISTINCT FROM p.tier
    WHERE p.segment IS NOT NULL
)

SELECT
    segment,
    tier,
    dimension,
    value,
    customers,
    share,
    active_share,
    share / NULLIF(active_share, 0) AS lift
FROM shares
ORDER BY segment, tier NULLS FIRST, dimension, customers DESC, value
