//! Normalisation of personal data (e-mail addresses, phone numbers, names, places, countries) by
//! the ad platforms' published rules, as plain functions usable without DataFusion; the SQL
//! functions of `functions::normalizers` wrap them. Each returns the normalised clear text, or `None`
//! when the value cannot be normalised: hashing is left to SQL.

use std::borrow::Cow;

mod country;
mod email;
mod names;
mod phone;
mod region;
mod us_states;
mod zip;

pub use country::country_code;
pub use email::{google_email, normalize_email};
pub use names::{normalize_city, normalize_name};
pub use phone::phone_e164;
pub use region::normalize_region;
pub use zip::{google_zip, normalize_zip};

/// `text` in Unicode NFC: the same name typed on two systems (`é` precomposed, or `e` followed by
/// a combining accent) must give the same hash.
fn composed(text: &str) -> Cow<'_, str> {
    icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(text)
}

/// The trimmed text, or `None` when nothing is left: every rule maps blank input to NULL.
fn non_blank(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}
