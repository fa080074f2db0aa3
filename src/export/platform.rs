//! What vipseg knows about each platform's customer-list file beyond its columns (which are in
//! the platform's SQL model): the model that holds it, whether it carries a value, and the
//! platform's minimum audience size.

use crate::config::audiences::Platform;

/// A platform's file, as the export writes it.
pub struct Format {
    /// The SQL model with one row per (segment, member) and the file's columns.
    pub model: &'static str,
    /// The column a value-based audience adds in clear; `None` = the platform takes no value.
    pub value_column: Option<&'static str>,
    /// The platform's minimum, checked after the file is written: a warning, not an error (a
    /// small shop's file is still written).
    pub minimum: Minimum,
}

pub enum Minimum {
    /// At least this many rows in the file.
    Rows { rows: u64, rule: &'static str },
    /// At least this many rows from one country.
    RowsInOneCountry { rows: u64, rule: &'static str },
}

pub fn format(platform: Platform) -> Format {
    match platform {
        // Meta: a lookalike's source audience needs at least 100 people from a single country
        // (https://www.facebook.com/business/help/164749007013531); the value-based source
        // carries LOOKALIKE_VALUE (https://developers.facebook.com/docs/marketing-api/audiences/guides/value-based-lookalike-audiences/).
        Platform::Meta => Format {
            model: "audience_meta",
            value_column: Some("LOOKALIKE_VALUE"),
            minimum: Minimum::RowsInOneCountry {
                rows: 100,
                rule: "Meta builds a lookalike from a source of at least 100 people in one country",
            },
        },
        // Google: the CSV template is https://support.google.com/google-ads/answer/7659867. We found
        // no Customer Match page that states a minimum; 1,000 is the usual figure (and the one
        // Google gives for YouTube: https://support.google.com/ads-data-hub/answer/9935747).
        // Matched members are fewer than uploaded rows.
        Platform::Google => Format {
            model: "audience_google",
            value_column: None,
            minimum: Minimum::Rows { rows: 1000, rule: "Google usually needs at least 1,000 matched members" },
        },
        // TikTok: a customer file needs at least 1,000 entries
        // (https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file).
        Platform::Tiktok => Format {
            model: "audience_tiktok",
            value_column: None,
            minimum: Minimum::Rows { rows: 1000, rule: "TikTok needs at least 1,000 entries" },
        },
        // LinkedIn: a contact list needs 300 records to upload and 300 matched members to serve
        // (https://www.linkedin.com/help/lms/answer/a1489764).
        Platform::Linkedin => Format {
            model: "audience_linkedin",
            value_column: None,
            minimum: Minimum::Rows { rows: 300, rule: "LinkedIn needs at least 300 matched members" },
        },
    }
}
