//! The customer records of `vipseg generate`: fictional people per country with realistically
//! messy PII (e-mail case and spaces, gmail dots and `+tags`, national and international phone
//! formats, accented names, per-country postal codes), birth date, gender and ad consent.
//!
//! Everything is fictional: e-mail domains are `example.com/.org/.net`, the reserved `.example`
//! TLD, or gmail/googlemail with made-up local parts (kept so that audience normalisation of
//! gmail addresses is exercised); phone numbers use the ranges reserved for fiction where they
//! exist: NANP 555-0100..0199 (US, CA), Ofcom drama numbers (GB), Bundesnetzagentur drama
//! numbers (DE), ARCEP fiction numbers (FR). The Netherlands has no such range: NL numbers have
//! random digits.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Beta, Distribution};

use crate::generate::countries::{COUNTRIES, City};
use crate::generate::plan::{DAY_US, Plan, pick, secs};
use crate::generate::records::Signup;

/// Customers who ordered but whose customer record is missing (a realistic CRM gap).
const NO_RECORD_SHARE: f64 = 0.001;

const GMAIL_TAGS: [&str; 6] = ["shop", "newsletter", "promo", "orders", "2024", "deals"];
const GENDERS: [Option<&str>; 4] = [Some("f"), Some("m"), Some("x"), None];
const GENDER_WEIGHTS: [f64; 4] = [0.48, 0.45, 0.02, 0.05];

struct Builders {
    id: StringBuilder,
    email: StringBuilder,
    phone: StringBuilder,
    first: StringBuilder,
    last: StringBuilder,
    city: StringBuilder,
    region: StringBuilder,
    postal: StringBuilder,
    country: StringBuilder,
    birth: Date32Builder,
    gender: StringBuilder,
    consent: BooleanBuilder,
    consent_ts: TimestampMicrosecondBuilder,
}

/// The customer records of customers `first .. first + signups.len()` (global indices),
/// without the few buyers whose record is missing. Returns the batch and how many were left out.
pub(super) fn customers_batch(
    plan: &Plan,
    schema: SchemaRef,
    first: u32,
    signups: &[Signup],
    rng: &mut StdRng,
) -> Result<(RecordBatch, u64), ArrowError> {
    let n = signups.len();
    let s = |bytes| StringBuilder::with_capacity(n, n * bytes);
    let mut b = Builders {
        id: s(8),
        email: s(28),
        phone: s(16),
        first: s(8),
        last: s(8),
        city: s(9),
        region: s(10),
        postal: s(7),
        country: s(2),
        birth: Date32Builder::with_capacity(n),
        gender: s(1),
        consent: BooleanBuilder::with_capacity(n),
        consent_ts: TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC"),
    };
    let country_weights: Vec<f64> = plan.countries.iter().map(|&c| COUNTRIES[c].weight).collect();
    let age = Beta::new(2.2, 3.5).expect("constant");
    let end_day = plan.end_us.div_euclid(DAY_US) as i32;
    let mut missing = 0;
    for (i, signup) in signups.iter().enumerate() {
        if signup.buyer && rng.random_bool(NO_RECORD_SHARE) {
            missing += 1;
            continue;
        }
        let cust = first + i as u32;
        let country = &COUNTRIES[plan.countries[pick(rng, &country_weights)]];
        let g = pick(rng, &GENDER_WEIGHTS);
        let female = match g {
            0 => true,
            1 => false,
            _ => rng.random_bool(0.5),
        };
        let given = pick_str(rng, if female { country.names.female } else { country.names.male });
        let family = pick_str(rng, country.names.last);
        let city = &country.cities[rng.random_range(0..country.cities.len())];
        let birth_day = {
            // Ages 18-85 at the end of the history, most between 25 and 55.
            let years = 18.0 + 67.0 * age.sample(rng);
            let days = (years * 365.25) as i32;
            end_day - days
        };

        write!(b.id, "C{:07}", cust as u64 + 1).ok();
        b.id.append_value("");
        email(rng, country.code, given, family, birth_day, &mut b.email);
        phone(rng, country.code, city, &mut b.phone);
        name(rng, given, &mut b.first);
        name(rng, family, &mut b.last);
        let city_name = if !city.alt.is_empty() && rng.random_bool(0.15) { city.alt } else { city.name };
        messy_text(rng, city_name, &mut b.city);
        match rng.random::<f64>() {
            x if x < 0.05 => b.region.append_null(),
            x if x < 0.25 => b.region.append_value(city.region_alt),
            _ => b.region.append_value(city.region),
        }
        postal(rng, country.code, city, &mut b.postal);
        if rng.random_bool(0.02) {
            b.country.append_value(country.code.to_ascii_lowercase());
        } else {
            b.country.append_value(country.code);
        }
        match rng.random::<f64>() {
            x if x < 0.07 => b.birth.append_null(),
            // The classic placeholder of forms that require a birth date.
            x if x < 0.071 => b.birth.append_value(-25567), // 1900-01-01
            _ => b.birth.append_value(birth_day),
        }
        b.gender.append_option(GENDERS[g]);
        let consent = rng.random_bool(plan.ad_consent_rate);
        b.consent.append_value(consent);
        let ts = if consent {
            if rng.random_bool(0.75) {
                Some(signup.ts)
            } else {
                let later = signup.ts + (rng.random::<f64>() * 120.0 * DAY_US as f64) as i64;
                Some(if later < plan.end_us { secs(later) } else { signup.ts })
            }
        } else if rng.random_bool(0.45) {
            let later = signup.ts + (rng.random::<f64>() * 240.0 * DAY_US as f64) as i64;
            (later < plan.end_us).then_some(secs(later))
        } else {
            None
        };
        b.consent_ts.append_option(ts);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(b.id.finish()),
        Arc::new(b.email.finish()),
        Arc::new(b.phone.finish()),
        Arc::new(b.first.finish()),
        Arc::new(b.last.finish()),
        Arc::new(b.city.finish()),
        Arc::new(b.region.finish()),
        Arc::new(b.postal.finish()),
        Arc::new(b.country.finish()),
        Arc::new(b.birth.finish()),
        Arc::new(b.gender.finish()),
        Arc::new(b.consent.finish()),
        Arc::new(b.consent_ts.finish()),
    ];
    Ok((RecordBatch::try_new(schema, columns)?, missing))
}

fn pick_str(rng: &mut StdRng, list: &'static [&'static str]) -> &'static str {
    list[rng.random_range(0..list.len())]
}

/// Names as typed into forms: mostly as is, sometimes in capitals, lower case or with spaces.
fn name(rng: &mut StdRng, value: &str, out: &mut StringBuilder) {
    if rng.random_bool(0.01) {
        out.append_null();
    } else {
        messy_text(rng, value, out);
    }
}

fn messy_text(rng: &mut StdRng, value: &str, out: &mut StringBuilder) {
    match rng.random::<f64>() {
        x if x < 0.025 => out.append_value(value.to_uppercase()),
        x if x < 0.045 => out.append_value(value.to_lowercase()),
        x if x < 0.060 => {
            write!(out, "{value} ").ok();
            out.append_value("");
        }
        x if x < 0.070 => {
            write!(out, " {value}").ok();
            out.append_value("");
        }
        _ => out.append_value(value),
    }
}

/// ASCII e-mail form of a name part: accents folded, spaces and apostrophes dropped.
fn fold(value: &str, german: bool, out: &mut String) {
    for c in value.chars() {
        let c = c.to_lowercase().next().unwrap_or(c);
        let s: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'ä' if german => "ae",
            'ö' if german => "oe",
            'ü' if german => "ue",
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ı' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ß' => "ss",
            _ => "",
        };
        out.push_str(s);
    }
}

fn email(rng: &mut StdRng, country: &str, given: &str, family: &str, birth_day: i32, out: &mut StringBuilder) {
    if rng.random_bool(0.02) {
        out.append_null();
        return;
    }
    let german = country == "DE" && rng.random_bool(0.7);
    let mut g = String::new();
    fold(given, german, &mut g);
    let mut f = String::new();
    fold(family, german, &mut f);
    let year = 1970 + (birth_day as f64 / 365.25) as i32;
    let number = rng.random_range(1..10_000);
    let mut local = match rng.random::<f64>() {
        x if x < 0.30 => format!("{g}.{f}{number}"),
        x if x < 0.45 => format!("{g}.{f}"),
        x if x < 0.55 => format!("{g}{f}{}", year % 100),
        x if x < 0.65 => format!("{}.{f}{number}", &g[..1.min(g.len())]),
        x if x < 0.73 => format!("{g}_{f}{number}"),
        x if x < 0.80 => format!("{f}.{g}{}", year),
        x if x < 0.90 => format!("{g}{number}"),
        _ => format!("{g}{f}{number}"),
    };
    let domain = match rng.random::<f64>() {
        x if x < 0.28 => "gmail.com",
        x if x < 0.30 => {
            if country == "GB" || country == "DE" {
                "googlemail.com"
            } else {
                "gmail.com"
            }
        }
        x if x < 0.55 => "example.com",
        x if x < 0.65 => "example.org",
        x if x < 0.75 => "example.net",
        x if x < 0.85 => "mail.example",
        x if x < 0.93 => "web.example",
        _ => "post.example",
    };
    if domain.ends_with("mail.com") && rng.random_bool(0.2) {
        local.push('+');
        local.push_str(GMAIL_TAGS[rng.random_range(0..GMAIL_TAGS.len())]);
    }
    let mut address = format!("{local}@{domain}");
    match rng.random::<f64>() {
        // Capitalised parts: "Jane.Doe@Gmail.com".
        x if x < 0.22 => address = capitalise_parts(&address),
        x if x < 0.27 => {
            let at = address.find('@').unwrap_or(0);
            address = format!("{}{}", &address[..at], address[at..].to_uppercase());
        }
        x if x < 0.30 => address = address.to_uppercase(),
        _ => {}
    }
    match rng.random::<f64>() {
        x if x < 0.02 => write!(out, " {address}"),
        x if x < 0.04 => write!(out, "{address} "),
        x if x < 0.05 => write!(out, "  {address}  "),
        _ => write!(out, "{address}"),
    }
    .ok();
    out.append_value("");
}

fn capitalise_parts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, '.' | '@' | '_' | '+');
    }
    out
}

fn digits(rng: &mut StdRng, n: u32) -> String {
    let mut s = String::with_capacity(n as usize);
    for _ in 0..n {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

fn phone(rng: &mut StdRng, country: &str, city: &City, out: &mut StringBuilder) {
    if rng.random_bool(0.15) {
        out.append_null();
        return;
    }
    let entry = city.phone[rng.random_range(0..city.phone.len())];
    let (area, local) = entry.split_once('|').unwrap_or((entry, ""));
    let style = rng.random_range(0..7u8);
    let r = match country {
        "US" | "CA" => {
            // 555-0100 .. 555-0199: reserved for fiction in the whole NANP.
            let line = format!("01{}", digits(rng, 2));
            match style {
                0 | 1 => write!(out, "({area}) 555-{line}"),
                2 => write!(out, "{area}-555-{line}"),
                3 => write!(out, "+1 {area} 555 {line}"),
                4 => write!(out, "1-{area}-555-{line}"),
                5 => write!(out, "{area}.555.{line}"),
                _ => write!(out, "{area}555{line}"),
            }
        }
        "GB" => {
            // Ofcom drama numbers: 020 7946 0xxx, 0161 496 0xxx, ..., mobiles 07700 900xxx.
            let (area, local) = if rng.random_bool(0.4) { ("7700", "900") } else { (area, local) };
            let local = format!("{local}{}", digits(rng, 3));
            let compact: String = local.chars().filter(|c| *c != ' ').collect();
            match style {
                0 | 1 => write!(out, "0{area} {local}"),
                2 => write!(out, "+44 {area} {local}"),
                3 => write!(out, "+44 (0){area} {local}"),
                4 => write!(out, "(0){area} {local}"),
                5 => write!(out, "0044 {area} {local}"),
                _ => write!(out, "+44{area}{compact}"),
            }
        }
        "DE" => {
            // Bundesnetzagentur drama numbers: (0)30 23125 xxx, (0)69 90009 xxx, ...
            let ext = digits(rng, 3);
            match style {
                0 | 1 => write!(out, "0{area} {local}{ext}"),
                2 => write!(out, "+49 {area} {local}{ext}"),
                3 => write!(out, "0049 {area} {local}{ext}"),
                4 => write!(out, "+49 (0){area} {local}-{ext}"),
                5 => write!(out, "0{area}/{local}{ext}"),
                _ => write!(out, "(0{area}) {local} {ext}"),
            }
        }
        "FR" => {
            // ARCEP numbers for fiction: 01 99 00 xx xx, ..., mobiles 06 39 98 xx xx.
            let (area, local) = if rng.random_bool(0.4) { ("6", "39 98") } else { (area, local) };
            let (a, b) = (digits(rng, 2), digits(rng, 2));
            let dotted = local.replace(' ', ".");
            match style {
                0 | 1 => write!(out, "0{area} {local} {a} {b}"),
                2 => write!(out, "+33 {area} {local} {a} {b}"),
                3 => write!(out, "+33 (0){area} {local} {a} {b}"),
                4 => write!(out, "0033 {area} {local} {a} {b}"),
                5 => write!(out, "0{area}.{dotted}.{a}.{b}"),
                _ => write!(out, "0{area}{}{a}{b}", local.replace(' ', "")),
            }
        }
        _ => {
            // NL: no range reserved for fiction; random digits in the usual formats.
            if rng.random_bool(0.5) {
                let (a, b) = (digits(rng, 4), digits(rng, 4));
                match style {
                    0 | 1 => write!(out, "06 {a} {b}"),
                    2 => write!(out, "+31 6 {a}{b}"),
                    3 => write!(out, "06-{a}{b}"),
                    4 => write!(out, "0031 6 {a} {b}"),
                    _ => write!(out, "06{a}{b}"),
                }
            } else {
                let (a, b) = (digits(rng, 3), digits(rng, 4));
                match style {
                    0 | 1 => write!(out, "0{area} {a} {b}"),
                    2 => write!(out, "+31 {area} {a} {b}"),
                    3 => write!(out, "0031 {area} {a}{b}"),
                    4 => write!(out, "0{area}-{a}{b}"),
                    _ => write!(out, "(0{area}) {a} {b}"),
                }
            }
        }
    };
    r.ok();
    out.append_value("");
}

fn letters(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n).map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())])).collect()
}

fn postal(rng: &mut StdRng, country: &str, city: &City, out: &mut StringBuilder) {
    if rng.random_bool(0.01) {
        out.append_null();
        return;
    }
    let prefix = city.postal[rng.random_range(0..city.postal.len())];
    let mut code = match country {
        "US" => {
            let mut z = format!("{prefix}{}", digits(rng, 2));
            if rng.random_bool(0.08) {
                z.push('-');
                z.push_str(&digits(rng, 4));
            }
            z
        }
        "GB" => {
            let inward = format!("{}{}", digits(rng, 1), letters(rng, b"ABDEFGHJLNPQRSTUWXYZ", 2));
            if rng.random_bool(0.08) { format!("{prefix}{inward}") } else { format!("{prefix} {inward}") }
        }
        "DE" => format!("{prefix}{}", digits(rng, 3)),
        "FR" => format!("{prefix}{}", digits(rng, 1)),
        "NL" => {
            let l = letters(rng, b"ABCDEFGHJKLMNPRTVWXZ", 2);
            let d = digits(rng, 2);
            if rng.random_bool(0.2) { format!("{prefix}{d}{l}") } else { format!("{prefix}{d} {l}") }
        }
        _ => {
            let inward = format!("{}{}{}", digits(rng, 1), letters(rng, b"ABCEGHJKLMNPRSTVWXYZ", 1), digits(rng, 1));
            if rng.random_bool(0.15) { format!("{prefix}{inward}") } else { format!("{prefix} {inward}") }
        }
    };
    // Spreadsheet damage: leading zeros lost, lower case.
    if code.starts_with('0') && rng.random_bool(0.05) {
        code.remove(0);
    }
    if rng.random_bool(0.04) {
        code = code.to_lowercase();
    }
    out.append_value(code);
}
