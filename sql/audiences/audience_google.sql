-- Google Ads Customer Match: one row per audience segment and member, in the columns of Google's
-- customer-list CSV template. Email, Phone, First Name and Last Name are SHA-256 (lowercase hex)
-- of their values normalised by Google's rules (Gmail addresses without dots and `+tag`; phone
-- in E.164 with `+`); Country and Zip are in clear, as Google wants them. No value column.
-- Rules and sources: docs/audiences.md. Columns starting with `_` are vipseg's bookkeeping
-- (see audience_meta.sql) and are not written to the file.
SELECT
    m.segment AS _segment,
    m.customer_id AS _customer_id,
    CASE
        WHEN p.customer_id IS NULL THEN 'no_consent'
        -- Google matches on an email, a phone, or the whole address (names, country and zip)
        WHEN p.email_google IS NULL AND p.phone_e164 IS NULL
            AND (p.first_name IS NULL OR p.last_name IS NULL OR p.country IS NULL OR p.postal_code IS NULL)
            THEN 'no_identifier'
    END AS _left_out,
    p.empty_email AS _empty_email,
    p.empty_phone AS _empty_phone,
    p.empty_first_name AS _empty_first_name,
    p.empty_last_name AS _empty_last_name,
    p.empty_country AS _empty_country,
    p.empty_postal_code AS _empty_postal_code,
    ENCODE(SHA256(p.email_google), 'hex') AS "Email",
    ENCODE(SHA256(p.phone_e164), 'hex') AS "Phone",
    ENCODE(SHA256(p.first_name), 'hex') AS "First Name",
    ENCODE(SHA256(p.last_name), 'hex') AS "Last Name",
    p.country AS "Country",
    p.postal_code_google AS "Zip"
FROM audience_members AS m
LEFT JOIN int_audience_people AS p ON p.customer_id = m.customer_id
