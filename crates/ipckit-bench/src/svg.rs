//! `ipckit bench --svg FILE`: the rows drawn as one SVG image (plotters' SVG backend, text
//! as `<text>` elements in a generic sans-serif font, so no font file is needed to write it).
//!
//! One image, two charts one above the other, both with log scales and a legend of
//! mechanisms on the right:
//!
//! - the p50 round trip per mechanism and message size, each ipckit row (solid line, filled
//!   dot) just left of its raw libc twin (dashed line, hollow dot), with a whisker from p50
//!   up to p99;
//! - one-way throughput in MB/s (10^6 bytes per second), drawn the same way.
//!
//! Rows that failed or were skipped have no point; a mechanism with no point at all is left
//! out of the legend.

use std::path::Path;

use anyhow::Context as _;
use plotters::coord::combinators::{BindKeyPoints, IntoLogRange};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::report::{ns_text, size_text, Row};
use crate::scenario::Impl;

/// Width of the image, pixels.
const WIDTH: u32 = 1280;
/// Height of each chart, pixels.
const CHART_HEIGHT: u32 = 620;
/// Height of the title band, pixels.
const TITLE_HEIGHT: u32 = 50;
/// Width of the legend column, pixels.
const LEGEND_WIDTH: u32 = 250;
/// ipckit points sit this factor left of the size, raw points as far right, so that the
/// twins' whiskers do not cover each other.
const NUDGE: f64 = 1.07;

/// Draws `rows` and writes the image to `path`; `title` heads it (the machine line).
///
/// # Errors
/// Drawing failed, or `path` could not be written.
pub fn write_svg(path: &Path, rows: &[Row], title: &str) -> anyhow::Result<()> {
    let svg = render(rows, title)?;
    std::fs::write(path, svg).with_context(|| format!("write {}", path.display()))
}

/// The SVG text of the two charts of `rows`.
///
/// # Errors
/// Drawing failed (plotters' error, e.g. a range it cannot lay out).
pub fn render(rows: &[Row], title: &str) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, TITLE_HEIGHT + 2 * CHART_HEIGHT))
            .into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let (head, body) = root.split_vertically(TITLE_HEIGHT);
        head.draw(&Text::new(
            title.to_string(),
            (20, 16),
            ("sans-serif", 18).into_font(),
        ))
        .map_err(plot_error)?;
        let (charts, legend) = body.split_horizontally(WIDTH - LEGEND_WIDTH);
        let (top, bottom) = charts.split_vertically(CHART_HEIGHT);
        let mechs = mechanisms(rows);
        let sizes = sizes(rows);
        chart(&top, rows, &mechs, &sizes, Figure::Latency)?;
        chart(&bottom, rows, &mechs, &sizes, Figure::Throughput)?;
        draw_legend(&legend, &mechs)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

fn plot_error(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the SVG chart: {e}")
}

/// Which chart.
#[derive(Clone, Copy, PartialEq)]
enum Figure {
    Latency,
    Throughput,
}

/// The (low, middle, high) of a row for a chart: p50 with its p99 whisker, or MB/s alone.
fn values(r: &Row, figure: Figure) -> Option<(f64, f64)> {
    match figure {
        Figure::Latency => r
            .latency_ns
            .as_ref()
            .filter(|l| l.p50 > 0)
            .map(|l| (l.p50 as f64, l.p99.max(l.p50) as f64)),
        Figure::Throughput => r
            .throughput
            .as_ref()
            .filter(|t| t.mb_per_s > 0.0)
            .map(|t| (t.mb_per_s, t.mb_per_s)),
    }
}

/// Mechanisms that have a latency or throughput point, in the order of the rows.
fn mechanisms(rows: &[Row]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in rows {
        let has = values(r, Figure::Latency).is_some() || values(r, Figure::Throughput).is_some();
        if has && !v.contains(&r.mechanism) {
            v.push(r.mechanism.clone());
        }
    }
    v
}

/// The message sizes of the rows, ascending.
fn sizes(rows: &[Row]) -> Vec<usize> {
    let mut v: Vec<usize> = rows.iter().map(|r| r.size_bytes).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// `250`, `12.5`, `0.5`, `0.01`: an axis number with at most three significant digits.
fn number_text(v: f64) -> String {
    let digits = if v >= 100.0 || v == 0.0 {
        0
    } else {
        (2 - v.abs().log10().floor() as i32).clamp(0, 9) as usize
    };
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn color(i: usize) -> RGBAColor {
    Palette99::pick(i).to_rgba()
}

fn chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    rows: &[Row],
    mechs: &[String],
    sizes: &[usize],
    figure: Figure,
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let points: Vec<(&Row, f64, f64)> = rows
        .iter()
        .filter_map(|r| values(r, figure).map(|(a, b)| (r, a, b)))
        .collect();
    let (caption, y_desc) = match figure {
        Figure::Latency => (
            "p50 round trip (log scale; whisker up to p99) - lower is better",
            "round trip",
        ),
        Figure::Throughput => (
            "one-way throughput (log scale) - higher is better",
            "MB/s (10^6 bytes/s)",
        ),
    };
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.2).fold(0.0, f64::max);
    let (lo, hi) = if points.is_empty() {
        (1.0, 10.0)
    } else {
        (lo / 2.0, hi * 2.0)
    };
    let (x_lo, x_hi) = match (sizes.first(), sizes.last()) {
        (Some(&a), Some(&b)) => (a as f64 / 1.6, b as f64 * 1.6),
        _ => (1.0, 10.0),
    };
    let keys: Vec<f64> = sizes.iter().map(|&s| s as f64).collect();
    let mut c = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18).into_font())
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(
            (x_lo..x_hi).log_scale().with_key_points(keys),
            (lo..hi).log_scale(),
        )
        .map_err(plot_error)?;
    c.configure_mesh()
        .x_desc("message size")
        .y_desc(y_desc)
        .x_label_formatter(&|v| size_text(v.round() as usize))
        .y_label_formatter(&|v| match figure {
            Figure::Latency => ns_text(v.round() as u64),
            Figure::Throughput => number_text(*v),
        })
        .label_style(("sans-serif", 13).into_font())
        .axis_desc_style(("sans-serif", 15).into_font())
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_error)?;
    for (i, m) in mechs.iter().enumerate() {
        let col = color(i);
        for imp in [Impl::Ipckit, Impl::Raw] {
            let nudge = if imp == Impl::Ipckit {
                1.0 / NUDGE
            } else {
                NUDGE
            };
            let mut mine: Vec<(f64, f64, f64)> = points
                .iter()
                .filter(|(r, _, _)| r.mechanism == *m && r.implementation == imp.as_str())
                .map(|(r, a, b)| (r.size_bytes as f64 * nudge, *a, *b))
                .collect();
            mine.sort_by(|a, b| a.0.total_cmp(&b.0));
            let line: Vec<(f64, f64)> = mine.iter().map(|p| (p.0, p.1)).collect();
            if imp == Impl::Ipckit {
                c.draw_series(LineSeries::new(line.clone(), col.stroke_width(2)))
                    .map_err(plot_error)?;
                c.draw_series(line.iter().map(|&p| Circle::new(p, 4, col.filled())))
                    .map_err(plot_error)?;
            } else {
                c.draw_series(DashedLineSeries::new(
                    line.clone(),
                    6,
                    4,
                    col.stroke_width(1),
                ))
                .map_err(plot_error)?;
                c.draw_series(line.iter().map(|&p| Circle::new(p, 4, col.stroke_width(1))))
                    .map_err(plot_error)?;
            }
            if figure == Figure::Latency {
                c.draw_series(mine.iter().map(|&(x, p50, p99)| {
                    ErrorBar::new_vertical(x, p50, p50, p99, col.stroke_width(1), 6)
                }))
                .map_err(plot_error)?;
            }
        }
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    mechs: &[String],
) -> anyhow::Result<()>
where
    DB::ErrorType: 'static,
{
    let font = ("sans-serif", 14).into_font();
    let black = BLACK.stroke_width(1);
    let mut y = 40;
    let entry = |y: i32, text: &str| Text::new(text.to_string(), (62, y - 8), font.clone());
    area.draw(&Text::new(
        "mechanism".to_string(),
        (10, y - 28),
        ("sans-serif", 15).into_font(),
    ))
    .map_err(plot_error)?;
    for (i, m) in mechs.iter().enumerate() {
        area.draw(&PathElement::new(
            vec![(10, y), (52, y)],
            color(i).stroke_width(3),
        ))
        .map_err(plot_error)?;
        area.draw(&entry(y, m)).map_err(plot_error)?;
        y += 22;
    }
    y += 24;
    area.draw(&PathElement::new(
        vec![(10, y), (52, y)],
        black.stroke_width(2),
    ))
    .map_err(plot_error)?;
    area.draw(&Circle::new((31, y), 4, BLACK.filled()))
        .map_err(plot_error)?;
    area.draw(&entry(y, "ipckit")).map_err(plot_error)?;
    y += 22;
    area.draw(&DashedPathElement::new(vec![(10, y), (52, y)], 6, 4, black))
        .map_err(plot_error)?;
    area.draw(&Circle::new((31, y), 4, black))
        .map_err(plot_error)?;
    area.draw(&entry(y, "raw libc twin")).map_err(plot_error)?;
    y += 22;
    area.draw(&ErrorBar::new_vertical(31, y + 8, y + 8, y - 8, black, 6))
        .map_err(plot_error)?;
    area.draw(&entry(y, "whisker: p50 to p99"))
        .map_err(plot_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{LatencyNs, ThroughputJson};

    fn row(mech: &str, imp: Impl, size: usize, p50: u64, mb: f64) -> Row {
        Row {
            mechanism: mech.into(),
            implementation: imp.as_str(),
            size_bytes: size,
            latency_ns: Some(LatencyNs {
                p50,
                p99: p50 * 3,
                p999: p50 * 4,
                max: p50 * 5,
                min: p50 / 2,
            }),
            throughput: Some(ThroughputJson {
                mb_per_s: mb,
                msgs_per_s: mb * 1e6 / size as f64,
            }),
            verified: true,
            ratio_vs_raw: None,
            latency_iterations: Some(10),
            throughput_messages: Some(10),
            cpu_ns_per_round_trip: None,
            cpu_ns_per_msg: None,
            skipped: None,
            note: None,
            error: None,
        }
    }

    #[test]
    fn axis_numbers_read_well() {
        assert_eq!(number_text(250.0), "250");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(0.5), "0.5");
        assert_eq!(number_text(0.01), "0.01");
        assert_eq!(number_text(0.0), "0");
    }

    #[test]
    fn both_charts_and_every_mechanism_are_drawn() {
        let mut rows = Vec::new();
        for (m, base) in [("pipe", 4000), ("shm-ring", 900)] {
            for (size, k) in [(64, 1), (4096, 2), (1 << 20, 40)] {
                rows.push(row(m, Impl::Ipckit, size, base * k, 100.0 * k as f64));
                rows.push(row(m, Impl::Raw, size, base * k - 50, 110.0 * k as f64));
            }
        }
        let mut failed = row("signal", Impl::Ipckit, 64, 1, 1.0);
        failed.latency_ns = None;
        failed.throughput = None;
        rows.push(failed);
        let svg = render(&rows, "test machine").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        for text in [
            "pipe",
            "shm-ring",
            "p50 round trip",
            "throughput",
            "64 B",
            "1 MiB",
            "raw libc twin",
        ] {
            assert!(svg.contains(text), "{text} not in the SVG");
        }
        assert!(
            !svg.contains(">signal<"),
            "a mechanism without points is in the legend"
        );
        assert!(svg.contains("</svg>"));
    }
}
