-- LinkedIn Matched Audiences contact list: one row per audience segment and member, with the
-- headers of LinkedIn's downloadable template. The email is SHA-256 (lowercase hex) of the
-- normalised address; first name, last name and country (ISO 3166 alpha-2) are in clear, as
-- LinkedIn matches them. The template's other columns (job title, company, mobile ad id) stay
-- empty: vipseg has no such data. Rules and sources: docs/audiences.md. Columns starting with
-- `_` are vipseg's bookkeeping (see audience_meta.sql).
SELECT
    m.segment AS _segment,
    m.customer_id AS _customer_id,
    CASE
        WHEN p.customer_id IS NULL THEN 'no_consent'
        WHEN p.email IS NULL THEN 'no_identifier'
    END AS _left_out,
    p.empty_email AS _empty_email,
    p.empty_country AS _empty_country,
    ENCODE(SHA256(p.email), 'hex') AS "email",
    p.first_name_clear AS "firstname",
    p.last_name_clear AS "lastname",
    CAST(NULL AS VARCHAR) AS "jobtitle",
    CAST(NULL AS VARCHAR) AS "employeecompany",
    p.country AS "country",
    CAST(NULL AS VARCHAR) AS "googleaid"
FROM audience_members AS m
LEFT JOIN int_audience_people AS p ON p.customer_id = m.customer_id
