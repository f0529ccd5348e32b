//! What a build needs on the machine, checked before anything is fetched.

use std::fmt;

use build_core::toolchain::{Tool, ToolchainError};
use build_core::{Component, Linkage};

/// One tool, and what was found for it.
#[derive(Debug, Clone)]
pub struct ToolCheck {
    /// What a person calls it (`libseccomp (static)`).
    pub name: &'static str,
    /// A version or path when found; what is missing and the fix when not.
    pub found: Result<String, ToolchainError>,
}

impl fmt::Display for ToolCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.found {
            Ok(found) => write!(f, "{}: {found}", self.name),
            Err(e) => write!(f, "{}: {}; fix: {}", self.name, e.problem, e.fix),
        }
    }
}

/// Every tool `components` need for `linkage`, each once, in a stable order.
pub fn check_tools(linkage: Linkage, components: &[&Component]) -> Vec<ToolCheck> {
    let mut tools: Vec<Tool> = Vec::new();
    for tool in components.iter().flat_map(|c| c.tools.iter().copied()) {
        if tool.needed_for(linkage) && !tools.contains(&tool) {
            tools.push(tool);
        }
    }
    tools.sort_by_key(|t| *t as u8);
    // Each check runs a program; ask them all at once.
    std::thread::scope(|scope| {
        let asked: Vec<_> = tools
            .iter()
            .map(|&tool| scope.spawn(move || (tool, tool.find(linkage))))
            .collect();
        asked
            .into_iter()
            .filter_map(|h| h.join().ok())
            .map(|(tool, found)| ToolCheck {
                name: tool.name(linkage),
                found,
            })
            .collect()
    })
}

/// The checks that failed.
pub fn missing_tools(linkage: Linkage, components: &[&Component]) -> Vec<ToolCheck> {
    check_tools(linkage, components)
        .into_iter()
        .filter(|c| c.found.is_err())
        .collect()
}
