-- Every hashed column of an audience file holds a SHA-256 in lowercase hex, or nothing: never a
-- raw email, phone or name.
WITH hashed AS (
    SELECT 'meta' AS platform, _customer_id AS customer_id,
        UNNEST(MAKE_ARRAY("EMAIL", "PHONE", "FN", "LN", "CT", "ST", "ZIP", "COUNTRY", "DOBY", "DOBM", "DOBD", "GEN")) AS value
    FROM audience_meta
    UNION ALL
    SELECT 'google', _customer_id, UNNEST(MAKE_ARRAY("Email", "Phone", "First Name", "Last Name"))
    FROM audience_google
    UNION ALL
    SELECT 'tiktok', _customer_id, UNNEST(MAKE_ARRAY("Email_SHA256", "Phone_SHA256"))
    FROM audience_tiktok
    UNION ALL
    SELECT 'linkedin', _customer_id, "email"
    FROM audience_linkedin
)

SELECT platform, customer_id, value
FROM hashed
WHERE value IS NOT NULL AND NOT REGEXP_LIKE(value, '^[0-9a-f]{64}$')
