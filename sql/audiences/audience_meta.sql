-- Meta customer list (Custom Audiences and value-based lookalike sources): one row per audience
-- segment and member, in the columns of Meta's customer-list format. Every identifier is the
-- SHA-256 (lowercase hex) of its value normalised by Meta's rules — COUNTRY and ZIP included —
-- and EXTERN_ID is our customer id in clear. Rules and sources: docs/audiences.md.
-- Columns starting with `_` are vipseg's bookkeeping and are not written to the file: the
-- segment, why a member is left out (NULL = in the file), the values a value-based file may send
-- as LOOKALIKE_VALUE, the country (Meta's seed minimum is per country) and the fields the record
-- held but that could not be normalised.
SELECT
    m.segment AS _segment,
    m.customer_id AS _customer_id,
    CASE
        WHEN p.customer_id IS NULL THEN 'no_consent'
        WHEN p.email IS NULL AND p.phone_e164 IS NULL
            AND (p.first_name IS NULL OR p.last_name IS NULL OR p.postal_code IS NULL) THEN 'no_identifier'
    END AS _left_out,
    m.net_value_12m AS _value_net_value_12m,
    m.margin_weighted_spend_12m AS _value_margin_weighted_spend_12m,
    m.net_revenue_12m AS _value_net_revenue_12m,
    m.predicted_clv_12m AS _value_predicted_clv_12m,
    p.country AS _country,
    p.empty_email AS _empty_email,
    p.empty_phone AS _empty_phone,
    p.empty_first_name AS _empty_first_name,
    p.empty_last_name AS _empty_last_name,
    p.empty_city AS _empty_city,
    p.empty_region AS _empty_region,
    p.empty_postal_code AS _empty_postal_code,
    p.empty_country AS _empty_country,
    p.empty_gender AS _empty_gender,
    ENCODE(SHA256(p.email), 'hex') AS "EMAIL",
    -- Meta: the digits with the country code, no `+`
    ENCODE(SHA256(LTRIM(p.phone_e164, '+')), 'hex') AS "PHONE",
    ENCODE(SHA256(p.first_name), 'hex') AS "FN",
    ENCODE(SHA256(p.last_name), 'hex') AS "LN",
    ENCODE(SHA256(p.city), 'hex') AS "CT",
    ENCODE(SHA256(p.region), 'hex') AS "ST",
    ENCODE(SHA256(p.postal_code), 'hex') AS "ZIP",
    ENCODE(SHA256(LOWER(p.country)), 'hex') AS "COUNTRY",
    ENCODE(SHA256(TO_CHAR(p.birth_date, '%Y')), 'hex') AS "DOBY",
    ENCODE(SHA256(TO_CHAR(p.birth_date, '%m')), 'hex') AS "DOBM",
    ENCODE(SHA256(TO_CHAR(p.birth_date, '%d')), 'hex') AS "DOBD",
    ENCODE(SHA256(p.gender), 'hex') AS "GEN",
    CASE WHEN p.customer_id IS NOT NULL THEN m.customer_id END AS "EXTERN_ID"
FROM audience_members AS m
LEFT JOIN int_audience_people AS p ON p.customer_id = m.customer_id
