//! Countries: ISO 3166-1 alpha-2 codes from the codes and English names found in customer data.

use std::str::FromStr;

use celes::Country;

use super::non_blank;

/// Longest key `celes` knows ("theunitedkingdomofgreatbritainandnorthernireland" is 48
/// characters): anything longer is not a country and is rejected before any work.
const MAX_KEY: usize = 64;

/// The ISO 3166-1 alpha-2 code (upper case, `US`) of `country`: an alpha-2 or alpha-3 code in any
/// case or padding (`us`, ` USA `, `U.S.`), a numeric code (`840`), or an English name or common
/// alias (`United States`, `united kingdom`, `England`, `Holland`); `None` when unknown.
///
/// Google wants `Country` as an alpha-2 code in clear
/// (<https://support.google.com/google-ads/answer/7659867>), LinkedIn `country` likewise
/// (<https://www.linkedin.com/help/lms/answer/a1489764>); Meta wants it lowercase and hashed
/// (<https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>),
/// which SQL derives with `lower(...)`.
pub fn country_code(country: &str) -> Option<&'static str> {
    let key = squash(non_blank(country)?)?;
    // "UK" is not an ISO code but ISO reserves it for the United Kingdom, and it is what people type.
    if key == "uk" {
        return Some("GB");
    }
    Country::from_str(&key).ok().map(|c| c.alpha2)
}

/// The lookup key of `celes`: letters and digits only, lowercase ("U.S.A." → "usa",
/// "Bosnia and Herzegovina" → "bosniaandherzegovina").
fn squash(text: &str) -> Option<String> {
    if text.len() > MAX_KEY {
        return None;
    }
    let key: String = text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect();
    (!key.is_empty()).then_some(key)
}
