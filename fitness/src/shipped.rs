//! The profiles rwid ships, one per indication of the worked examples,
//! compiled into the binary and read as `builtin:NAME`:
//!
//! - `nsclc_pembrolizumab_recist`: NSCLC on pembrolizumab, at least 20
//!   pack-years, confirmed histology, RECIST 1.1 on chest CT;
//! - `amyloid_pet_centiloid`: amyloid PET quantified in Centiloid;
//! - `cardiac_lvef`: heart failure followed by LVEF.
//!
//! They are data, in `fitness/profiles/`, and a starting point for a
//! study's own.

use crate::profile::{ProfileError, ProfileSource};

/// Every shipped profile: name and text.
pub const SHIPPED: [(&str, &str); 3] = [
    (
        "nsclc_pembrolizumab_recist",
        include_str!("../profiles/nsclc_pembrolizumab_recist.toml"),
    ),
    (
        "amyloid_pet_centiloid",
        include_str!("../profiles/amyloid_pet_centiloid.toml"),
    ),
    (
        "cardiac_lvef",
        include_str!("../profiles/cardiac_lvef.toml"),
    ),
];

/// Reads a profile: `builtin:NAME` for a shipped one, else a file path.
pub fn read_profile(reference: &str) -> Result<ProfileSource, ProfileError> {
    match reference.strip_prefix("builtin:") {
        Some(name) => {
            let (_, text) = SHIPPED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
                let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
                ProfileError(format!(
                    "no shipped profile '{name}'; the shipped ones are {}",
                    names.join(", ")
                ))
            })?;
            ProfileSource::parse(text, reference)
        }
        None => ProfileSource::read(std::path::Path::new(reference)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_profile_reads() {
        for (name, _) in SHIPPED {
            let source = read_profile(&format!("builtin:{name}")).unwrap();
            assert_eq!(source.profile.id, name);
        }
        let error = read_profile("builtin:nsclc").unwrap_err().0;
        assert!(error.contains("nsclc_pembrolizumab_recist"), "{error}");
        let error = read_profile("no/such/profile.toml").unwrap_err().0;
        assert!(error.contains("no/such/profile.toml"), "{error}");
    }
}
