//! Min, median and max of one figure over a benchmark's interleaved runs: every benchmark reports
//! its figures this way.

use serde::Serialize;

/// Min, median and max of one figure over the runs, and every run's value in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
    pub runs: Vec<f64>,
}

impl Spread {
    /// The spread of `values`; a value that is not finite (a division by a zero baseline) is kept
    /// in `runs` but not counted.
    pub fn of(values: impl AsRef<[f64]>) -> Spread {
        let runs: Vec<f64> = values.as_ref().to_vec();
        let mut v: Vec<f64> = runs.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let Some((&min, &max)) = v.first().zip(v.last()) else {
            return Spread {
                runs,
                ..Spread::default()
            };
        };
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Spread {
            min,
            median,
            max,
            runs,
        }
    }

    /// `min / median / max` with `digits` decimals, for a table.
    pub fn show(&self, digits: usize) -> String {
        format!(
            "{:.d$} / {:.d$} / {:.d$}",
            self.min,
            self.median,
            self.max,
            d = digits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn x4_spread_is_min_median_max() {
        let s = Spread::of([3.0, 1.0, 2.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.0, 3.0));
        assert_eq!(s.runs, [3.0, 1.0, 2.0]);
        let s = Spread::of(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 4.0));
        let s = Spread::of([f64::INFINITY, 2.0]);
        assert_eq!((s.min, s.median, s.max, s.runs.len()), (2.0, 2.0, 2.0, 2));
    }
}
