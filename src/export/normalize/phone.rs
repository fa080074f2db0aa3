//! Phone numbers in E.164, parsed and validated by Google's libphonenumber metadata (the
//! `rlibphonenumber` port).

use std::panic::{AssertUnwindSafe, catch_unwind};

use rlibphonenumber::{PhoneNumber, PhoneNumberFormat, Region};

use super::{country_code, non_blank};

/// More digits than any dialled form of a number can have (15 for E.164, plus an international
/// prefix and a trunk prefix): such input is junk, and no parser needs to see it.
const MAX_DIGITS: usize = 20;

/// `phone` as E.164 with the `+` (`+16505551212`), or `None` unless libphonenumber's metadata
/// says it is a valid number. A number written in national form is read in `country` (any form
/// [`country_code`] accepts); an international one (`+44 …`, or `0044 …` when the customer's
/// country does not read it) stands on its own.
///
/// Google wants E.164 with the `+` ("(800)555-0100" → "+18005550100",
/// <https://developers.google.com/data-manager/api/devguides/concepts/formatting>). Meta wants the
/// digits with the country code and without `+` or leading zeros ("remove symbols, letters, and
/// any leading zeroes", <https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences#hash>),
/// and so does TikTok ("(657)777-0000" → "16577770000",
/// <https://ads.tiktok.com/help/article/list-of-supported-ids-and-formats-for-a-customer-file>;
/// its newer how-to page also accepts a `+`, but hashes its example without one): SQL derives
/// theirs with `ltrim(phone_e164(p, c), '+')`.
pub fn phone_e164(phone: &str, country: Option<&str>) -> Option<String> {
    let text = non_blank(phone)?;
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    let region = country.and_then(country_code).and_then(|code| Region::from_code(code).ok());
    let number = if text.starts_with('+') {
        parse(None, text)
    } else {
        parse(region, text).or_else(|| international_prefix(text).and_then(|rest| parse(None, &format!("+{rest}"))))
    }?;
    Some(number.format_as(PhoneNumberFormat::E164).into_owned())
}

/// A valid number, or `None`. Phone parsers have panicked on malformed input before (issues 32
/// and 43 of whisperfish/rust-phonenumber); one bad row must not end a nightly run, so a panic
/// is a number that cannot be normalised.
fn parse(region: Option<Region>, text: &str) -> Option<PhoneNumber> {
    catch_unwind(AssertUnwindSafe(|| PhoneNumber::parse(text, region).ok().filter(PhoneNumber::is_valid)))
        .ok()
        .flatten()
}

/// The number after a leading `00` (the international prefix of most of the world), so
/// `0044 20 7946 0123` reads as `+44…` when the customer's country dials abroad differently.
fn international_prefix(text: &str) -> Option<&str> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    text[start..].strip_prefix("00")
}
