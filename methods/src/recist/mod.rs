//! Tumour response: RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009) in
//! [`recist11`], iRECIST (Seymour et al., Lancet Oncol 2017) in
//! [`irecist`].

pub mod irecist;
pub mod recist11;
