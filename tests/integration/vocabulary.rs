//! The demo lake's vocabulary facts against `../shared/vocabulary/`: OMOP
//! concept rows each seen in a cited public OHDSI file. Every fact the
//! demo states must be the file's, and every fact the file leaves empty
//! the demo leaves empty too. The files stay outside the project; where
//! they are absent the test says so and checks nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rwid::demo::vocabulary::{ConceptFact, VERIFIED, VERIFIED_MAPS_TO, local_concept, maps_to};

fn shared() -> Option<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vocabulary");
    folder.join("omop_concepts.csv").exists().then_some(folder)
}

/// A CSV file's rows as maps of header to field (quoted fields kept whole).
fn read_csv(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let split = |line: &str| -> Vec<String> {
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        fields
    };
    let header = split(lines.next().unwrap());
    lines
        .filter(|l| !l.is_empty())
        .map(|line| header.iter().cloned().zip(split(line)).collect())
        .collect()
}

fn stated(fact: Option<&str>) -> String {
    fact.unwrap_or_default().to_string()
}

#[test]
fn the_demo_states_only_verified_concept_facts() {
    let Some(folder) = shared() else {
        eprintln!("../shared/vocabulary is absent: nothing to compare the demo's concepts with");
        return;
    };
    let rows = read_csv(&folder.join("omop_concepts.csv"));
    for fact in VERIFIED {
        let ConceptFact {
            id,
            name,
            domain,
            vocabulary,
            class,
            standard,
            code,
            valid_start,
            valid_end,
        } = *fact;
        let row = rows
            .iter()
            .find(|r| r["concept_id"] == id.to_string())
            .unwrap_or_else(|| panic!("concept {id} is in no verified file"));
        let expected = [
            ("concept_name", name.to_string()),
            ("domain_id", stated(domain)),
            ("vocabulary_id", vocabulary.to_string()),
            ("concept_class_id", stated(class)),
            ("standard_concept", stated(standard)),
            ("concept_code", stated(code)),
            ("valid_start_date", stated(valid_start)),
            ("valid_end_date", stated(valid_end)),
        ];
        for (column, value) in expected {
            assert_eq!(row[column], value, "concept {id}: {column}");
        }
    }
}

#[test]
fn the_demo_states_only_verified_relationships() {
    let Some(folder) = shared() else {
        eprintln!(
            "../shared/vocabulary is absent: nothing to compare the demo's relationships with"
        );
        return;
    };
    let relationships = read_csv(&folder.join("concept_relationship.csv"));
    for (from, to) in VERIFIED_MAPS_TO {
        assert!(
            relationships
                .iter()
                .any(|r| r["concept_id_1"] == from.to_string()
                    && r["concept_id_2"] == to.to_string()
                    && r["relationship_id"] == "Maps to"),
            "{from} Maps to {to} is in no verified file"
        );
    }
    // Local ICD-O-3 concepts map to the SNOMED concept OHDSI's ICD-O-3
    // source file gives for their code.
    let icdo3 = read_csv(&folder.join("icdo3_morphology_maps_to.csv"));
    let pairs = maps_to();
    for row in &icdo3 {
        let code = &row["icdo3_code"];
        let Some(local) = local_concept(code) else {
            continue;
        };
        let target: i64 = row["snomed_concept_id"].parse().unwrap();
        assert!(pairs.contains(&(local, target)), "{code}");
        let fact = VERIFIED.iter().find(|f| f.id == target).unwrap();
        assert_eq!(
            fact.code,
            Some(row["snomed_concept_code"].as_str()),
            "{code}"
        );
    }
    assert!(pairs.iter().all(|(from, to)| {
        VERIFIED_MAPS_TO.contains(&(*from, *to))
            || icdo3.iter().any(|r| {
                local_concept(&r["icdo3_code"]) == Some(*from)
                    && r["snomed_concept_id"] == to.to_string()
            })
    }));
}

#[test]
fn local_concepts_sit_in_the_local_range() {
    for code in ["8664-5", "64218-1", "88029-4", "8140/3", "amyloid PET SUVR"] {
        let id = local_concept(code).unwrap();
        assert!(id > 2_000_000_000, "{code}: {id}");
    }
    assert_eq!(local_concept("not a demo code"), None);
}
