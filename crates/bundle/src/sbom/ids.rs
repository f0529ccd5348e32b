//! SPDX IDs: `SPDXRef-` and letters, digits, `.` and `-` only, unique in the document.

use std::collections::BTreeSet;

/// The IDs handed out so far.
#[derive(Default)]
pub(super) struct Ids {
    used: BTreeSet<String>,
}

impl Ids {
    /// A new ID from `parts` (`["GoModule", "golang.org/x/sys", "v0.30.0"]` →
    /// `SPDXRef-GoModule-golang.org-x-sys-v0.30.0`), numbered when two would be equal.
    pub(super) fn new_id(&mut self, parts: &[&str]) -> String {
        let clean: Vec<String> = parts
            .iter()
            .map(|p| {
                p.chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect()
            })
            .collect();
        let base = format!("SPDXRef-{}", clean.join("-"));
        let mut id = base.clone();
        let mut n = 1;
        while !self.used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_spdx_idstrings_and_never_repeat() {
        let mut ids = super::Ids::default();
        assert_eq!(
            ids.new_id(&["GoModule", "golang.org/x/sys", "v0.0.0+incompatible"]),
            "SPDXRef-GoModule-golang.org-x-sys-v0.0.0-incompatible"
        );
        assert_eq!(ids.new_id(&["a/b"]), "SPDXRef-a-b");
        assert_eq!(ids.new_id(&["a-b"]), "SPDXRef-a-b-2");
    }
}
