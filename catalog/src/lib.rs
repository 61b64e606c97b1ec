//! Tables for rwid: the lake catalog that mounts a folder or bucket of Parquet
//! tables as SQL schemas, and the standard schemas those tables follow.

pub mod lake;
pub mod schemas;
