//! The USPS/ANSI two-letter codes of the US states, the District of Columbia and the inhabited
//! territories, with their names. Hand-written: `celes` has subdivisions only from 3.0, which
//! needs Rust 1.97, and no other maintained crate offers this small, stable table.

/// (code, name with letters only, lowercase).
const STATES: [(&str, &str); 56] = [
    ("al", "alabama"),
    ("ak", "alaska"),
    ("az", "arizona"),
    ("ar", "arkansas"),
    ("ca", "california"),
    ("co", "colorado"),
    ("ct", "connecticut"),
    ("de", "delaware"),
    ("fl", "florida"),
    ("ga", "georgia"),
    ("hi", "hawaii"),
    ("id", "idaho"),
    ("il", "illinois"),
    ("in", "indiana"),
    ("ia", "iowa"),
    ("ks", "kansas"),
    ("ky", "kentucky"),
    ("la", "louisiana"),
    ("me", "maine"),
    ("md", "maryland"),
    ("ma", "massachusetts"),
    ("mi", "michigan"),
    ("mn", "minnesota"),
    ("ms", "mississippi"),
    ("mo", "missouri"),
    ("mt", "montana"),
    ("ne", "nebraska"),
    ("nv", "nevada"),
    ("nh", "newhampshire"),
    ("nj", "newjersey"),
    ("nm", "newmexico"),
    ("ny", "newyork"),
    ("nc", "northcarolina"),
    ("nd", "northdakota"),
    ("oh", "ohio"),
    ("ok", "oklahoma"),
    ("or", "oregon"),
    ("pa", "pennsylvania"),
    ("ri", "rhodeisland"),
    ("sc", "southcarolina"),
    ("sd", "southdakota"),
    ("tn", "tennessee"),
    ("tx", "texas"),
    ("ut", "utah"),
    ("vt", "vermont"),
    ("va", "virginia"),
    ("wa", "washington"),
    ("wv", "westvirginia"),
    ("wi", "wisconsin"),
    ("wy", "wyoming"),
    ("dc", "districtofcolumbia"),
    ("pr", "puertorico"),
    ("gu", "guam"),
    ("vi", "usvirginislands"),
    ("as", "americansamoa"),
    ("mp", "northernmarianaislands"),
];

/// The lowercase code of a state given by code or name, both already reduced to lowercase
/// letters (`ny`, `newyork`); `None` when it is neither.
pub(super) fn state_code(key: &str) -> Option<&'static str> {
    STATES.iter().find(|(code, name)| *code == key || *name == key).map(|(code, _)| *code)
}
