//! The product catalogue of `vipseg generate`: ten categories with their share of order lines,
//! margin, typical price, SKU prefix and return rate.

/// A product category: its share of lines, its gross margin on the list price, the typical
/// unit price of its products and how often its lines are returned.
pub(super) struct Category {
    pub name: &'static str,
    pub sku_prefix: &'static str,
    pub weight: f64,
    /// (list price - unit cost) / list price, on average.
    pub margin: f64,
    /// Median unit price in currency units; a line's price makes the category more or less likely.
    pub typical_price: f64,
    pub return_rate: f64,
}

const fn category(name: &'static str, sku_prefix: &'static str, shares: [f64; 4]) -> Category {
    let [weight, margin, typical_price, return_rate] = shares;
    Category { name, sku_prefix, weight, margin, typical_price, return_rate }
}

/// Categories: [share of lines, margin on list price, typical unit price, share of lines returned].
pub(super) const CATEGORIES: [Category; 10] = [
    category("electronics", "ELE", [0.13, 0.18, 180.0, 0.04]),
    category("home_appliances", "APL", [0.07, 0.28, 120.0, 0.03]),
    category("home_garden", "HOM", [0.12, 0.42, 45.0, 0.02]),
    category("fashion", "FAS", [0.17, 0.58, 40.0, 0.10]),
    category("shoes", "SHO", [0.09, 0.50, 70.0, 0.11]),
    category("accessories", "ACC", [0.09, 0.70, 25.0, 0.035]),
    category("beauty", "BEA", [0.11, 0.64, 18.0, 0.015]),
    category("sports", "SPO", [0.09, 0.36, 50.0, 0.035]),
    category("toys", "TOY", [0.06, 0.40, 28.0, 0.02]),
    category("books", "BOO", [0.07, 0.30, 14.0, 0.01]),
];
