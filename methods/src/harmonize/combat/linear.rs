//! The little linear algebra and statistics ComBat needs, as NumPy
//! computes them.

/// A dense row-major matrix, as small as ComBat needs.
#[derive(Debug, Clone)]
pub(super) struct Matrix {
    cols: usize,
    /// Row after row.
    pub(super) data: Vec<f64>,
}

impl Matrix {
    pub(super) fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub(super) fn at(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    pub(super) fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }

    pub(super) fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// Solves normal equations `[XᵀX | XᵀY]` (p × (p + G)) for the p × G
/// coefficients by Gauss-Jordan elimination with partial pivoting; `None`
/// when XᵀX is singular.
pub(super) fn solve_normal(mut a: Matrix, p: usize, g: usize) -> Option<Matrix> {
    let width = p + g;
    let scale = (0..p).map(|i| a.at(i, i).abs()).fold(0.0, f64::max);
    for col in 0..p {
        let pivot = (col..p)
            .max_by(|&i, &j| a.at(i, col).abs().total_cmp(&a.at(j, col).abs()))
            .expect("p > 0");
        if a.at(pivot, col).abs() <= 1e-10 * scale.max(f64::MIN_POSITIVE) {
            return None;
        }
        if pivot != col {
            for c in 0..width {
                a.data.swap(pivot * width + c, col * width + c);
            }
        }
        let inverse = 1.0 / a.at(col, col);
        for c in 0..width {
            a.data[col * width + c] *= inverse;
        }
        for r in 0..p {
            let factor = a.at(r, col);
            if r == col || factor == 0.0 {
                continue;
            }
            for c in 0..width {
                let v = a.at(col, c);
                a.data[r * width + c] -= factor * v;
            }
        }
    }
    let mut b = Matrix::zeros(p, g);
    for r in 0..p {
        b.data[r * g..(r + 1) * g].copy_from_slice(&a.data[r * width + p..(r + 1) * width]);
    }
    Some(b)
}

pub(super) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample variance (ddof = 1), NaN for fewer than two values as NumPy.
pub(super) fn variance(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (values.len() as f64 - 1.0)
}

/// NumPy's `array.max()`: NaN as soon as one value is NaN.
pub(super) fn nan_max(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(f64::NEG_INFINITY, |a, b| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            a.max(b)
        }
    })
}
