//! The countries `vipseg generate` draws customers from: ISO code, share of customers, names
//! (in `names.rs`) and cities with their regions, postal-code prefixes and phone area codes.

use crate::generate::names::{self, Names};

pub(super) struct Country {
    pub code: &'static str,
    /// Share of customers when all countries are generated.
    pub weight: f64,
    pub names: &'static Names,
    pub cities: &'static [City],
}

pub(super) struct City {
    pub name: &'static str,
    /// Another spelling found in the wild ("" = none).
    pub alt: &'static str,
    pub region: &'static str,
    pub region_alt: &'static str,
    /// Postal code prefixes; the rest is filled per country.
    pub postal: &'static [&'static str],
    /// Phone area codes, with the fictional local prefix after `|` where the country has one.
    pub phone: &'static [&'static str],
}

macro_rules! city {
    ($name:expr, $alt:expr, $region:expr, $region_alt:expr, [$($postal:expr),*], [$($phone:expr),*]) => {
        City { name: $name, alt: $alt, region: $region, region_alt: $region_alt, postal: &[$($postal),*], phone: &[$($phone),*] }
    };
}

pub(super) const COUNTRIES: [Country; 6] = [
    Country {
        code: "US",
        weight: 0.34,
        names: &names::US,
        cities: &[
            city!("New York", "NYC", "NY", "New York", ["100", "101", "102", "112"], ["212", "646", "718"]),
            city!("Los Angeles", "LA", "CA", "California", ["900", "910"], ["213", "310", "323"]),
            city!("San Francisco", "", "CA", "California", ["941"], ["415", "628"]),
            city!("Chicago", "", "IL", "Illinois", ["606"], ["312", "773"]),
            city!("Houston", "", "TX", "Texas", ["770"], ["713", "832"]),
            city!("Seattle", "", "WA", "Washington", ["981"], ["206"]),
            city!("Boston", "", "MA", "Massachusetts", ["021"], ["617"]),
            city!("Miami", "", "FL", "Florida", ["331"], ["305", "786"]),
            city!("Denver", "", "CO", "Colorado", ["802"], ["303", "720"]),
            city!("Newark", "", "NJ", "New Jersey", ["071"], ["973"]),
        ],
    },
    Country {
        code: "GB",
        weight: 0.20,
        names: &names::GB,
        cities: &[
            city!(
                "London",
                "LONDON",
                "Greater London",
                "England",
                ["SW1A", "SE1", "E2", "N1", "NW3", "W1D", "EC1V", "SW11"],
                ["20|7946 0"]
            ),
            city!("Manchester", "", "Greater Manchester", "England", ["M1", "M4", "M14", "M20"], ["161|496 0"]),
            city!("Birmingham", "", "West Midlands", "England", ["B1", "B5", "B15", "B29"], ["121|496 0"]),
            city!("Leeds", "", "West Yorkshire", "England", ["LS1", "LS6", "LS11"], ["113|496 0"]),
            city!("Bristol", "", "Bristol", "England", ["BS1", "BS6", "BS8"], ["117|496 0"]),
            city!("Liverpool", "", "Merseyside", "England", ["L1", "L8", "L17"], ["151|496 0"]),
            city!("Glasgow", "", "Glasgow City", "Scotland", ["G1", "G12", "G41"], ["141|496 0"]),
            city!("Edinburgh", "", "City of Edinburgh", "Scotland", ["EH1", "EH3", "EH10"], ["131|496 0"]),
            city!("Cardiff", "Caerdydd", "Cardiff", "Wales", ["CF10", "CF11", "CF24"], ["29|2018 0"]),
            city!("Sheffield", "", "South Yorkshire", "England", ["S1", "S10", "S11"], ["114|496 0"]),
        ],
    },
    Country {
        code: "DE",
        weight: 0.16,
        names: &names::DE,
        cities: &[
            city!("Berlin", "", "Berlin", "BE", ["10", "12", "13"], ["30|23125"]),
            city!("Hamburg", "", "Hamburg", "HH", ["20", "22"], ["40|66969"]),
            city!("München", "Muenchen", "Bayern", "BY", ["80", "81"], ["89|99998"]),
            city!("Köln", "Koeln", "Nordrhein-Westfalen", "NRW", ["50", "51"], ["221|4710"]),
            city!("Frankfurt am Main", "Frankfurt", "Hessen", "HE", ["60"], ["69|90009"]),
            city!("Düsseldorf", "Duesseldorf", "Nordrhein-Westfalen", "NRW", ["40"], ["221|4710"]),
            city!("Stuttgart", "", "Baden-Württemberg", "BW", ["70"], ["69|90009"]),
            city!("Leipzig", "", "Sachsen", "SN", ["04"], ["30|23125"]),
        ],
    },
    Country {
        code: "FR",
        weight: 0.12,
        names: &names::FR,
        cities: &[
            city!("Paris", "PARIS", "Île-de-France", "Ile-de-France", ["7500", "7501"], ["1|99 00"]),
            city!("Lyon", "", "Auvergne-Rhône-Alpes", "Auvergne-Rhone-Alpes", ["6900"], ["4|65 71"]),
            city!("Marseille", "", "Provence-Alpes-Côte d'Azur", "PACA", ["1300", "1301"], ["4|65 71"]),
            city!("Toulouse", "", "Occitanie", "Occitanie", ["3100", "3120", "3130"], ["5|36 49"]),
            city!("Bordeaux", "", "Nouvelle-Aquitaine", "Nouvelle Aquitaine", ["3300", "3380"], ["5|36 49"]),
            city!("Lille", "", "Hauts-de-France", "Hauts de France", ["5900", "5980"], ["3|53 01"]),
            city!("Nantes", "", "Pays de la Loire", "Pays-de-la-Loire", ["4400", "4410", "4430"], ["2|61 91"]),
            city!("Strasbourg", "", "Grand Est", "Grand-Est", ["6700", "6710"], ["3|53 01"]),
            city!("Nice", "", "Provence-Alpes-Côte d'Azur", "PACA", ["0600", "0610", "0620"], ["4|65 71"]),
        ],
    },
    Country {
        code: "NL",
        weight: 0.08,
        names: &names::NL,
        cities: &[
            city!("Amsterdam", "", "Noord-Holland", "NH", ["10", "11"], ["20"]),
            city!("Rotterdam", "", "Zuid-Holland", "ZH", ["30", "31"], ["10"]),
            city!("Den Haag", "'s-Gravenhage", "Zuid-Holland", "ZH", ["25"], ["70"]),
            city!("Utrecht", "", "Utrecht", "UT", ["35"], ["30"]),
            city!("Eindhoven", "", "Noord-Brabant", "NB", ["56"], ["40"]),
            city!("Groningen", "", "Groningen", "GR", ["97"], ["50"]),
        ],
    },
    Country {
        code: "CA",
        weight: 0.10,
        names: &names::CA,
        cities: &[
            city!("Toronto", "", "ON", "Ontario", ["M5V", "M4C", "M6G", "M5A"], ["416", "647"]),
            city!("Montréal", "Montreal", "QC", "Québec", ["H2X", "H3A", "H2J"], ["514", "438"]),
            city!("Vancouver", "", "BC", "British Columbia", ["V6B", "V5K", "V6K"], ["604", "778"]),
            city!("Calgary", "", "AB", "Alberta", ["T2P", "T3A"], ["403", "587"]),
            city!("Ottawa", "", "ON", "Ontario", ["K1P", "K2P"], ["613"]),
            city!("Québec", "Quebec City", "QC", "Quebec", ["G1R", "G1K"], ["418"]),
            city!("Halifax", "", "NS", "Nova Scotia", ["B3H", "B3K"], ["902"]),
        ],
    },
];

/// Index into [`COUNTRIES`] of an ISO code (case-insensitive).
pub(super) fn country_index(code: &str) -> Option<usize> {
    COUNTRIES.iter().position(|c| c.code.eq_ignore_ascii_case(code.trim()))
}
