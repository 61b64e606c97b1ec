//! rwid's execution plan operators, each placed by a rule of
//! `physical_optimizer/` and each giving exactly the rows of the plan it
//! replaces:
//!
//! - [`collapse_runs`]: consecutive rows with equal keys as one row with
//!   their count and sums (`CollapseRunsExec`), with a fused filter;
//! - [`run_scan`]: a Parquet scan read as runs of dictionary keys
//!   (`RunScanExec`);
//! - [`partition_top_k`]: the first K rows per window partition
//!   (`PartitionTopKExec`);
//! - [`sorted_window`]: `row_number`, `lag` and `lead` over sorted input in
//!   whole-array kernels (`SortedWindowExec`);
//! - [`runs`] and `word_bits`: finding runs of equal rows, which all of them
//!   share.

pub mod collapse_runs;
pub mod partition_top_k;
pub mod run_scan;
pub mod runs;
pub mod sorted_window;
mod word_bits;
