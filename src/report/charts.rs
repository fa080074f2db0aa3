//! The report's charts, drawn as SVG with plotters: grouped bars (horizontal or vertical), the
//! Pareto curve and a histogram. Each chart says which colours its data marks have, so a check
//! in a browser can tell bars, lines and points from axes and grid lines.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::Error;

// Chrome (never a data colour) and data colours.
const INK: RGBColor = RGBColor(0x33, 0x41, 0x55);
const GRID: RGBColor = RGBColor(0xE9, 0xED, 0xF2);
const AXIS: RGBColor = RGBColor(0xCB, 0xD5, 0xE1);
const REFERENCE: RGBColor = RGBColor(0x9A, 0xA5, 0xB4);
pub const BLUE: RGBColor = RGBColor(0x25, 0x63, 0xEB);
pub const AMBER: RGBColor = RGBColor(0xF5, 0x9E, 0x0B);
pub const TEAL: RGBColor = RGBColor(0x0D, 0x94, 0x88);
pub const RED: RGBColor = RGBColor(0xDC, 0x26, 0x26);
/// "All active customers" and other baselines: a quiet grey that is still a data mark.
pub const BASELINE: RGBColor = RGBColor(0xB4, 0xBE, 0xCC);
pub const PLATINUM: RGBColor = RGBColor(0x4B, 0x55, 0x63);
pub const GOLD: RGBColor = RGBColor(0xD9, 0xA4, 0x06);
pub const SILVER: RGBColor = RGBColor(0xA1, 0xA9, 0xB6);

const FONT: &str = "sans-serif";

/// The grid and axes every chart shares: no minor lines, light major lines, soft axes.
fn house_style<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.light_line_style(WHITE.mix(0.0)).bold_line_style(GRID).axis_style(AXIS)
}
/// Chart widths in pixels (the page shows them at this size, so text keeps its size).
pub const WIDE: u32 = 760;
pub const NARROW: u32 = 520;
const LABEL_CHARS: usize = 36;

/// A drawn chart: the SVG text and the colours of its data marks (`#RRGGBB`, as in the SVG).
#[derive(Debug, Clone)]
pub struct Chart {
    pub svg: String,
    pub mark_colors: Vec<String>,
}

/// How the numbers of an axis and of the value labels read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Percent,
    Money,
    Count,
    Seconds,
}

impl Format {
    pub fn show(self, v: f64) -> String {
        match self {
            Format::Percent if v.abs() < 0.1 && v != 0.0 => format!("{:.1}%", 100.0 * v),
            Format::Percent => format!("{:.0}%", 100.0 * v),
            Format::Money => compact(v),
            Format::Count if v.fract().abs() > 1e-9 && v.abs() < 100.0 => format!("{v:.1}"),
            Format::Count => compact(v),
            Format::Seconds if v < 1.0 => format!("{v:.2} s"),
            Format::Seconds => format!("{v:.1} s"),
        }
    }
}

/// 950, 12.3k, 4.5M.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One series of a bar chart; `colors`, when not empty, gives each bar its own colour.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub colors: Vec<RGBColor>,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: &str, color: RGBColor, values: Vec<f64>) -> Self {
        Self { name: name.to_string(), color, colors: Vec::new(), values }
    }
}

/// Bars per category, one per series, with the value written at the end of each bar.
#[derive(Debug, Clone)]
pub struct Bars {
    pub labels: Vec<String>,
    pub series: Vec<Series>,
    pub format: Format,
    pub horizontal: bool,
    /// In pixels: [`WIDE`] for a chart across the page, [`NARROW`] for one of two side by side.
    pub width: u32,
}

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("report: drawing a chart: {e}"))
}

fn text(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle { font: (FONT, size).into_font(), color: color.to_backend_color(), pos: Pos::new(h, v) }
}

fn clip(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let mut short: String = label.chars().take(max - 1).collect();
    short.push('…');
    short
}

fn finish(svg: String, colors: impl IntoIterator<Item = RGBColor>) -> Chart {
    let mut mark_colors: Vec<String> = colors.into_iter().map(hex).collect();
    mark_colors.sort();
    mark_colors.dedup();
    Chart { svg, mark_colors }
}

/// Legend entries in a row at the top left.
fn legend(root: &DrawingArea<SVGBackend, Shift>, entries: &[(String, RGBColor)], x0: i32) -> Result<(), Error> {
    let mut x = x0;
    for (name, color) in entries {
        root.draw(&Rectangle::new([(x, 10), (x + 12, 22)], color.filled())).map_err(draw_error)?;
        root.draw(&Text::new(name.clone(), (x + 17, 16), text(15.0, INK, HPos::Left, VPos::Center)))
            .map_err(draw_error)?;
        x += 36 + 7 * name.chars().count() as i32;
    }
    Ok(())
}

/// The value range of an axis: from 0 (or the lowest value) to a little above the highest.
fn value_range(series: &[Series]) -> (f64, f64) {
    let values = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let hi = if hi <= lo { lo + 1.0 } else { hi };
    (lo * 1.12, hi * 1.18)
}

/// Grouped bars: categories down the left (horizontal) or along the bottom (vertical).
pub fn bars(spec: &Bars) -> Result<Chart, Error> {
    let (n, k) = (spec.labels.len(), spec.series.len().max(1));
    let with_legend = spec.series.len() > 1;
    let top = if with_legend { 34 } else { 10 };
    let label_width =
        (spec.labels.iter().map(|l| clip(l, LABEL_CHARS).chars().count()).max().unwrap_or(0) as u32 * 7 + 14).min(280);
    let width = spec.width;
    let height = if spec.horizontal { top + 36 + n as u32 * (14 + 12 * k as u32) } else { top + 300 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let (lo, hi) = value_range(&spec.series);
        let fmt = spec.format;
        let label_fmt = move |v: &f64| fmt.show(*v);
        let cats = 0.0..n.max(1) as f64;
        let mut builder = ChartBuilder::on(&root);
        builder.margin_top(top).margin_right(24).margin_bottom(6);
        if spec.horizontal {
            builder.margin_left(label_width + 4).x_label_area_size(26);
        } else {
            builder.margin_left(8).y_label_area_size(56).x_label_area_size(34);
        }
        if spec.horizontal {
            let mut chart = builder.build_cartesian_2d(lo..hi, cats).map_err(draw_error)?;
            house_style(&mut chart.configure_mesh())
                .disable_y_mesh()
                .y_labels(0)
                .x_labels(6)
                .x_label_formatter(&label_fmt)
                .label_style(text(14.0, INK, HPos::Center, VPos::Top))
                .draw()
                .map_err(draw_error)?;
            for (i, label) in spec.labels.iter().enumerate() {
                let row = (n - 1 - i) as f64;
                for (j, s) in spec.series.iter().enumerate() {
                    let Some(&v) = s.values.get(i) else { continue };
                    let color = s.colors.get(i).copied().unwrap_or(s.color);
                    // The first series on top.
                    let slot = (k - 1 - j) as f64;
                    let (y0, y1) = (row + 0.16 + 0.68 * slot / k as f64, row + 0.16 + 0.68 * (slot + 1.0) / k as f64);
                    chart.draw_series([Rectangle::new([(0.0, y0), (v, y1)], color.filled())]).map_err(draw_error)?;
                    let at = chart.backend_coord(&(v.max(0.0), (y0 + y1) / 2.0));
                    root.draw(&Text::new(fmt.show(v), (at.0 + 4, at.1), text(13.0, INK, HPos::Left, VPos::Center)))
                        .map_err(draw_error)?;
                }
                let at = chart.backend_coord(&(lo, row + 0.5));
                root.draw(&Text::new(
                    clip(label, LABEL_CHARS),
                    (at.0 - 8, at.1),
                    text(14.0, INK, HPos::Right, VPos::Center),
                ))
                .map_err(draw_error)?;
            }
        } else {
            let mut chart = builder.build_cartesian_2d(cats, lo..hi).map_err(draw_error)?;
            house_style(&mut chart.configure_mesh())
                .disable_x_mesh()
                .x_labels(0)
                .y_labels(6)
                .y_label_formatter(&label_fmt)
                .label_style(text(14.0, INK, HPos::Right, VPos::Center))
                .draw()
                .map_err(draw_error)?;
            let max_chars = (width as usize / n.max(1) / 7).clamp(3, 16);
            for (i, label) in spec.labels.iter().enumerate() {
                for (j, s) in spec.series.iter().enumerate() {
                    let Some(&v) = s.values.get(i) else { continue };
                    let color = s.colors.get(i).copied().unwrap_or(s.color);
                    let (x0, x1) = (
                        i as f64 + 0.14 + 0.72 * j as f64 / k as f64,
                        i as f64 + 0.14 + 0.72 * (j + 1) as f64 / k as f64,
                    );
                    chart.draw_series([Rectangle::new([(x0, 0.0), (x1, v)], color.filled())]).map_err(draw_error)?;
                    if n * k <= 24 {
                        let at = chart.backend_coord(&((x0 + x1) / 2.0, v.max(0.0)));
                        root.draw(&Text::new(
                            fmt.show(v),
                            (at.0, at.1 - 3),
                            text(12.0, INK, HPos::Center, VPos::Bottom),
                        ))
                        .map_err(draw_error)?;
                    }
                }
                let at = chart.backend_coord(&(i as f64 + 0.5, lo));
                root.draw(&Text::new(
                    clip(label, max_chars),
                    (at.0, at.1 + 8),
                    text(14.0, INK, HPos::Center, VPos::Top),
                ))
                .map_err(draw_error)?;
            }
        }
        if with_legend {
            let entries: Vec<_> = spec.series.iter().map(|s| (s.name.clone(), s.color)).collect();
            legend(&root, &entries, if spec.horizontal { label_width as i32 + 4 } else { 64 })?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(finish(svg, spec.series.iter().flat_map(|s| std::iter::once(s.color).chain(s.colors.iter().copied()))))
}

/// A point of the Pareto curve: cumulative share of customers and of margin.
#[derive(Debug, Clone, Copy)]
pub struct CurvePoint {
    pub customers: f64,
    pub margin: f64,
}

/// The Pareto curve: cumulative share of margin against cumulative share of customers (ranked
/// by margin), the line of equal shares, and the marked points with their labels.
pub fn pareto(points: &[CurvePoint], marked: &[(CurvePoint, String)]) -> Result<Chart, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDE, 400)).into_drawing_area();
        let lo = points.iter().map(|p| p.margin).fold(0.0_f64, f64::min);
        let hi = points.iter().map(|p| p.margin).fold(1.0_f64, f64::max) * 1.05;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(28)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(draw_error)?;
        let pct = |v: &f64| Format::Percent.show(*v);
        house_style(&mut chart.configure_mesh())
            .x_labels(11)
            .y_labels(6)
            .x_label_formatter(&pct)
            .y_label_formatter(&pct)
            .x_desc("share of active customers, ranked by 12-month margin")
            .y_desc("share of 12-month margin")
            .label_style(text(14.0, INK, HPos::Center, VPos::Center))
            .axis_desc_style(text(14.0, INK, HPos::Center, VPos::Center))
            .draw()
            .map_err(draw_error)?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], REFERENCE.stroke_width(1))).map_err(draw_error)?;
        let curve: Vec<(f64, f64)> =
            std::iter::once((0.0, 0.0)).chain(points.iter().map(|p| (p.customers, p.margin))).collect();
        chart.draw_series(LineSeries::new(curve.clone(), BLUE.stroke_width(3))).map_err(draw_error)?;
        chart.draw_series(curve.iter().skip(1).map(|&p| Circle::new(p, 3, BLUE.filled()))).map_err(draw_error)?;
        for (point, label) in marked {
            let at = (point.customers, point.margin);
            chart.draw_series([Circle::new(at, 7, AMBER.filled())]).map_err(draw_error)?;
            let px = chart.backend_coord(&at);
            root.draw(&Text::new(label.clone(), (px.0 + 12, px.1 + 4), text(15.0, INK, HPos::Left, VPos::Top)))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(finish(svg, [BLUE, AMBER]))
}

/// A histogram bin: `[lo, hi)` and how many fall in it.
#[derive(Debug, Clone, Copy)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub count: f64,
}

/// Bars of equal-width bins; the `tail` (count, label), when present, is drawn apart at the
/// right in another colour (values beyond the last bin, e.g. the top 1 %).
pub fn histogram(bins: &[Bin], tail: Option<(f64, String)>, x_format: Format) -> Result<Chart, Error> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDE, 340)).into_drawing_area();
        let first = bins.first().map_or(0.0, |b| b.lo);
        let last = bins.last().map_or(1.0, |b| b.hi);
        let width = bins.first().map_or(1.0, |b| (b.hi - b.lo).max(f64::MIN_POSITIVE));
        let right = if tail.is_some() { last + 1.6 * width } else { last };
        let top = bins.iter().map(|b| b.count).chain(tail.iter().map(|t| t.0)).fold(1.0_f64, f64::max) * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .margin(14)
            .margin_right(28)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(first..right, 0.0..top)
            .map_err(draw_error)?;
        let x_fmt = |v: &f64| if *v <= last + 1e-9 { x_format.show(*v) } else { String::new() };
        let y_fmt = |v: &f64| Format::Count.show(*v);
        house_style(&mut chart.configure_mesh())
            .disable_x_mesh()
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .x_desc("predicted 12-month CLV")
            .y_desc("customers")
            .label_style(text(14.0, INK, HPos::Center, VPos::Center))
            .axis_desc_style(text(14.0, INK, HPos::Center, VPos::Center))
            .draw()
            .map_err(draw_error)?;
        let gap = width * 0.06;
        chart
            .draw_series(bins.iter().map(|b| Rectangle::new([(b.lo + gap, 0.0), (b.hi - gap, b.count)], BLUE.filled())))
            .map_err(draw_error)?;
        if let Some((count, label)) = &tail {
            let (x0, x1) = (last + 0.5 * width, last + 1.5 * width);
            chart.draw_series([Rectangle::new([(x0, 0.0), (x1, *count)], AMBER.filled())]).map_err(draw_error)?;
            let at = chart.backend_coord(&(x1, *count));
            root.draw(&Text::new(label.clone(), (at.0, at.1 - 4), text(13.0, INK, HPos::Right, VPos::Bottom)))
                .map_err(draw_error)?;
        }
        root.present().map_err(draw_error)?;
    }
    Ok(finish(svg, [BLUE, AMBER]))
}
