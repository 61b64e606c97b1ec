//! Parquet's RLE / bit-packing hybrid encoding, read as runs.
//!
//! Dictionary indices and definition levels are stored this way (Parquet
//! format, `Encodings.md`, "Run Length Encoding / Bit-Packing Hybrid"): a
//! sequence of runs, each a ULEB128 header whose lowest bit tells a
//! repeated value (`header >> 1` copies of one value stored in
//! `ceil(bit_width / 8)` little-endian bytes) from a bit-packed run
//! (`header >> 1` groups of eight values, `bit_width` bits each, least
//! significant bit first). Writers use a repeated run for eight or more
//! equal values, so a clustered column (a series' hundreds of instances
//! with one PatientID) comes out as a handful of runs per page: reading
//! the runs instead of the values is what makes [`super::RunScanExec`]
//! cheap.

/// `Runs` marks a NULL (a definition level below the maximum) with this
/// key, which no dictionary of fewer than 2^32 - 2 entries can hold.
pub(super) const NULL_KEY: u32 = u32::MAX;
/// `Runs` marks the rows of a page left unread with this key (no row of
/// such a page is selected, so no segment takes it).
pub(super) const SKIPPED_KEY: u32 = u32::MAX - 1;

/// Consecutive values as (value, count) runs, equal neighbours merged.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Runs(Vec<(u32, u32)>);

impl Runs {
    /// Appends `count` copies of `value`.
    pub(super) fn push(&mut self, value: u32, count: u32) {
        if count == 0 {
            return;
        }
        match self.0.last_mut() {
            Some((last, last_count)) if *last == value => *last_count += count,
            _ => self.0.push((value, count)),
        }
    }

    pub(super) fn as_slice(&self) -> &[(u32, u32)] {
        &self.0
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }

    /// The number of values in all runs.
    pub(super) fn values(&self) -> u64 {
        self.0.iter().map(|&(_, count)| u64::from(count)).sum()
    }
}

/// Decodes the first `count` values of `data`, hybrid-encoded with
/// `bit_width` bits per value, handing each run to `emit` as (value,
/// count) until `emit` returns `false`. Whether every value was handed on;
/// `None` when `data` ends early or is not this encoding (a bit width over
/// 32, a header over 64 bits).
pub(super) fn decode(
    data: &[u8],
    bit_width: u8,
    count: usize,
    mut emit: impl FnMut(u32, u32) -> bool,
) -> Option<bool> {
    if bit_width > 32 {
        return None;
    }
    let width = usize::from(bit_width);
    let mut remaining = count;
    let mut at = 0;
    while remaining > 0 {
        let header = read_uleb128(data, &mut at)?;
        let length = usize::try_from(header >> 1).ok()?;
        if header & 1 == 0 {
            // A repeated value.
            let bytes = data.get(at..at.checked_add(width.div_ceil(8))?)?;
            at += bytes.len();
            let value = bytes
                .iter()
                .rev()
                .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
            let taken = length.min(remaining);
            if !emit(value, u32::try_from(taken).ok()?) {
                return Some(false);
            }
            remaining -= taken;
        } else {
            // `length` groups of eight bit-packed values; the last group may
            // be padded past the values the page holds.
            let bytes = data.get(at..at.checked_add(length.checked_mul(width)?)?)?;
            at += bytes.len();
            let taken = length.checked_mul(8)?.min(remaining);
            if !unpack(bytes, bit_width, taken, &mut emit) {
                return Some(false);
            }
            remaining -= taken;
        }
    }
    Some(true)
}

/// The first `count` values of `packed` (`bit_width` <= 32 bits each,
/// least significant bit first), each handed to `emit` as a run of one
/// while it returns `true`; whether it always did.
fn unpack(
    packed: &[u8],
    bit_width: u8,
    count: usize,
    emit: &mut impl FnMut(u32, u32) -> bool,
) -> bool {
    if bit_width == 0 {
        return emit(0, u32::try_from(count).unwrap_or(u32::MAX));
    }
    let width = usize::from(bit_width);
    let mask = (1u64 << width) - 1;
    for index in 0..count {
        let bit = index * width;
        let byte = bit / 8;
        // Eight bytes from the value's first byte (zero past the end) hold
        // all of it: at most 7 bits of offset plus 32 of value.
        let mut word = [0u8; 8];
        let end = (byte + 8).min(packed.len());
        word[..end - byte].copy_from_slice(&packed[byte..end]);
        let value = (u64::from_le_bytes(word) >> (bit % 8)) & mask;
        if !emit(value as u32, 1) {
            return false;
        }
    }
    true
}

/// A ULEB128 number at `*at`, moving `*at` past it.
fn read_uleb128(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format specification's example of bit-packing: 0..=7 with 3
    /// bits each is 10001000 11000110 11111010, after a header of one
    /// group ((1 << 1) | 1); then 300 copies of 5 (header 600 as ULEB128:
    /// 0xd8 0x04) in one byte.
    const SPEC_EXAMPLE: [u8; 7] = [
        0x03,
        0b1000_1000,
        0b1100_0110,
        0b1111_1010,
        0xd8,
        0x04,
        0x05,
    ];

    fn runs_of(data: &[u8], bit_width: u8, count: usize) -> Option<Vec<(u32, u32)>> {
        let mut runs = Runs::default();
        let finished = decode(data, bit_width, count, |value, count| {
            runs.push(value, count);
            true
        })?;
        assert!(finished);
        Some(runs.0)
    }

    #[test]
    fn repeated_and_bit_packed_runs() {
        let data = SPEC_EXAMPLE;
        let expected: Vec<(u32, u32)> = (0..8).map(|v| (v, 1)).chain([(5, 300)]).collect();
        assert_eq!(runs_of(&data, 3, 308), Some(expected));
        // Fewer values than the data holds: the rest is padding.
        assert_eq!(runs_of(&data, 3, 3), Some(vec![(0, 1), (1, 1), (2, 1)]));
        assert_eq!(
            runs_of(&data, 3, 10),
            Some((0..8).map(|v| (v, 1)).chain([(5, 2)]).collect())
        );
    }

    #[test]
    fn equal_neighbours_merge_across_runs() {
        // Bit-packed 7 x 2 then 1 x 3 (width 2: 0b10 repeated), then a
        // repeated run of 3s.
        let packed = [0b1010_1010, 0b1110_1010];
        let data = [0x03, packed[0], packed[1], 0x08, 0x03];
        assert_eq!(runs_of(&data, 2, 12), Some(vec![(2, 7), (3, 5)]));
    }

    #[test]
    fn wide_values_and_width_zero() {
        // A 20-bit value repeated: three little-endian bytes.
        assert_eq!(
            runs_of(&[0x0a, 0x56, 0x34, 0x0f], 20, 5),
            Some(vec![(0xf3456, 5)])
        );
        // A dictionary of one entry: width 0, no value bytes.
        assert_eq!(runs_of(&[0x14], 0, 10), Some(vec![(0, 10)]));
        assert_eq!(runs_of(&[0x03], 0, 8), Some(vec![(0, 8)]));
        // 32-bit bit-packed values.
        let mut data = vec![0x03];
        for value in [u32::MAX - 1, 7, 0, 1, 2, 3, 4, 5] {
            data.extend_from_slice(&value.to_le_bytes());
        }
        assert_eq!(
            runs_of(&data, 32, 8),
            Some(
                [u32::MAX - 1, 7, 0, 1, 2, 3, 4, 5]
                    .into_iter()
                    .map(|v| (v, 1))
                    .collect()
            )
        );
    }

    #[test]
    fn decoding_stops_when_told() {
        // Three bit-packed values handed on, the third refused: then the
        // repeated run is never read.
        let data = SPEC_EXAMPLE;
        let mut seen = Vec::new();
        let finished = decode(&data, 3, 308, |value, count| {
            seen.push((value, count));
            seen.len() < 3
        });
        assert_eq!(finished, Some(false));
        assert_eq!(seen, [(0, 1), (1, 1), (2, 1)]);
    }

    #[test]
    fn truncated_or_foreign_data_is_refused() {
        // A repeated run whose value byte is missing.
        assert_eq!(runs_of(&[0x08], 8, 4), None);
        // Two groups announced, one present.
        assert_eq!(runs_of(&[0x05, 0xff], 8, 16), None);
        // More values wanted than the data holds.
        assert_eq!(runs_of(&[0x08, 0x01], 8, 5), None);
        // A header that never ends.
        assert_eq!(runs_of(&[0xff; 12], 8, 1), None);
        assert_eq!(runs_of(&[0x02, 0x00], 33, 1), None);
        // Nothing wanted, nothing read.
        assert_eq!(runs_of(&[], 8, 0), Some(vec![]));
    }
}
