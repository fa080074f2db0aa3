-- TikTok customer file: one row per audience segment and member, with the hashed email and
-- phone columns of TikTok's current template: SHA-256 (lowercase hex) of the normalised email
-- and of the phone's digits with the country code, no `+`. Rules and sources:
-- docs/audiences.md. Columns starting with `_` are vipseg's bookkeeping (see audience_meta.sql).
SELECT
    m.segment AS _segment,
    m.customer_id AS _customer_id,
    CASE
        WHEN p.customer_id IS NULL THEN 'no_consent'
        WHEN p.email IS NULL AND p.phone_e164 IS NULL THEN 'no_identifier'
    END AS _left_out,
    p.empty_email AS _empty_email,
    p.empty_phone AS _empty_phone,
    ENCODE(SHA256(p.email), 'hex') AS "Email_SHA256",
    ENCODE(SHA256(LTRIM(p.phone_e164, '+')), 'hex') AS "Phone_SHA256"
FROM audience_members AS m
LEFT JOIN int_audience_people AS p ON p.customer_id = m.customer_id
