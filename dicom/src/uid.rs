//! Stable integer identifiers for DICOM UIDs.

/// FNV-1a, 64 bits (Fowler, Noll and Vo; IETF draft-eastlake-fnv), with the
/// sign bit cleared so the identifier is a positive BIGINT. Padding (spaces,
/// NULs) is not part of a UID and is ignored.
pub fn uid_id(uid: &str) -> i64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let uid = uid.trim_matches(|c: char| c == ' ' || c == '\0');
    let hash = uid.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    (hash & i64::MAX as u64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_positive_and_padding_blind() {
        // Reference values computed independently (FNV-1a 64 in Python).
        assert_eq!(uid_id("1.2.3"), 5094958388338193583);
        assert_eq!(
            uid_id("1.2.840.113619.2.55.3.604688119.969.1268071029.320"),
            115981503720291142
        );
        assert_eq!(uid_id("1.2.3\0"), uid_id("1.2.3"));
        assert_ne!(uid_id("1.2.3"), uid_id("1.2.4"));
        assert!(uid_id("") >= 0);
    }
}
