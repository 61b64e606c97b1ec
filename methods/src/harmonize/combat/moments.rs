//! The samples ComBat is fitted to, kept as sufficient statistics instead
//! of a sample matrix.
//!
//! Every quantity of the fit (the least squares of the features on the
//! design, the pooled residual variance, the standardized data's per-batch
//! means and sums of squares, and with them both empirical Bayes variants)
//! is linear or quadratic in the samples. Group the samples into *cells*,
//! one per batch and combination of categorical levels: within a cell the
//! batch and categorical design columns are constant, so the cell's count,
//! its means and its centered sums of squares and cross-products of the
//! features and continuous covariates determine every one of those sums.
//! The fit then needs memory per cell, not per sample; samples arrive a
//! block at a time (a record batch) and partial results merge.
//!
//! Centered sums are used, not raw ones: a block's sums are taken around
//! its own cell means (two passes over data in cache), and blocks merge
//! with the pairwise update of Chan, Golub & LeVeque (The American
//! Statistician 1983;37:242-247), so no sum of squares of large values is
//! differenced.

use std::collections::HashMap;

use rayon::prelude::*;

/// One cell's statistics: count, means, and centered sums of squares and
/// cross-products.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub batch: String,
    /// One level per categorical covariate.
    pub levels: Vec<String>,
    pub count: usize,
    /// Per continuous covariate.
    pub continuous_mean: Vec<f64>,
    /// Σ (x - x̄)(x - x̄)ᵀ over the continuous covariates, m × m row-major.
    pub continuous_squares: Vec<f64>,
    /// Per feature.
    pub feature_mean: Vec<f64>,
    /// Per feature: Σ (y - ȳ)².
    pub feature_squares: Vec<f64>,
    /// Σ (x_c - x̄_c)(y_f - ȳ_f): m rows (covariates) of G (features).
    pub cross: Vec<f64>,
}

impl Cell {
    fn empty(batch: &str, levels: &[&str], shape: Shape) -> Self {
        let (g, m) = (shape.features, shape.continuous);
        Self {
            batch: batch.to_string(),
            levels: levels.iter().map(|l| l.to_string()).collect(),
            count: 0,
            continuous_mean: vec![0.0; m],
            continuous_squares: vec![0.0; m * m],
            feature_mean: vec![0.0; g],
            feature_squares: vec![0.0; g],
            cross: vec![0.0; m * g],
        }
    }

    /// Adds `other`'s samples (Chan et al.'s pairwise update): the means
    /// move by their difference weighted by counts, the sums of squares
    /// gain the between-part term `δ_a δ_b n_A n_B / n`.
    fn merge(&mut self, other: &Cell) {
        if other.count == 0 {
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let weight = na * nb / n;
        let difference = |theirs: &[f64], mine: &[f64]| -> Vec<f64> {
            theirs.iter().zip(mine).map(|(b, a)| b - a).collect()
        };
        let delta_x = difference(&other.continuous_mean, &self.continuous_mean);
        let delta_y = difference(&other.feature_mean, &self.feature_mean);
        let m = delta_x.len();
        for a in 0..m {
            for b in 0..m {
                self.continuous_squares[a * m + b] +=
                    other.continuous_squares[a * m + b] + delta_x[a] * delta_x[b] * weight;
            }
            let (mine, theirs) = (
                &mut self.cross[a * delta_y.len()..(a + 1) * delta_y.len()],
                &other.cross[a * delta_y.len()..(a + 1) * delta_y.len()],
            );
            for ((s, o), dy) in mine.iter_mut().zip(theirs).zip(&delta_y) {
                *s += o + delta_x[a] * dy * weight;
            }
        }
        for ((s, o), dy) in self
            .feature_squares
            .iter_mut()
            .zip(&other.feature_squares)
            .zip(&delta_y)
        {
            *s += o + dy * dy * weight;
        }
        for (mean, d) in self.continuous_mean.iter_mut().zip(&delta_x) {
            *mean += d * nb / n;
        }
        for (mean, d) in self.feature_mean.iter_mut().zip(&delta_y) {
            *mean += d * nb / n;
        }
        self.count += other.count;
    }

    /// The statistics as one run of numbers (means, then sums), as the
    /// aggregate's partial state carries them; [`Self::from_numbers`]
    /// reads them back.
    pub fn numbers(&self, out: &mut Vec<f64>) {
        out.extend_from_slice(&self.continuous_mean);
        out.extend_from_slice(&self.continuous_squares);
        out.extend_from_slice(&self.feature_mean);
        out.extend_from_slice(&self.feature_squares);
        out.extend_from_slice(&self.cross);
    }

    /// How many numbers [`Self::numbers`] writes for a shape.
    pub fn numbers_len(shape: Shape) -> usize {
        let (g, m) = (shape.features, shape.continuous);
        m + m * m + 2 * g + m * g
    }

    pub fn from_numbers(
        batch: String,
        levels: Vec<String>,
        count: usize,
        shape: Shape,
        numbers: &[f64],
    ) -> Result<Self, String> {
        if numbers.len() != Self::numbers_len(shape) || levels.len() != shape.categorical {
            return Err(format!(
                "a partial ComBat state for batch '{batch}' does not fit the shape {shape:?}"
            ));
        }
        let (g, m) = (shape.features, shape.continuous);
        let mut rest = numbers;
        let mut take = |len: usize| {
            let (head, tail) = rest.split_at(len);
            rest = tail;
            head.to_vec()
        };
        Ok(Self {
            batch,
            levels,
            count,
            continuous_mean: take(m),
            continuous_squares: take(m * m),
            feature_mean: take(g),
            feature_squares: take(g),
            cross: take(m * g),
        })
    }
}

/// How many features and covariates each sample has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub features: usize,
    pub categorical: usize,
    pub continuous: usize,
}

/// One block of samples, as [`SampleMoments::add_block`] takes them.
#[derive(Debug, Clone, Copy)]
pub struct SampleBlock<'a> {
    /// One batch label per sample.
    pub batches: &'a [&'a str],
    /// Sample-major, `shape.categorical` levels per sample.
    pub categorical: &'a [&'a str],
    /// Sample-major, `shape.continuous` values per sample.
    pub continuous: &'a [f64],
    /// Feature-major: one slice per feature, one value per sample.
    pub features: &'a [&'a [f64]],
}

/// The samples to fit ComBat on, as per-cell statistics.
#[derive(Debug, Clone)]
pub struct SampleMoments {
    shape: Shape,
    samples: usize,
    /// In the order first seen.
    cells: Vec<Cell>,
    /// Cell key (batch and levels joined by a unit separator) to its index.
    index: HashMap<String, usize>,
}

/// Separates a cell key's parts; cannot be confused with label text in practice.
const KEY_SEPARATOR: char = '\u{1f}';

impl SampleMoments {
    pub fn new(shape: Shape) -> Self {
        Self {
            shape,
            samples: 0,
            cells: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Samples added so far.
    pub fn len(&self) -> usize {
        self.samples
    }

    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    fn cell_index(&mut self, key: &mut String, batch: &str, levels: &[&str]) -> usize {
        key.clear();
        key.push_str(batch);
        for level in levels {
            key.push(KEY_SEPARATOR);
            key.push_str(level);
        }
        if let Some(&index) = self.index.get(key.as_str()) {
            return index;
        }
        self.cells.push(Cell::empty(batch, levels, self.shape));
        self.index.insert(key.clone(), self.cells.len() - 1);
        self.cells.len() - 1
    }

    /// Adds a cell computed elsewhere (a partition's partial state).
    pub fn merge_cell(&mut self, cell: Cell) -> Result<(), String> {
        if cell.levels.len() != self.shape.categorical
            || cell.feature_mean.len() != self.shape.features
            || cell.continuous_mean.len() != self.shape.continuous
        {
            return Err(format!(
                "a partial ComBat state for batch '{}' does not fit the shape {:?}",
                cell.batch, self.shape
            ));
        }
        let levels: Vec<&str> = cell.levels.iter().map(String::as_str).collect();
        let index = self.cell_index(&mut String::new(), &cell.batch, &levels);
        self.samples += cell.count;
        self.cells[index].merge(&cell);
        Ok(())
    }

    /// Adds a block of samples. Non-finite values are errors naming the
    /// sample (counted from the first ever added) and the feature or
    /// covariate; nothing is added then.
    pub fn add_block(&mut self, block: SampleBlock<'_>) -> Result<(), String> {
        let Shape {
            features: g,
            categorical: c,
            continuous: m,
        } = self.shape;
        let rows = block.batches.len();
        if block.categorical.len() != rows * c
            || block.continuous.len() != rows * m
            || block.features.len() != g
            || block.features.iter().any(|f| f.len() != rows)
        {
            return Err(format!(
                "a block of {rows} samples does not fit the shape {:?}",
                self.shape
            ));
        }
        if let Some(position) = block.continuous.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "continuous covariate {} of sample {} is {}: covariates must be finite",
                position % m + 1,
                self.samples + position / m + 1,
                block.continuous[position]
            ));
        }
        for (f, values) in block.features.iter().enumerate() {
            // Without an early exit the check vectorizes; the position is
            // looked for only when there is one.
            if values.iter().fold(false, |bad, v| bad | !v.is_finite()) {
                let j = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
                return Err(format!(
                    "feature {} of sample {} is {}: ComBat needs finite values (filter or impute them first)",
                    f + 1,
                    self.samples + j + 1,
                    values[j]
                ));
            }
        }

        // The block's cells, numbered locally in first-seen order.
        let mut key = String::new();
        let mut global_of_local: Vec<usize> = Vec::new();
        let mut local_of_global: HashMap<usize, usize> = HashMap::new();
        let row_cell: Vec<usize> = (0..rows)
            .map(|j| {
                let global = self.cell_index(
                    &mut key,
                    block.batches[j],
                    &block.categorical[j * c..(j + 1) * c],
                );
                *local_of_global.entry(global).or_insert_with(|| {
                    global_of_local.push(global);
                    global_of_local.len() - 1
                })
            })
            .collect();
        let cells = global_of_local.len();
        // Labels are the global cell's; the local ones carry numbers only.
        let mut local: Vec<Cell> = (0..cells)
            .map(|_| Cell::empty("", &[], self.shape))
            .collect();
        for &l in &row_cell {
            local[l].count += 1;
        }

        // Continuous covariates: means, then deviations (kept for the
        // cross-products) and their squares.
        let mut deviations = vec![0.0; rows * m];
        if m > 0 {
            for (j, &l) in row_cell.iter().enumerate() {
                for (mean, x) in local[l]
                    .continuous_mean
                    .iter_mut()
                    .zip(&block.continuous[j * m..(j + 1) * m])
                {
                    *mean += x;
                }
            }
            for cell in &mut local {
                let count = cell.count as f64;
                cell.continuous_mean.iter_mut().for_each(|s| *s /= count);
            }
            for (j, &l) in row_cell.iter().enumerate() {
                let cell = &mut local[l];
                let d = &mut deviations[j * m..(j + 1) * m];
                for ((d, x), mean) in d
                    .iter_mut()
                    .zip(&block.continuous[j * m..(j + 1) * m])
                    .zip(&cell.continuous_mean)
                {
                    *d = x - mean;
                }
                for a in 0..m {
                    for b in 0..m {
                        cell.continuous_squares[a * m + b] += d[a] * d[b];
                    }
                }
            }
        }

        // Features, one pass per column: sums around a shift close to the
        // cell's mean (the mean so far, or the block's first value for a
        // new cell), from which the block's mean and centered sums follow
        // without cancelling large terms.
        let mut first_row = vec![usize::MAX; cells];
        for (j, &l) in row_cell.iter().enumerate() {
            first_row[l] = first_row[l].min(j);
        }
        let mut deviation_sums = vec![0.0; cells * m];
        for (j, &l) in row_cell.iter().enumerate() {
            for (s, d) in deviation_sums[l * m..(l + 1) * m]
                .iter_mut()
                .zip(&deviations[j * m..(j + 1) * m])
            {
                *s += d;
            }
        }
        // Per feature, per local cell: mean, sum of squares, m
        // cross-products. Features are independent: they are spread over
        // every core, as a one-row-group Parquet file gives one partition
        // all of its rows.
        let stride = 2 + m;
        let known: Vec<&Cell> = global_of_local.iter().map(|&g| &self.cells[g]).collect();
        let counts: Vec<usize> = local.iter().map(|c| c.count).collect();
        let statistics: Vec<Vec<f64>> = (0..g)
            .into_par_iter()
            .with_min_len(8)
            .map(|f| {
                let values = block.features[f];
                let shift: Vec<f64> = known
                    .iter()
                    .enumerate()
                    .map(|(l, cell)| {
                        if cell.count > 0 {
                            cell.feature_mean[f]
                        } else {
                            values[first_row[l]]
                        }
                    })
                    .collect();
                let mut sums = vec![0.0; cells];
                let mut squares = vec![0.0; cells];
                let mut cross = vec![0.0; cells * m];
                for (j, (&l, y)) in row_cell.iter().zip(values.iter()).enumerate() {
                    let d = y - shift[l];
                    sums[l] += d;
                    squares[l] += d * d;
                    for (a, dx) in deviations[j * m..(j + 1) * m].iter().enumerate() {
                        cross[l * m + a] += dx * d;
                    }
                }
                let mut out = Vec::with_capacity(cells * stride);
                for l in 0..cells {
                    let offset = sums[l] / counts[l] as f64;
                    out.push(shift[l] + offset);
                    out.push((squares[l] - sums[l] * offset).max(0.0));
                    out.extend(
                        (0..m).map(|a| cross[l * m + a] - deviation_sums[l * m + a] * offset),
                    );
                }
                out
            })
            .collect();
        for (f, per_cell) in statistics.iter().enumerate() {
            for (cell, values) in local.iter_mut().zip(per_cell.chunks(stride)) {
                cell.feature_mean[f] = values[0];
                cell.feature_squares[f] = values[1];
                for a in 0..m {
                    cell.cross[a * g + f] = values[2 + a];
                }
            }
        }

        for (cell, global) in local.iter().zip(global_of_local) {
            self.cells[global].merge(cell);
        }
        self.samples += rows;
        Ok(())
    }
}

/// A sample given row-wise, as tests write them: batch, categorical levels,
/// continuous covariates, features.
#[cfg(test)]
pub(crate) type RowSample<'a> = (&'a str, Vec<&'a str>, Vec<f64>, Vec<f64>);

#[cfg(test)]
impl SampleMoments {
    /// Adds samples given row-wise, transposed into one block.
    pub(crate) fn add_rows(&mut self, rows: &[RowSample<'_>]) -> Result<(), String> {
        let batches: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let levels: Vec<&str> = rows.iter().flat_map(|r| r.1.iter().copied()).collect();
        let continuous: Vec<f64> = rows.iter().flat_map(|r| r.2.iter().copied()).collect();
        let columns: Vec<Vec<f64>> = (0..self.shape.features)
            .map(|f| rows.iter().map(|r| r.3[f]).collect())
            .collect();
        let features: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        self.add_block(SampleBlock {
            batches: &batches,
            categorical: &levels,
            continuous: &continuous,
            features: &features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        features: 2,
        categorical: 1,
        continuous: 2,
    };

    /// (batch, level, continuous, features).
    type Sample = (&'static str, &'static str, [f64; 2], [f64; 2]);

    /// 30 samples in 2 batches and 2 levels.
    fn samples() -> Vec<Sample> {
        (0..30)
            .map(|j| {
                let x = [j as f64 * 0.5 + 1e3, ((j * 7) % 11) as f64];
                let y = [1e5 + (j * j % 17) as f64, -3.0 + x[1] * 0.25];
                let batch = if j % 3 == 0 { "A" } else { "B" };
                let level = if j % 2 == 0 { "F" } else { "M" };
                (batch, level, x, y)
            })
            .collect()
    }

    fn add(moments: &mut SampleMoments, rows: &[Sample]) {
        let rows: Vec<RowSample> = rows
            .iter()
            .map(|r| (r.0, vec![r.1], r.2.to_vec(), r.3.to_vec()))
            .collect();
        moments.add_rows(&rows).unwrap();
    }

    /// The cell's statistics computed directly, two passes over its samples.
    fn direct(batch: &str, level: &str) -> Cell {
        let rows: Vec<_> = samples()
            .into_iter()
            .filter(|r| r.0 == batch && r.1 == level)
            .collect();
        let n = rows.len() as f64;
        let xm: Vec<f64> = (0..2)
            .map(|a| rows.iter().map(|r| r.2[a]).sum::<f64>() / n)
            .collect();
        let ym: Vec<f64> = (0..2)
            .map(|f| rows.iter().map(|r| r.3[f]).sum::<f64>() / n)
            .collect();
        let sum = |value: &dyn Fn(&Sample) -> f64| -> f64 { rows.iter().map(value).sum() };
        Cell {
            batch: batch.to_string(),
            levels: vec![level.to_string()],
            count: rows.len(),
            continuous_squares: (0..4)
                .map(|i| sum(&|r| (r.2[i / 2] - xm[i / 2]) * (r.2[i % 2] - xm[i % 2])))
                .collect(),
            feature_squares: (0..2).map(|f| sum(&|r| (r.3[f] - ym[f]).powi(2))).collect(),
            cross: (0..4)
                .map(|i| sum(&|r| (r.2[i / 2] - xm[i / 2]) * (r.3[i % 2] - ym[i % 2])))
                .collect(),
            continuous_mean: xm,
            feature_mean: ym,
        }
    }

    /// Up to rounding: values lie far from zero for their spread (1e3 and
    /// 1e5), and blocks of one sample merge 30 times.
    fn assert_close(a: &[f64], b: &[f64]) {
        let size = b.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-8 * size, "{a:?} vs {b:?}");
        }
    }

    /// Blocks of any size, and partial results merged in any order, give
    /// the statistics of the cell's samples taken at once.
    #[test]
    fn blocks_and_merges_equal_the_direct_statistics() {
        let all = samples();
        for block in [1, 4, 7, 30] {
            let mut moments = SampleMoments::new(SHAPE);
            for rows in all.chunks(block) {
                add(&mut moments, rows);
            }
            // Two partitions merged, the second's cells first.
            let mut first = SampleMoments::new(SHAPE);
            let mut second = SampleMoments::new(SHAPE);
            add(&mut first, &all[..13]);
            add(&mut second, &all[13..]);
            let mut merged = SampleMoments::new(SHAPE);
            for cell in second.cells().iter().chain(first.cells()) {
                merged.merge_cell(cell.clone()).unwrap();
            }
            for result in [&moments, &merged] {
                assert_eq!(result.len(), 30);
                assert_eq!(result.cells().len(), 4);
                for cell in result.cells() {
                    let expected = direct(&cell.batch, &cell.levels[0]);
                    assert_eq!(cell.count, expected.count);
                    assert_close(&cell.continuous_mean, &expected.continuous_mean);
                    assert_close(&cell.continuous_squares, &expected.continuous_squares);
                    assert_close(&cell.feature_mean, &expected.feature_mean);
                    assert_close(&cell.feature_squares, &expected.feature_squares);
                    assert_close(&cell.cross, &expected.cross);
                }
            }
        }
    }

    #[test]
    fn numbers_round_trip() {
        let mut moments = SampleMoments::new(SHAPE);
        add(&mut moments, &samples());
        let cell = moments.cells()[0].clone();
        let mut numbers = Vec::new();
        cell.numbers(&mut numbers);
        assert_eq!(numbers.len(), Cell::numbers_len(SHAPE));
        let back = Cell::from_numbers(
            cell.batch.clone(),
            cell.levels.clone(),
            cell.count,
            SHAPE,
            &numbers,
        )
        .unwrap();
        assert_eq!(back, cell);
        assert!(Cell::from_numbers("A".into(), vec![], 1, SHAPE, &numbers).is_err());
    }

    #[test]
    fn non_finite_values_name_the_sample() {
        let mut moments = SampleMoments::new(SHAPE);
        add(&mut moments, &samples()[..3]);
        let features: [&[f64]; 2] = [&[1.0, f64::NAN], &[1.0, 2.0]];
        let error = moments
            .add_block(SampleBlock {
                batches: &["A", "A"],
                categorical: &["F", "F"],
                continuous: &[1.0, 2.0, 3.0, 4.0],
                features: &features,
            })
            .unwrap_err();
        assert!(error.contains("feature 1 of sample 5 is NaN"), "{error}");
        let error = moments
            .add_block(SampleBlock {
                batches: &["A", "A"],
                categorical: &["F", "F"],
                continuous: &[1.0, 2.0, f64::INFINITY, 4.0],
                features: &[&[1.0, 2.0], &[1.0, 2.0]],
            })
            .unwrap_err();
        assert!(
            error.contains("continuous covariate 1 of sample 5 is inf"),
            "{error}"
        );
        assert_eq!(moments.len(), 3);
    }
}
